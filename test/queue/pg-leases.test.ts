// Queue leases on a private PostgreSQL: two claimers never get the same message, an expired lease is taken
// over (and the old owner can no longer finish it), a node restarted under its name takes its leases back at
// once, heartbeats keep a lease, a released message waits for its due time. Clocks are injected: no waiting.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { migrate } from '../../engine/db/pg/migrations.js';
import { PgLeases } from '../../engine/queue/pg-leases.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skip = postgresUnavailable() ?? false;
const LEASE = 60_000;

describe('queue leases on PostgreSQL', { skip }, () => {
  let cluster: PgCluster;
  const pools: pg.Pool[] = [];
  let n = 0;
  /** A fresh migrated database and two pools on it (two nodes). */
  const fresh = async () => {
    const url = await cluster.createDatabase(`leases_${++n}`);
    const a = new pg.Pool({ connectionString: url, max: 4 });
    const b = new pg.Pool({ connectionString: url, max: 4 });
    pools.push(a, b);
    await migrate(a);
    return { a, b };
  };
  before(async () => {
    cluster = await startPostgres();
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await cluster?.stop();
  });

  it('two nodes claiming at the same time never get the same message, and together get them all', async () => {
    const { a, b } = await fresh();
    const nodeA = new PgLeases(a, { owner: 'node-a', leaseMs: LEASE });
    const nodeB = new PgLeases(b, { owner: 'node-b', leaseMs: LEASE });
    const ids = Array.from({ length: 300 }, (_, i) => `m${String(i).padStart(4, '0')}`);
    for (const id of ids) await nodeA.enqueue(id);
    const got = { a: [] as string[], b: [] as string[] };
    const drain = async (node: PgLeases, into: string[]) => {
      for (;;) {
        const leases = await node.claim(7);
        if (!leases.length) return;
        into.push(...leases.map((l) => l.id));
      }
    };
    await Promise.all([drain(nodeA, got.a), drain(nodeA, got.a), drain(nodeB, got.b), drain(nodeB, got.b)]);
    const all = [...got.a, ...got.b];
    assert.equal(new Set(all).size, all.length, 'no message claimed twice');
    assert.deepEqual([...all].sort(), ids);
    const owners = await a.query<{ owner: string; n: number }>('SELECT owner, count(*)::int AS n FROM queue_messages GROUP BY owner ORDER BY owner');
    assert.deepEqual(owners.rows, [{ owner: 'node-a', n: got.a.length }, { owner: 'node-b', n: got.b.length }].filter((r) => r.n > 0));
  });

  it('takes over a lease once it expired; the old owner can then neither renew nor finish it', async () => {
    const { a, b } = await fresh();
    let now = 1_000_000;
    const nodeA = new PgLeases(a, { owner: 'node-a', leaseMs: LEASE, now: () => now });
    const nodeB = new PgLeases(b, { owner: 'node-b', leaseMs: LEASE, now: () => now });
    await nodeA.enqueue('msg-1');
    assert.deepEqual((await nodeA.claim(10)).map((l) => [l.id, l.attempts]), [['msg-1', 1]]);
    now += LEASE - 1;
    assert.deepEqual(await nodeB.claim(10), [], 'a live lease is not taken');
    now += 2;
    const taken = await nodeB.claim(10);
    assert.deepEqual(taken.map((l) => [l.id, l.attempts, l.leaseUntil]), [['msg-1', 2, now + LEASE]]);
    assert.deepEqual([...(await nodeA.renew())], [], 'the old owner no longer holds it');
    assert.equal(await nodeA.complete('msg-1'), false, 'its outcome is the new owner’s to record');
    assert.equal(await nodeA.release('msg-1', now), false);
    assert.equal(await nodeB.complete('msg-1'), true);
    assert.equal(await nodeB.complete('msg-1'), false, 'completing twice changes nothing');
    now += 10 * LEASE;
    assert.deepEqual(await nodeA.claim(10), [], 'a finished message is never claimed again');
  });

  it('a node restarted under the same name takes its own leases back at once, before they expire', async () => {
    const { a, b } = await fresh();
    let now = 5_000_000;
    const before = new PgLeases(a, { owner: 'node-a', leaseMs: LEASE, now: () => now });
    for (const id of ['x1', 'x2', 'x3', 'x4']) await before.enqueue(id);
    assert.equal((await before.claim(3)).length, 3);
    now += 1000; // the node is killed and starts again a second later: a new instance, the same name
    const restarted = new PgLeases(b, { owner: 'node-a', leaseMs: LEASE, now: () => now });
    const other = new PgLeases(b, { owner: 'node-b', leaseMs: LEASE, now: () => now });
    const back = await restarted.reclaimOwn();
    assert.deepEqual(back.map((l) => [l.id, l.attempts, l.leaseUntil]), [['x1', 2, now + LEASE], ['x2', 2, now + LEASE], ['x3', 2, now + LEASE]]);
    assert.deepEqual((await other.claim(10)).map((l) => l.id), ['x4'], 'the other node gets only the unleased one');
    assert.deepEqual(await new PgLeases(a, { owner: 'node-c', leaseMs: LEASE, now: () => now }).reclaimOwn(), [], 'another name holds nothing');
  });

  it('a heartbeat keeps the lease past its first expiry; release gives the message back for later', async () => {
    const { a, b } = await fresh();
    let now = 9_000_000;
    const nodeA = new PgLeases(a, { owner: 'node-a', leaseMs: LEASE, now: () => now });
    const nodeB = new PgLeases(b, { owner: 'node-b', leaseMs: LEASE, now: () => now });
    await nodeA.enqueue('h1');
    await nodeA.enqueue('h2');
    await nodeA.claim(10);
    now += LEASE / 2;
    assert.deepEqual([...(await nodeA.renew(['h1']))], ['h1']);
    now += LEASE / 2 + 1;
    assert.deepEqual((await nodeB.claim(10)).map((l) => l.id), ['h2'], 'only the lease without a heartbeat expired');
    assert.equal(await nodeB.complete('h2'), true);
    assert.equal(await nodeA.release('h1', now + 5 * LEASE), true);
    assert.deepEqual(await nodeB.claim(10), [], 'not due yet');
    now += 5 * LEASE;
    assert.deepEqual((await nodeB.claim(10)).map((l) => [l.id, l.attempts]), [['h1', 2]]);
    assert.equal(await nodeA.enqueue('h1'), false, 'queuing an id again changes nothing');
  });
});
