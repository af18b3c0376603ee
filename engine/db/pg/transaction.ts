// One PostgreSQL transaction on one pooled connection: BEGIN, the caller's statements, COMMIT; ROLLBACK when the
// caller throws. A connection that was cut (the database restarting) or whose ROLLBACK failed is destroyed on
// release rather than handed to the next caller. It never retries: the caller decides what a failure means.
import type pg from 'pg';

export async function inTransaction<T>(pool: Pick<pg.Pool, 'connect'>, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  let broken = false;
  const cut = () => (broken = true);
  c.on('error', cut);
  try {
    await c.query('BEGIN');
    const r = await fn(c);
    await c.query('COMMIT');
    return r;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => (broken = true));
    throw e;
  } finally {
    c.removeListener('error', cut);
    c.release(broken ? true : undefined);
  }
}
