// inTransaction (engine/db/pg/transaction.ts) on a real PostgreSQL: what the callback wrote is there after it
// answers, gone after it throws or answers with a Rollback (whose value is returned), and the caller's BEGIN is
// the one run (a read-only transaction refuses a write). The pooled connection is usable again every time.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { inTransaction, Rollback } from '../../../engine/db/pg/transaction.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../../helpers/postgres.js';

const skip = postgresUnavailable();

describe('inTransaction', { skip: skip ?? false }, () => {
  let cluster: PgCluster;
  let pool: pg.Pool;
  const names = async () => (await pool.query<{ name: string }>('SELECT name FROM t ORDER BY name')).rows.map((r) => r.name);

  before(async () => {
    cluster = await startPostgres('tegami_tx');
    pool = new pg.Pool({ connectionString: cluster.url, max: 1 });
    await pool.query('CREATE TABLE t (name text PRIMARY KEY)');
  });
  after(async () => {
    await pool?.end();
    await cluster?.stop();
  });

  it('commits what the callback wrote, and returns its answer', async () => {
    const r = await inTransaction(pool, async (c) => (await c.query("INSERT INTO t VALUES ('一') RETURNING name")).rows[0].name as string);
    assert.equal(r, '一');
    assert.deepEqual(await names(), ['一']);
  });

  it('rolls back on a Rollback answer and returns its value', async () => {
    const r = await inTransaction(pool, async (c): Promise<string | Rollback<string>> => {
      await c.query("INSERT INTO t VALUES ('二')");
      return new Rollback('checked: not whole');
    });
    assert.equal(r, 'checked: not whole');
    assert.deepEqual(await names(), ['一']);
  });

  it('rolls back when the callback throws, and throws it on', async () => {
    await assert.rejects(
      inTransaction(pool, async (c) => {
        await c.query("INSERT INTO t VALUES ('三')");
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(await names(), ['一']);
  });

  it("runs the caller's BEGIN", async () => {
    await assert.rejects(
      inTransaction(pool, (c) => c.query("INSERT INTO t VALUES ('四')"), 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
      /read-only transaction/,
    );
    const level = await inTransaction(pool, async (c) => (await c.query<{ l: string }>("SELECT current_setting('transaction_isolation') AS l")).rows[0], 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    assert.deepEqual(Object.values(level), ['repeatable read']);
    assert.deepEqual(await names(), ['一']);
  });
});
