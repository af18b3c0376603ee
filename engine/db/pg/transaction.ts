// One PostgreSQL transaction on one pooled connection: BEGIN (or the caller's BEGIN …), the caller's statements,
// COMMIT; ROLLBACK when the caller throws or answers with a Rollback. A connection that was cut (the database
// restarting) or whose ROLLBACK failed is destroyed on release rather than handed to the next caller. It never
// retries: the caller decides what a failure means.
import type pg from 'pg';

/** An answer that ends the transaction with ROLLBACK (an expected outcome, such as a check that failed). */
export class Rollback<T> {
  constructor(readonly value: T) {}
}

export async function inTransaction<T>(pool: Pick<pg.Pool, 'connect'>, fn: (c: pg.PoolClient) => Promise<T | Rollback<T>>, begin = 'BEGIN'): Promise<T> {
  const c = await pool.connect();
  let broken = false;
  const cut = () => (broken = true);
  c.on('error', cut);
  try {
    await c.query(begin);
    const r = await fn(c);
    if (r instanceof Rollback) {
      await c.query('ROLLBACK');
      return r.value;
    }
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
