// The web session rules over PostgreSQL's rows (engine/web/pg-session-store.ts), two "nodes" (two stores, two
// pools) on one private database with a shared fake clock: the per-account cap drops the oldest, the idle timeout
// and the absolute lifetime end a session on whichever node sees it next, a touch on one node keeps it alive on the
// other, the kinds stay apart, destroyFor ends one kind or all, and the sweep counts what it removed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { migrate } from '../../engine/db/pg/migrations.js';
import { PgSessionStore } from '../../engine/web/pg-session-store.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();
const MIN = 60_000;

describe('web sessions on PostgreSQL rows, seen by two nodes', { skip: skip ?? false }, () => {
  let cluster: PgCluster;
  let poolA: pg.Pool;
  let poolB: pg.Pool;
  const clock = { now: 1_800_000_000_000 };
  const opts = { idleMs: 30 * MIN, lifetimeMs: 8 * 60 * MIN, maxPerUser: 2 };
  let a: PgSessionStore;
  let b: PgSessionStore;

  before(async () => {
    cluster = await startPostgres('tegami_web_sessions');
    poolA = new pg.Pool({ connectionString: cluster.url, max: 2 });
    poolB = new pg.Pool({ connectionString: cluster.url, max: 2 });
    await migrate(poolA);
    a = new PgSessionStore(poolA, opts, () => clock.now);
    b = new PgSessionStore(poolB, opts, () => clock.now);
  });
  after(async () => {
    await poolA?.end();
    await poolB?.end();
    await cluster?.stop();
  });

  it('a third login beyond sessions_per_account = 2 ends the oldest, on every node', async () => {
    const first = await a.create('webmail', 'hanako@example.jp', '192.0.2.1');
    clock.now += 1000;
    const second = await b.create('webmail', 'hanako@example.jp', '192.0.2.2');
    clock.now += 1000;
    const third = await a.create('webmail', 'hanako@example.jp', '192.0.2.3');
    assert.equal(await b.find('webmail', first.id), null, 'the oldest is gone');
    assert.equal((await b.find('webmail', second.id))?.ip, '192.0.2.2');
    const s = await b.find('webmail', third.id);
    assert.equal(s?.csrf, third.session.csrf, 'the CSRF token travels with the row');
    assert.equal(s?.address, 'hanako@example.jp');
    assert.equal(await a.find('admin', third.id), null, 'a webmail id is nothing on the admin server');
    assert.equal(await a.destroyFor('HANAKO@example.jp', 'admin'), 0);
    assert.equal(await a.destroyFor('HANAKO@example.jp'), 2);
    assert.equal(await b.find('webmail', third.id), null);
  });

  it('idle and lifetime limits hold across nodes; a touch on one node keeps the session alive on the other', async () => {
    const { id } = await a.create('admin', 'taro@example.jp', '198.51.100.7');
    for (let i = 0; i < 16; i++) {
      clock.now += 29 * MIN; // within the idle timeout each time, alternating nodes
      assert.ok(await (i % 2 ? a : b).find('admin', id), `still alive after ${(i + 1) * 29} minutes`);
    }
    clock.now += 29 * MIN; // 8 h 13 min after login: past the absolute lifetime
    assert.equal(await a.find('admin', id), null);
    const idle = await b.create('admin', 'taro@example.jp', '198.51.100.7');
    clock.now += 31 * MIN;
    assert.equal(await a.find('admin', idle.id), null, 'idle 31 minutes');
    assert.equal((await poolA.query('SELECT 1 FROM web_sessions WHERE address = $1', ['taro@example.jp'])).rowCount, 0, 'both rows deleted when found dead');
  });

  it('the sweep removes expired rows, whichever node made them, and a logout ends a session everywhere', async () => {
    await a.create('webmail', 'jiro@example.jp', '192.0.2.9');
    await b.create('admin', 'saburo@example.jp', '192.0.2.10');
    clock.now += 31 * MIN;
    const live = await b.create('webmail', 'shiro@example.jp', '192.0.2.11');
    assert.equal(await a.sweep(), 2);
    assert.ok(await a.find('webmail', live.id));
    await b.destroy(live.id);
    assert.equal(await a.find('webmail', live.id), null);
    await a.destroy('not a session id'); // ignored, as in SQLite
  });
});
