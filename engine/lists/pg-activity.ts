// The list activity on [storage] backend = "postgres": held posts (with their bytes), requests, bounce events,
// distributed posts and reply counters are rows in PostgreSQL, one statement (or one short transaction) per call,
// so every node sees them. Digest state and digest batch marks stay in the node's SQLite file (the digest files
// are on its disk). It never reloads a table and never decides what a row means (moderation.ts, distribute.ts…).
import { inTransaction } from '../db/pg/transaction.js';
import type pg from 'pg';
import { capPassed, toHeld, toRequest, type BounceKind, type HeldCap, type HeldPost, type HeldRow, type HeldState, type ListActivity, type ListRequest, type RequestKind, type RequestRow, type RequestState, type SqliteActivity } from './activity.js';

/** How long a node's housekeeping holds a decided post it is carrying out before another node may take it. */
const CLAIM_MS = 10 * 60_000;

const HELD_COLUMNS = 'id, list, post_key, sender, mail_from, subject, size, reason, state, notified, created, expires';


export class PgActivity implements ListActivity {
  readonly keepsBodies = true;

  /**
   * @param node this node's name ([storage] node_name): it marks the posts whose copies this node sent
   * @param local the node's SQLite activity, for what stays on the node (digests)
   * @param carriesOut a worker's activity: a decision it takes by mail it carries out at once, so it claims the row
   *   (the CLI and the admin pages only decide; a node's housekeeping carries their decisions out)
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly node: string,
    private readonly local: SqliteActivity,
    private readonly o: { carriesOut: boolean; clock?: () => number },
  ) {}

  private now(): number {
    return (this.o.clock ?? Date.now)();
  }

  private async rows<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    return (await this.pool.query<R>(sql, params)).rows;
  }

  /** Statements in one transaction on one connection; rolled back when `fn` throws. */
  private tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }

  transaction<T>(fn: () => T): T {
    return this.local.transaction(fn);
  }

  async hold(p: Omit<HeldPost, 'state' | 'notified'>, raw?: Buffer, cap?: HeldCap): Promise<string | null> {
    return this.tx(async (c) => {
      if (cap) {
        // one list's held posts counted one node at a time (the lock ends with the transaction)
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`list_held:${p.list}`]);
        const known = await c.query('SELECT 1 FROM list_held WHERE list = $1 AND post_key = $2', [p.list, p.postKey]);
        if (!known.rowCount) {
          const w = (await c.query<{ n: string; bytes: string }>("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM list_held WHERE list = $1 AND state = 'held'", [p.list])).rows[0];
          const full = capPassed({ n: Number(w.n), bytes: Number(w.bytes) }, p.size, cap);
          if (full) return full;
        }
      }
      await c.query(
        `INSERT INTO list_held (id, list, post_key, sender, mail_from, subject, size, reason, created, expires, raw)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
        [p.id, p.list, p.postKey, p.sender, p.mailFrom, p.subject, p.size, p.reason, p.created, p.expires, raw ?? null],
      );
      return null;
    });
  }

  async heldBody(id: string): Promise<Buffer | null> {
    return (await this.rows<{ raw: Buffer | null }>('SELECT raw FROM list_held WHERE id = $1', [id]))[0]?.raw ?? null;
  }

  async heldPosts(list: string): Promise<HeldPost[]> {
    return (await this.rows<HeldRow>(`SELECT ${HELD_COLUMNS} FROM list_held WHERE list = $1 ORDER BY created, id`, [list])).map(toHeld);
  }

  async heldById(id: string): Promise<HeldPost | undefined> {
    const r = (await this.rows<HeldRow>(`SELECT ${HELD_COLUMNS} FROM list_held WHERE id = $1`, [id]))[0];
    return r ? toHeld(r) : undefined;
  }

  async heldByKey(list: string, postKey: string): Promise<HeldPost | undefined> {
    const r = (await this.rows<HeldRow>(`SELECT ${HELD_COLUMNS} FROM list_held WHERE list = $1 AND post_key = $2`, [list, postKey]))[0];
    return r ? toHeld(r) : undefined;
  }

  async setHeldState(id: string, state: HeldState): Promise<boolean> {
    const claim = this.o.carriesOut ? this.now() + CLAIM_MS : 0;
    return ((await this.pool.query("UPDATE list_held SET state = $1, claimed_until = $3 WHERE id = $2 AND state = 'held'", [state, id, claim])).rowCount ?? 0) > 0;
  }

  async markNotified(id: string): Promise<void> {
    await this.pool.query('UPDATE list_held SET notified = true WHERE id = $1', [id]);
  }

  async removeHeld(id: string): Promise<void> {
    await this.pool.query('DELETE FROM list_held WHERE id = $1', [id]);
  }

  /** Decided posts no other node is carrying out now, claimed for this one (two nodes never both take one). */
  async decidedHeld(): Promise<HeldPost[]> {
    const now = this.now();
    const rows = await this.rows<HeldRow>(
      `UPDATE list_held SET claimed_until = $1 WHERE id IN (
         SELECT id FROM list_held WHERE state <> 'held' AND claimed_until < $2 ORDER BY created LIMIT 100 FOR UPDATE SKIP LOCKED)
       RETURNING ${HELD_COLUMNS}`,
      [now + CLAIM_MS, now],
    );
    return rows.map(toHeld).sort((a, b) => a.created - b.created);
  }

  async expiredHeld(now: number): Promise<HeldPost[]> {
    return (await this.rows<HeldRow>(`SELECT ${HELD_COLUMNS} FROM list_held WHERE state = 'held' AND expires <= $1 ORDER BY created LIMIT 100`, [now])).map(toHeld);
  }

  async request(list: string, address: string, kind: RequestKind): Promise<ListRequest | undefined> {
    const r = (await this.rows<RequestRow>('SELECT * FROM list_requests WHERE list = $1 AND address = $2 AND kind = $3', [list, address, kind]))[0];
    return r ? toRequest(r) : undefined;
  }

  async requestById(id: string): Promise<ListRequest | undefined> {
    const r = (await this.rows<RequestRow>('SELECT * FROM list_requests WHERE id = $1', [id]))[0];
    return r ? toRequest(r) : undefined;
  }

  /** As SQLite's INSERT OR REPLACE: a row with the same id, or the same list, address and kind, is replaced. */
  async addRequest(r: ListRequest): Promise<void> {
    await this.tx(async (c) => {
      await c.query('DELETE FROM list_requests WHERE id = $1 OR (list = $2 AND address = $3 AND kind = $4)', [r.id, r.list, r.address, r.kind]);
      await c.query('INSERT INTO list_requests (id, list, address, kind, state, digest, created, expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        r.id,
        r.list,
        r.address,
        r.kind,
        r.state,
        r.digest,
        r.created,
        r.expires,
      ]);
    });
  }

  async setRequestState(id: string, state: RequestState, expires: number): Promise<void> {
    await this.pool.query('UPDATE list_requests SET state = $1, expires = $2 WHERE id = $3', [state, expires, id]);
  }

  async removeRequest(id: string): Promise<void> {
    await this.pool.query('DELETE FROM list_requests WHERE id = $1', [id]);
  }

  async expiredRequests(now: number): Promise<ListRequest[]> {
    return (await this.rows<RequestRow>('SELECT * FROM list_requests WHERE expires <= $1 LIMIT 500', [now])).map(toRequest);
  }

  async recordBounce(list: string, address: string, at: number, status: string, kind: BounceKind, counted: boolean): Promise<void> {
    await this.pool.query('INSERT INTO list_bounces (list, address, at, status, kind, counted) VALUES ($1, $2, $3, $4, $5, $6)', [list, address, at, status, kind, +counted]);
  }

  async lastCountedBounce(list: string, address: string): Promise<number | undefined> {
    const r = (await this.rows<{ at: string | null }>('SELECT MAX(at) AS at FROM list_bounces WHERE list = $1 AND address = $2 AND counted = 1', [list, address]))[0];
    return r?.at === null || r?.at === undefined ? undefined : Number(r.at);
  }

  async bounceScore(list: string, address: string, since: number): Promise<number> {
    const r = (await this.rows<{ n: string }>('SELECT COUNT(*) AS n FROM list_bounces WHERE list = $1 AND address = $2 AND counted = 1 AND at >= $3', [list, address, since]))[0];
    return Number(r.n);
  }

  async clearBounces(list: string, address: string): Promise<void> {
    await this.pool.query('DELETE FROM list_bounces WHERE list = $1 AND address = $2', [list, address]);
  }

  async posted(list: string, postKey: string): Promise<boolean> {
    return (await this.rows('SELECT 1 FROM list_posts WHERE list = $1 AND post_key = $2', [list, postKey])).length > 0;
  }

  /**
   * The post's record and this node's batch mark in one transaction. When the record exists already under
   * another node's name (the same Message-ID reached two nodes at once, or a decision two nodes carried out), it
   * is theirs: nothing is written and the answer is false, so this node's staged copies are dropped.
   */
  async recordPost(list: string, postKey: string, batch: string, at: number): Promise<boolean> {
    return this.tx(async (c) => {
      await c.query('INSERT INTO list_posts (list, post_key, created, node) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [list, postKey, at, this.node]);
      const owner = (await c.query<{ node: string }>('SELECT node FROM list_posts WHERE list = $1 AND post_key = $2', [list, postKey])).rows[0]?.node;
      if (owner !== this.node) return false;
      await c.query('INSERT INTO originated_batches (batch, created) VALUES ($1, $2) ON CONFLICT DO NOTHING', [this.batchKey(batch), at]);
      return true;
    });
  }

  /** Digest issues: marked in the node's file, with the digest state (digest-store.ts). */
  markBatch(batch: string, at: number): void {
    this.local.markBatch(batch, at);
  }

  async batchCommitted(batch: string): Promise<boolean> {
    if (this.local.batchCommitted(batch)) return true;
    return (await this.rows('SELECT 1 FROM originated_batches WHERE batch = $1', [this.batchKey(batch)])).length > 0;
  }

  /** Batches are staged in this node's spool: their marks carry the node's name. */
  private batchKey(batch: string): string {
    return `${this.node}/${batch}`;
  }

  async countReply(list: string, address: string, day: number): Promise<number> {
    const r = await this.rows<{ count: string }>(
      `INSERT INTO list_replies (list, address, day, count) VALUES ($1, $2, $3, 1)
       ON CONFLICT (list, address, day) DO UPDATE SET count = list_replies.count + 1 RETURNING count`,
      [list, address, day],
    );
    return Number(r[0].count);
  }

  digestState(list: string): { last: number; issue: number } {
    return this.local.digestState(list);
  }

  setDigestState(list: string, last: number, issue: number): void {
    this.local.setDigestState(list, last, issue);
  }

  async prune(before: number): Promise<void> {
    await this.tx(async (c) => {
      await c.query('DELETE FROM list_posts WHERE created < $1', [before]);
      await c.query('DELETE FROM list_bounces WHERE at < $1', [before]);
      await c.query('DELETE FROM originated_batches WHERE created < $1', [before]);
      await c.query('DELETE FROM list_replies WHERE day < $1', [Math.floor(before / 86_400_000)]);
    });
    this.local.prune(before);
  }
}
