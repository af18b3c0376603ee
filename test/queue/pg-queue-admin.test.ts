// `tegami queue` on [storage] backend = "postgres" (engine/queue/pg-queue-admin.ts): the real CLI under a node's
// config lists, shows, holds, releases, flushes and deletes the shared queue's rows that other nodes queued; a
// domain hold made with the CLI stops every node's claim (PgQueueStore.claim, what each node's scheduler runs)
// until it is released; delete --bounce queues the sender's notice in the shared queue.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../engine/db/pg/migrations.js';
import { PgQueueStore } from '../../engine/queue/pg-queue-store.js';
import { newQueueId, type Envelope } from '../../engine/spool/envelope.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { BIN, run } from '../helpers/server.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

function envelope(from: string, to: string[]): Envelope {
  return { id: newQueueId(), time: Date.now(), mailFrom: from, rcptTo: to.map((address) => ({ address, kind: 'remote' as const })), client: { ip: '127.0.0.1', helo: 'c.test', protocol: 'ESMTP', listener: 'smtp' } };
}

const body = (subject: string) => Buffer.from(`From: s@origin.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@origin.test>\r\n\r\n請求書を送ります。\r\n`);

interface Listed {
  id: string;
  state: string;
  recipients: { address: string; status: string; held: boolean; node: string | null; last_error: string | null }[];
}

describe('tegami queue over the shared queue in PostgreSQL', { skip: skip ?? false }, () => {
  let cluster: PgCluster;
  let pool: pg.Pool;
  let dir: string;
  let configPath: string;
  /** Node B's view: it queues and claims like a running node's scheduler. */
  let nodeB: PgQueueStore;
  const cli = async (...args: string[]) => run(BIN, ['queue', ...args, '--config', configPath]);
  const listed = async (...args: string[]): Promise<Listed[]> => {
    const r = await cli('list', '--json', ...args);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { queue: Listed[] }).queue;
  };

  before(async () => {
    cluster = await startPostgres('tegami_queue_admin');
    pool = new pg.Pool({ connectionString: cluster.url, max: 4 });
    await migrate(pool);
    nodeB = new PgQueueStore(pool, { owner: 'node-b', leaseMs: 60_000, cap: () => 10 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-queue-admin-'));
    configPath = path.join(dir, 'tegami.toml');
    fs.writeFileSync(
      configPath,
      [`hostname = "a.example.test"`, `data_dir = ${JSON.stringify(path.join(dir, 'data'))}`, '[domains]', 'local = ["example.test"]', '[storage]', 'backend = "postgres"', `url = ${JSON.stringify(cluster.url)}`, 'tls = "disable"', 'node_name = "node-a"'].join('\n') + '\n',
    );
  });
  after(async () => {
    await pool?.end();
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists and shows what another node queued; a domain hold stops every node\'s claim until released', async () => {
    const one = envelope('s@origin.test', ['a@held.test', 'b@other.test']);
    const two = envelope('s@origin.test', ['c@held.test']);
    await nodeB.enqueue(one, body('one'), [{ address: 'a@held.test', rcpt: 'a@held.test', dest: 'mx:held.test' }, { address: 'b@other.test', rcpt: 'b@other.test', dest: 'mx:other.test' }]);
    await nodeB.enqueue(two, body('two'), [{ address: 'c@held.test', rcpt: 'c@held.test', dest: 'mx:held.test' }]);

    const all = await listed();
    assert.deepEqual(all.map((e) => e.id).sort(), [one.id, two.id].sort());
    assert.deepEqual((await listed('--domain', 'HELD.test')).map((e) => e.id).sort(), [one.id, two.id].sort());
    assert.deepEqual((await listed('--domain', 'other.test')).map((e) => e.id), [one.id]);
    const shown = await cli('show', one.id);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Subject: one/);
    assert.match(shown.stdout, /a@held\.test \(remote, pending/);

    const held = await cli('hold', '--domain', 'held.test');
    assert.equal(held.code, 0, held.stderr);
    assert.match(held.stdout, /2 messages held \(domain held\.test, new mail for it is held too\)/);
    // node B's scheduler claims only the other domain's recipient; a message queued after the hold stays too
    const three = envelope('s@origin.test', ['d@held.test']);
    await nodeB.enqueue(three, body('three'), [{ address: 'd@held.test', rcpt: 'd@held.test', dest: 'mx:held.test' }]);
    const claims = await nodeB.claim(10);
    assert.deepEqual(claims.map((c) => c.addresses).flat(), ['b@other.test']);
    const view = await listed();
    assert.equal(view.find((e) => e.id === two.id)!.state, 'hold');
    assert.equal(view.find((e) => e.id === one.id)!.state, 'active', 'b@other.test is leased by node B');
    assert.equal(view.find((e) => e.id === one.id)!.recipients.find((r) => r.address === 'b@other.test')!.node, 'node-b');
    await nodeB.release(claims);

    const released = await cli('release', '--domain', 'held.test');
    assert.equal(released.code, 0, released.stderr);
    assert.match(released.stdout, /3 messages released/);
    const again = await nodeB.claim(10);
    assert.deepEqual(again.flatMap((c) => c.addresses).sort(), ['a@held.test', 'b@other.test', 'c@held.test', 'd@held.test']);
    await nodeB.release(again);
  });

  it('holds and releases one message, flushes deferred mail, deletes with a bounce queued for the sender', async () => {
    await pool.query('DELETE FROM queue_envelopes');
    const m = envelope('sender@origin.test', ['x@later.test', 'y@gone.test']);
    await nodeB.enqueue(m, body('four'), [{ address: 'x@later.test', rcpt: 'x@later.test', dest: 'mx:later.test' }, { address: 'y@gone.test', rcpt: 'y@gone.test', dest: 'mx:gone.test' }]);
    assert.equal((await cli('hold', m.id)).code, 0);
    assert.deepEqual(await nodeB.claim(10), [], 'a held message is claimed by no node');
    assert.equal((await listed('--state', 'hold')).length, 1);
    assert.equal((await cli('release', m.id)).code, 0);
    // deferred an hour (as after a failed attempt), then flushed: due now again
    await pool.query(`UPDATE queue_recipients SET state = 'deferred', attempts = 1, next_attempt = next_attempt + 3600000, last_reply = '451 4.4.1 try later'`);
    assert.deepEqual(await nodeB.claim(10), []);
    assert.equal((await listed('--state', 'deferred')).length, 1);
    const flushed = await cli('flush');
    assert.equal(flushed.code, 0, flushed.stderr);
    assert.match(flushed.stdout, /1 message scheduled for delivery now/);
    const due = await nodeB.claim(10);
    assert.equal(due.flatMap((c) => c.addresses).length, 2);
    await nodeB.release(due);

    const del = await cli('delete', '--domain', 'gone.test', '--bounce');
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /1 message deleted, 1 recipient\(s\), 1 bounce\(s\) sent/);
    const rows = (await pool.query<{ message_id: string; address: string; state: string }>('SELECT message_id, address, state FROM queue_recipients ORDER BY address')).rows;
    const bounce = rows.find((r) => r.address === 'sender@origin.test');
    assert.ok(bounce, 'the notice to the remote sender is in the shared queue');
    assert.deepEqual(rows.filter((r) => r.message_id === m.id).map((r) => [r.address, r.state]), [['x@later.test', 'deferred'], ['y@gone.test', 'failed']]);
    const dsn = await pool.query<{ data: Buffer }>('SELECT b.data FROM queue_envelopes e JOIN queue_bodies b ON b.sha256 = e.body_sha256 WHERE e.id = $1', [bounce.message_id]);
    assert.match(dsn.rows[0].data.toString('utf8'), /Final-Recipient: rfc822; ?y@gone\.test/i);

    const gone = await cli('delete', m.id);
    assert.equal(gone.code, 0, gone.stderr);
    assert.equal((await pool.query('SELECT 1 FROM queue_envelopes WHERE id = $1', [m.id])).rows.length, 0, 'no open recipient left: the message is gone');
    const missing = await cli('show', m.id);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no queued message/);
  });
});
