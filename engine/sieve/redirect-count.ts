// The per-day count of Sieve redirects per account ([sieve] max_redirects_per_day): one row per message sent on
// (its number of targets), in the accounts database (SQLite) or, with [storage] backend = "postgres", in the
// table every node shares, as vacation's reply history is kept. It never sends or stores mail itself.
import type pg from 'pg';
import type { Db } from '../db/database.js';

export const REDIRECT_DAY_MS = 86_400_000;

/** ok: recorded, the redirect may go; over: it would pass the cap (nothing recorded). */
export type RedirectClaim = { ok: true } | { ok: false; used: number };

export interface RedirectCounter {
  /** Record `n` redirects of `address` at `now` if those of the last 24 hours plus n stay within `max`. */
  claim(address: string, n: number, now: number, max: number): RedirectClaim | Promise<RedirectClaim>;
}

const key = (s: string) => s.trim().toLowerCase();

// (kept beside the code that uses it, as CREATE TABLE IF NOT EXISTS: a data dir of any earlier version gets it
// at the first redirect; rows older than a day are removed as the account's next redirect is counted)
const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS sieve_redirects (
    address TEXT NOT NULL,
    at INTEGER NOT NULL,
    n INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS sieve_redirects_at ON sieve_redirects(address, at);`;

export class SqliteRedirectCounter implements RedirectCounter {
  private ready = false;
  constructor(private readonly db: Db) {}

  claim(address: string, n: number, now: number, max: number): RedirectClaim {
    if (!this.ready) {
      this.db.exec(SQLITE_TABLE);
      this.ready = true;
    }
    const a = key(address);
    // IMMEDIATE: two worker threads counting the same account at once see each other's rows
    return this.db
      .transaction((): RedirectClaim => {
        this.db.prepare('DELETE FROM sieve_redirects WHERE address = ? AND at <= ?').run(a, now - REDIRECT_DAY_MS);
        const used = (this.db.prepare('SELECT COALESCE(SUM(n), 0) AS u FROM sieve_redirects WHERE address = ?').get(a) as { u: number }).u;
        if (used + n > max) return { ok: false, used };
        this.db.prepare('INSERT INTO sieve_redirects (address, at, n) VALUES (?, ?, ?)').run(a, now, n);
        return { ok: true };
      })
      .immediate();
  }
}

export class PgRedirectCounter implements RedirectCounter {
  constructor(private readonly pool: pg.Pool) {}

  async claim(address: string, n: number, now: number, max: number): Promise<RedirectClaim> {
    const a = key(address);
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      // one account's redirects counted one node at a time (the lock ends with the transaction)
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sieve_redirects:${a}`]);
      await c.query('DELETE FROM sieve_redirects WHERE address = $1 AND at <= $2', [a, now - REDIRECT_DAY_MS]);
      const r = await c.query<{ u: string }>('SELECT COALESCE(SUM(n), 0) AS u FROM sieve_redirects WHERE address = $1', [a]);
      const used = Number(r.rows[0].u);
      if (used + n > max) {
        await c.query('ROLLBACK');
        return { ok: false, used };
      }
      await c.query('INSERT INTO sieve_redirects (address, at, n) VALUES ($1, $2, $3)', [a, now, n]);
      await c.query('COMMIT');
      return { ok: true };
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }
}
