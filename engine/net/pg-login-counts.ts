// The login throttle's counts shared through PostgreSQL: one row per failed login (client network and account)
// kept for the throttle window, one row per blocked client network until its block ends, a spaced account's next
// turn (migration 33, taken in one statement) and up to 8 networks per account its owner logged in from. Every node writes
// and reads the same rows, so password guessing spread over nodes is throttled as if it hit one node.
// It never stores a password or a login that names no account beyond the window.
import type pg from 'pg';
import type { SharedLoginCounts, SharedState } from './shared-throttle.js';

export interface PgLoginCountsOptions {
  windowMs: number;
  /** Failures of one client network in the window that block it ([auth] block_after; 0 = never). */
  blockAfter: number;
  blockForMs: number;
  /** [auth] account_delay: the spacing of attempts on an account being guessed at (default 10 s). */
  accountDelayMs?: number;
  now?: () => number;
}

/** Networks kept per account (as AuthThrottle keeps on one node). */
const KNOWN_PER_ACCOUNT = 8;

/** The database's time in ms, the same all through one statement. */
const DB_NOW = '(extract(epoch FROM statement_timestamp()) * 1000)::bigint';

export class PgLoginCounts implements SharedLoginCounts {
  private writes = 0;

  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly o: PgLoginCountsOptions,
  ) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  async state(client: string, account: string | undefined): Promise<SharedState> {
    const now = this.now();
    const r = await this.pool.query<{ blocked: string | null; client: number; account: number; known: boolean }>(
      `SELECT (SELECT until FROM login_blocks WHERE client = $1 AND until > $2) AS blocked,
              (SELECT count(*)::int FROM login_failures WHERE scope = 'client' AND key = $1 AND at > $3) AS client,
              (SELECT count(*)::int FROM login_failures WHERE scope = 'account' AND key = $4 AND at > $3) AS account,
              EXISTS (SELECT 1 FROM login_known WHERE account = $4 AND client = $1) AS known`,
      [client, now, now - this.o.windowMs, account ?? ''],
    );
    const row = r.rows[0];
    return { blockedUntil: row.blocked ? Number(row.blocked) : 0, client: row.client, account: account === undefined ? 0 : row.account, known: account !== undefined && row.known };
  }

  async fail(client: string, account: string | undefined): Promise<boolean> {
    const now = this.now();
    if (++this.writes % 100 === 1) await this.prune(now);
    // one statement: record the failure, count the client's failures in the window (this one included), and
    // block the client when the count reaches block_after; concurrent failures on other nodes are all counted
    const r = await this.pool.query<{ n: number }>(
      `WITH added AS (
         INSERT INTO login_failures (scope, key, at) VALUES ('client', $1, $2)
         ${account === undefined ? '' : ", ('account', $4, $2)"}
         RETURNING 1)
       SELECT (SELECT count(*)::int FROM login_failures WHERE scope = 'client' AND key = $1 AND at > $3) + 1 AS n`,
      account === undefined ? [client, now, now - this.o.windowMs] : [client, now, now - this.o.windowMs, account],
    );
    const n = r.rows[0].n;
    if (this.o.blockAfter <= 0 || n < this.o.blockAfter) return false;
    const until = now + this.o.blockForMs;
    const b = await this.pool.query(
      `INSERT INTO login_blocks (client, until) VALUES ($1, $2)
       ON CONFLICT (client) DO UPDATE SET until = EXCLUDED.until WHERE login_blocks.until <= $3
       RETURNING 1`,
      [client, until, now],
    );
    if (!b.rowCount) return false; // already blocked (by another node, or a failure a moment ago)
    // like AuthThrottle: a block starts the count afresh for when it ends
    await this.pool.query(`DELETE FROM login_failures WHERE scope = 'client' AND key = $1 AND at <= $2`, [client, now]);
    return true;
  }

  /**
   * Take the account's next turn on every node at once (one statement; the row lock orders concurrent nodes): the
   * turn is the later of now and the stored one, and the stored one moves a spacing past it; a turn further away
   * than one spacing is not taken ('busy'), as on one node. "Now" is the database's clock, one for every node: a
   * node whose clock runs ahead would otherwise store a turn that makes the account 'busy' on the others for as
   * long as it is ahead (and a node behind would find it always busy).
   */
  async slot(account: string): Promise<number | 'busy'> {
    const delay = this.o.accountDelayMs ?? 10_000;
    const r = await this.pool.query<{ wait: string }>(
      `INSERT INTO login_slots AS s (account, next_slot) VALUES ($1, ${DB_NOW} + $2::bigint)
       ON CONFLICT (account) DO UPDATE SET next_slot = GREATEST(s.next_slot, ${DB_NOW}) + $2::bigint
         WHERE GREATEST(s.next_slot, ${DB_NOW}) - ${DB_NOW} <= $2::bigint
       RETURNING next_slot - $2::bigint - ${DB_NOW} AS wait`,
      [account, delay],
    );
    if (!r.rows.length) return 'busy';
    return Math.max(0, Number(r.rows[0].wait));
  }

  /** The owner logged in from this network: known on every node (the newest 8 per account kept). */
  async succeeded(client: string, account: string): Promise<void> {
    const now = this.now();
    await this.pool.query(
      `WITH up AS (
         INSERT INTO login_known (account, client, at) VALUES ($1, $2, $3)
         ON CONFLICT (account, client) DO UPDATE SET at = GREATEST(login_known.at, EXCLUDED.at) RETURNING 1)
       DELETE FROM login_known WHERE account = $1 AND client <> $2 AND client NOT IN (
         SELECT client FROM login_known WHERE account = $1 AND client <> $2 ORDER BY at DESC LIMIT $4)`,
      [account, client, now, KNOWN_PER_ACCOUNT - 1],
    );
  }

  /** Forget failures older than the window, blocks that ended and turns long past (the tables stay the size of the window). */
  async prune(now = this.now()): Promise<void> {
    await this.pool.query('DELETE FROM login_failures WHERE at <= $1', [now - this.o.windowMs]);
    await this.pool.query('DELETE FROM login_blocks WHERE until <= $1', [now]);
    await this.pool.query('DELETE FROM login_slots WHERE next_slot <= $1', [now - this.o.windowMs]);
  }
}
