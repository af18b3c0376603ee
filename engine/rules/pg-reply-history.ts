// The reply history of vacation and auto-replies on [storage] backend = "postgres": one row per (address, sender,
// handle) in PostgreSQL, claimed by one statement, so a sender gets one answer per period across every node (RFC
// 5230 :days), not one per node. It never builds or sends a reply (workers/sieve-delivery.ts does).
import crypto from 'node:crypto';
import type pg from 'pg';

const key = (s: string) => s.trim().toLowerCase();

export class PgReplyHistory {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Record a reply to `sender` at `at` unless one under the same handle was recorded less than `periodMs` before:
   * true when this caller may send. Two nodes asking at once for the same sender: one gets true (the row lock).
   */
  async claim(address: string, sender: string, handle: string, at: number, periodMs: number): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO reply_history (address, sender, handle, at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (address, sender, handle) DO UPDATE SET at = excluded.at WHERE reply_history.at <= $4::bigint - $5::bigint
       RETURNING 1`,
      [key(address), key(sender), handle, at, periodMs],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** claim() as a decision: the database away after the copy was stored means no reply, not the message retried. */
  async decide(address: string, sender: string, handle: string, at: number, periodMs: number): Promise<{ skip?: 'already-replied' | 'history-unavailable'; error?: string }> {
    try {
      return (await this.claim(address, sender, handle, at, periodMs)) ? {} : { skip: 'already-replied' };
    } catch (e) {
      return { skip: 'history-unavailable', error: (e as Error).message };
    }
  }

  /** Replies recorded since `since` (distinct senders and handles): the per-day cap. */
  async repliesSince(address: string, since: number): Promise<number> {
    const r = await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM reply_history WHERE address = $1 AND at >= $2', [key(address), since]);
    return Number(r.rows[0].n);
  }
}

/**
 * The handle a vacation or auto-reply kept as settings is recorded under in PostgreSQL: the handle with a digest of
 * the text it answers with. SQLite clears the history when the text or the dates change (a new period, RFC 5230
 * §4.2); the settings are written on any node, so here a new text is simply a new handle nobody was answered under.
 */
export function sharedHandle(handle: string, content: unknown[]): string {
  return `${handle}~${crypto.createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16)}`;
}
