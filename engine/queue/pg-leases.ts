// Queue leases on PostgreSQL (scale-out): which node works on which queued message. A node claims due
// messages with FOR UPDATE SKIP LOCKED into a lease (owner = its node_name, expiry = now + lease_time)
// committed before it starts, renews its leases by heartbeat, and takes over leases that expired; a node
// restarted under the same name takes its own leases back at once. It never delivers anything and never
// changes a row another node holds a live lease on.
import type pg from 'pg';

export interface Lease {
  id: string;
  /** Delivery attempts started, this one included. */
  attempts: number;
  leaseUntil: number;
}

export interface PgLeasesOptions {
  /** This node's lease owner name ([storage] node_name). */
  owner: string;
  /** [storage] lease_time, ms. */
  leaseMs: number;
  /** Clock for tests; default: the database's clock, so nodes with skewed clocks agree on expiry. */
  now?: () => number;
}

/** The time used in a statement: the injected clock, or the database's (ms since the epoch). */
const NOW = `COALESCE($1::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint)`;

type Row = { id: string; attempts: number; lease_until: string };
const lease = (r: Row): Lease => ({ id: r.id, attempts: r.attempts, leaseUntil: Number(r.lease_until) });

export class PgLeases {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly o: PgLeasesOptions,
  ) {
    if (!(o.leaseMs > 0)) throw new Error('lease time must be positive');
  }

  private get now(): number | null {
    return this.o.now ? this.o.now() : null;
  }

  /** Queue a message for delivery at `due` (default now); queuing the same id again changes nothing. */
  async enqueue(id: string, due?: number): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO queue_messages (id, due, created) VALUES ($2, COALESCE($3::bigint, ${NOW}), ${NOW})
       ON CONFLICT (id) DO NOTHING`,
      [this.now, id, due ?? null],
    );
    return r.rowCount === 1;
  }

  /**
   * Claim up to `limit` due messages nobody holds a live lease on (never held, or expired): rows another node is
   * claiming at this moment are skipped, not waited for, so two claimers never get the same message.
   */
  async claim(limit: number): Promise<Lease[]> {
    const r = await this.pool.query<Row>(
      `WITH picked AS (
         SELECT id FROM queue_messages
          WHERE NOT done AND due <= ${NOW} AND (owner IS NULL OR lease_until <= ${NOW})
          ORDER BY due, id
          LIMIT $2
          FOR UPDATE SKIP LOCKED)
       UPDATE queue_messages q
          SET owner = $3, lease_until = ${NOW} + $4, attempts = q.attempts + 1
         FROM picked WHERE q.id = picked.id
       RETURNING q.id, q.attempts, q.lease_until`,
      [this.now, limit, this.o.owner, this.o.leaseMs],
    );
    return r.rows.map(lease).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /**
   * At start: the leases this node name still holds (a restart after a crash), renewed and returned at once,
   * whether or not they expired meanwhile (unless another node took one over: then it is that node's).
   */
  async reclaimOwn(): Promise<Lease[]> {
    const r = await this.pool.query<Row>(
      `UPDATE queue_messages SET lease_until = ${NOW} + $3, attempts = attempts + 1
        WHERE owner = $2 AND NOT done
       RETURNING id, attempts, lease_until`,
      [this.now, this.o.owner, this.o.leaseMs],
    );
    return r.rows.map(lease).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /**
   * Heartbeat: extend every lease this node holds (all of them, or `ids`). Returns the ids still held; a
   * message missing from it was taken over after its lease expired, and this node must stop working on it.
   * A lease that expired but was not taken yet is still this node's (row locks order the renewal and a claim).
   */
  async renew(ids?: string[]): Promise<Set<string>> {
    const r = await this.pool.query<{ id: string }>(
      `UPDATE queue_messages SET lease_until = ${NOW} + $3
        WHERE owner = $2 AND NOT done AND ($4::text[] IS NULL OR id = ANY($4::text[]))
       RETURNING id`,
      [this.now, this.o.owner, this.o.leaseMs, ids ?? null],
    );
    return new Set(r.rows.map((x) => x.id));
  }

  /**
   * The message is finished (delivered or bounced). False when this node no longer holds its lease (another
   * node took it over): its outcome is that node's to record. Calling it twice is harmless (false).
   */
  async complete(id: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE queue_messages SET done = true, owner = NULL, lease_until = NULL
        WHERE id = $1 AND owner = $2 AND NOT done`,
      [id, this.o.owner],
    );
    return r.rowCount === 1;
  }

  /** Give the message back to be tried again at `due` (a temporary failure); false when the lease was lost. */
  async release(id: string, due: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE queue_messages SET owner = NULL, lease_until = NULL, due = $3
        WHERE id = $1 AND owner = $2 AND NOT done`,
      [id, this.o.owner, due],
    );
    return r.rowCount === 1;
  }

  /** Remove finished rows older than `before` (ms). */
  async purgeDone(before: number): Promise<number> {
    const r = await this.pool.query('DELETE FROM queue_messages WHERE done AND created < $1', [before]);
    return r.rowCount ?? 0;
  }
}
