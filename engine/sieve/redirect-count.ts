// The per-day count of Sieve redirects per account ([sieve] max_redirects_per_day): one row per message sent on
// (its number of targets), keyed by the message (its queue id), in the accounts database (SQLite, its
// migrations) or, with [storage] backend = "postgres", in the table every node shares (migrations 41 and 42), as
// vacation's reply history is kept. It never sends or stores mail itself.
import type pg from 'pg';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/pg/transaction.js';

export const REDIRECT_DAY_MS = 86_400_000;

/** ok: recorded (or recorded before for this message), the redirect may go; over: it would pass the cap (nothing recorded). */
export type RedirectClaim = { ok: true } | { ok: false; used: number };

export interface RedirectCounter {
  /**
   * Record `n` redirects of `address` for message `msg` at `now` if those of the last 24 hours plus n stay within
   * `max`. A message counted before (a delivery retried after a failure) is not counted again: ok, nothing added.
   */
  claim(address: string, msg: string, n: number, now: number, max: number): RedirectClaim | Promise<RedirectClaim>;
}

const key = (s: string) => s.trim().toLowerCase();

export class SqliteRedirectCounter implements RedirectCounter {
  constructor(private readonly db: Db) {}

  claim(address: string, msg: string, n: number, now: number, max: number): RedirectClaim {
    const a = key(address);
    // IMMEDIATE: two worker threads counting the same account at once see each other's rows
    return this.db
      .transaction((): RedirectClaim => {
        this.db.prepare('DELETE FROM sieve_redirects WHERE address = ? AND at <= ?').run(a, now - REDIRECT_DAY_MS);
        if (this.db.prepare('SELECT 1 FROM sieve_redirects WHERE address = ? AND msg = ?').get(a, msg)) return { ok: true };
        const used = (this.db.prepare('SELECT COALESCE(SUM(n), 0) AS u FROM sieve_redirects WHERE address = ?').get(a) as { u: number }).u;
        if (used + n > max) return { ok: false, used };
        this.db.prepare('INSERT INTO sieve_redirects (address, at, n, msg) VALUES (?, ?, ?, ?)').run(a, now, n, msg);
        return { ok: true };
      })
      .immediate();
  }
}

export class PgRedirectCounter implements RedirectCounter {
  constructor(private readonly pool: pg.Pool) {}

  async claim(address: string, msg: string, n: number, now: number, max: number): Promise<RedirectClaim> {
    const a = key(address);
    return inTransaction(this.pool, async (c): Promise<RedirectClaim> => {
      // one account's redirects counted one node at a time (the lock ends with the transaction)
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sieve_redirects:${a}`]);
      await c.query('DELETE FROM sieve_redirects WHERE address = $1 AND at <= $2', [a, now - REDIRECT_DAY_MS]);
      const seen = await c.query('SELECT 1 FROM sieve_redirects WHERE address = $1 AND msg = $2', [a, msg]);
      if (seen.rowCount) return { ok: true };
      const r = await c.query<{ u: string }>('SELECT COALESCE(SUM(n), 0) AS u FROM sieve_redirects WHERE address = $1', [a]);
      const used = Number(r.rows[0].u);
      // over the cap, nothing is counted (the transaction only pruned rows past the day)
      if (used + n > max) return { ok: false, used };
      await c.query('INSERT INTO sieve_redirects (address, at, n, msg) VALUES ($1, $2, $3, $4)', [a, now, n, msg]);
      return { ok: true };
    });
  }
}
