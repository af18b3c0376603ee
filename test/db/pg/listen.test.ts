// PgListen (engine/db/pg/listen.ts), the LISTEN connection the directory copy (replica.ts) and the PostgreSQL
// store's change notices (pg-events.ts) hold: on a real PostgreSQL, notices arrive with their payload; a cut
// connection is reported down and comes back by itself (back: notices may have been missed) and carries notices
// again; a first attempt against a stopped server throws, and retryLater connects once the server is back; after
// stop() nothing reconnects.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PgListen } from '../../../engine/db/pg/listen.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../../helpers/postgres.js';

const skip = postgresUnavailable();

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1200 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(ok(), what);
}

describe('PgListen', { skip: skip ?? false }, () => {
  let cluster: PgCluster;
  let pool: pg.Pool;
  const notify = (payload: string) => pool.query('SELECT pg_notify($1, $2)', ['tegami_test', payload]);

  before(async () => {
    cluster = await startPostgres('tegami_listen');
    pool = new pg.Pool({ connectionString: cluster.url, max: 1 });
    pool.on('error', () => undefined);
  });
  after(async () => {
    await pool?.end();
    await cluster?.stop();
  });

  it('hears notices, comes back after a cut and hears them again, and stays away after stop', async () => {
    const seen: string[] = [];
    let downs = 0;
    let backs = 0;
    const l = new PgListen({ connectionString: cluster.url }, 'tegami_test', { notice: (p) => seen.push(p ?? ''), down: () => downs++, back: () => backs++ }, 50);
    await l.start();
    assert.equal(l.up, true);
    await notify('一通目');
    await until('the first notice', () => seen.includes('一通目'));
    await l.drop();
    await until('down, then back', () => downs === 1 && backs === 1 && l.up);
    await notify('二通目');
    await until('a notice after the reconnect', () => seen.includes('二通目'));
    await l.stop();
    assert.equal(l.up, false);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual([downs, backs, l.up], [1, 1, false], 'no reconnect after stop');
  });

  it('a first attempt against a stopped server throws; retryLater connects once it is back', async () => {
    let backs = 0;
    let errors = 0;
    const l = new PgListen({ connectionString: cluster.url }, 'tegami_test', { notice: () => undefined, back: () => backs++, error: () => errors++ }, 50);
    await cluster.halt();
    try {
      await assert.rejects(l.start());
      assert.equal(l.up, false);
      l.retryLater();
      await until('a failed retry reported', () => errors >= 1);
    } finally {
      await cluster.resume();
    }
    await until('back once the server is', () => backs === 1 && l.up);
    await l.stop();
  });

  it('refuses a channel name that is not an identifier', () => {
    assert.throws(() => new PgListen({}, 'tegami; DROP TABLE x', { notice: () => undefined }), /bad channel name/);
  });
});
