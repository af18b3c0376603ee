// The shared queue's rows in PostgreSQL (migration 20): enqueue a message (body, envelope, one row per
// recipient) in one transaction; claim due recipients into leases with FOR UPDATE SKIP LOCKED under each
// destination's cap across all nodes; renew leases; write an attempt's outcomes only where this node still
// holds the lease. It never talks SMTP and never decides an outcome (recipient-outcomes.ts does).
import { inTransaction } from '../db/pg/transaction.js';
import crypto from 'node:crypto';
import type pg from 'pg';
import { envelopeSchema, type Envelope } from '../spool/envelope.js';
import { schemaReason } from '../spool/envelope.js';
import type { QueueState, RecipientState } from './state.js';

/** The database's clock in ms: every node compares lease expiry and due times against the same clock. */
export const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
const OPEN = `r.state IN ('pending', 'deferred')`;
const FREE = `(r.owner IS NULL OR r.lease_until <= ${DB_NOW})`;
/** Not in a domain the operator holds (queue_holds, `tegami queue hold --domain`): no node claims it. */
const UNHELD = `NOT EXISTS (SELECT 1 FROM queue_holds h WHERE h.domain = lower(substring(r.address from '@([^@]*)$')))`;

export interface NewRecipient {
  address: string;
  /** The RCPT TO it came from. */
  rcpt: string;
  /** Destination key (engine/outbound/destination.ts): what the per-destination cap counts. */
  dest: string;
  notify?: string[];
  orcpt?: string;
}

/** One claimed job: the recipients of one message for one destination, leased to this node. */
export interface Claim {
  messageId: string;
  dest: string;
  addresses: string[];
  /** Recipients whose previous lease ended without an outcome (its node died): the duplicate window. */
  takenOver: { address: string; from: string }[];
}

export interface StoredMessage {
  envelope: Envelope;
  body: Buffer;
}

type Client = pg.PoolClient;

export class PgQueueStore {
  constructor(
    readonly pool: pg.Pool,
    private readonly o: {
      owner: string;
      leaseMs: number;
      cap: (dest: string) => number;
      /** A spooler route (`[[route]] hold = true`) for this recipient domain: its destination is claimed only by claim(…, dest). */
      routeHeld?: (domain: string) => boolean;
    },
  ) {
    if (!(o.leaseMs > 0)) throw new Error('lease time must be positive');
  }

  /**
   * The message, its body and a row per recipient, committed together (or not at all): after this returns,
   * any node can deliver it. Enqueuing an id again is an error (ids are unique per node and time). With
   * `handOver` (a copy from this node's spool, repeated after a crash) the id is also recorded in
   * queue_handovers, and an id recorded there before queues nothing: 'already' (its first copy may have been
   * delivered and removed meanwhile). `noNotice`: the worker's decision that the sender gets no notice (kept in
   * queue_envelopes.no_notice, migration 24; QueueState.noNotice in the file queue).
   */
  async enqueue(env: Envelope, body: Buffer, rcpts: NewRecipient[], c?: Client, opts: { handOver?: boolean; noNotice?: string } = {}): Promise<'queued' | 'already'> {
    const noNotice = keptNoNotice(opts.noNotice ?? null);
    if (noNotice instanceof Error) throw noNotice;
    const run = async (cl: Client): Promise<'queued' | 'already'> => {
      if (opts.handOver) {
        const h = await cl.query(`INSERT INTO queue_handovers (id, node, at) VALUES ($1, $2, ${DB_NOW}) ON CONFLICT (id) DO NOTHING`, [env.id, this.o.owner]);
        if (!h.rowCount) return 'already';
      }
      const sha = crypto.createHash('sha256').update(body).digest();
      // DO UPDATE (not NOTHING) locks the row, so a collector deleting it waits and then finds it referenced
      await cl.query('INSERT INTO queue_bodies (sha256, data, size) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO UPDATE SET size = EXCLUDED.size', [sha, body, body.length]);
      await cl.query(
        `INSERT INTO queue_envelopes (id, sender, envelope, size, body_sha256, created, node, no_notice) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [env.id, env.mailFrom, JSON.stringify(env), body.length, sha, env.time, this.o.owner, noNotice ?? null],
      );
      for (const r of rcpts) {
        await cl.query(
          `INSERT INTO queue_recipients (message_id, address, rcpt, dest, state, next_attempt, notify, orcpt)
           VALUES ($1, $2, $3, $4, 'pending', ${DB_NOW}, $5, $6) ON CONFLICT DO NOTHING`,
          [env.id, r.address, r.rcpt, r.dest, r.notify ?? null, r.orcpt ?? null],
        );
      }
      await cl.query(`SELECT pg_notify('tegami_queue', $1)`, [env.id]);
      return 'queued';
    };
    return c ? run(c) : inTransaction(this.pool, run);
  }

  /** Forget hand-overs older than `ageMs`: a spool entry that old is past its queue lifetime, never copied again. */
  async pruneHandOvers(ageMs: number): Promise<void> {
    await this.pool.query(`DELETE FROM queue_handovers WHERE at < ${DB_NOW} - $1`, [ageMs]);
  }

  /** Destination keys found to be spooler routes (one route, one key: its hold is the same for every row). */
  private spooled = new Set<string>();

  /** Destinations with recipients due and free now, the most overdue first; spooler routes left out. */
  private async dueDestinations(max: number): Promise<string[]> {
    const r = await this.pool.query<{ dest: string; addr: string }>(
      `SELECT r.dest, min(r.address) AS addr FROM queue_recipients r JOIN queue_envelopes e ON e.id = r.message_id
        WHERE ${OPEN} AND r.next_attempt <= ${DB_NOW} AND ${FREE} AND NOT e.held AND ${UNHELD} AND r.dest <> ALL($2::text[])
        GROUP BY r.dest ORDER BY min(r.next_attempt) LIMIT $1`,
      [max, [...this.spooled]],
    );
    const out: string[] = [];
    for (const x of r.rows) {
      const at = x.addr.lastIndexOf('@');
      if (this.o.routeHeld?.(x.addr.slice(at + 1).toLowerCase())) this.spooled.add(x.dest);
      else out.push(x.dest);
    }
    return out;
  }

  /**
   * Claim up to `limit` jobs. Per destination, in one transaction: an advisory lock on the destination (a node
   * claiming it at the same moment skips it instead of over-counting), the live leases on it counted over all
   * nodes (a job = one message leased to one owner), then at most cap − live messages' due recipients leased
   * with FOR UPDATE SKIP LOCKED. The lease is committed before this returns, so before any SMTP session.
   */
  async claim(limit: number, spoolerDest?: string): Promise<Claim[]> {
    const out: Claim[] = [];
    // (also when nothing is free: a probe of the database); `spoolerDest`: a spooler route found reachable
    const dests = spoolerDest !== undefined ? [spoolerDest] : await this.dueDestinations(32);
    if (limit <= 0) return out;
    for (const dest of dests) {
      if (out.length >= limit) break;
      const got = await inTransaction(this.pool, (c) => this.claimDest(c, dest, limit - out.length));
      out.push(...got);
    }
    return out;
  }

  private async claimDest(c: Client, dest: string, limit: number): Promise<Claim[]> {
    const lock = await c.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtextextended('tegami-queue-dest:' || $1, 0)) AS ok`, [dest]);
    if (!lock.rows[0].ok) return [];
    // a statement of its own, after the lock: its snapshot sees every claim committed before we got the lock
    const live = await c.query<{ n: string }>(
      `SELECT count(DISTINCT (message_id, owner)) AS n FROM queue_recipients WHERE dest = $1 AND owner IS NOT NULL AND lease_until > ${DB_NOW}`,
      [dest],
    );
    const free = Math.min(limit, this.o.cap(dest) - Number(live.rows[0].n));
    if (free <= 0) return [];
    const r = await c.query<{ message_id: string; address: string; prev: string | null }>(
      `WITH msgs AS (
         SELECT r.message_id FROM queue_recipients r JOIN queue_envelopes e ON e.id = r.message_id
          WHERE r.dest = $1 AND ${OPEN} AND r.next_attempt <= ${DB_NOW} AND ${FREE} AND NOT e.held AND ${UNHELD}
          GROUP BY r.message_id ORDER BY min(r.next_attempt), r.message_id LIMIT $2),
       picked AS (
         SELECT r.message_id, r.address, r.owner AS prev FROM queue_recipients r
          WHERE r.dest = $1 AND r.message_id IN (SELECT message_id FROM msgs)
            AND ${OPEN} AND r.next_attempt <= ${DB_NOW} AND ${FREE} AND ${UNHELD}
          FOR UPDATE SKIP LOCKED)
       UPDATE queue_recipients q SET owner = $3, lease_until = ${DB_NOW} + $4
         FROM picked WHERE q.message_id = picked.message_id AND q.address = picked.address
       RETURNING q.message_id, q.address, picked.prev`,
      [dest, free, this.o.owner, this.o.leaseMs],
    );
    const claims = this.group(dest, r.rows);
    await this.countTakeovers(c, claims, 'lease-takeover');
    return claims;
  }

  private group(dest: string, rows: { message_id: string; address: string; prev: string | null }[]): Claim[] {
    const by = new Map<string, Claim>();
    for (const x of rows) {
      const cl = by.get(x.message_id) ?? { messageId: x.message_id, dest, addresses: [], takenOver: [] };
      cl.addresses.push(x.address);
      if (x.prev !== null) cl.takenOver.push({ address: x.address, from: x.prev });
      by.set(x.message_id, cl);
    }
    return [...by.values()];
  }

  private async countTakeovers(c: Client | pg.Pool, claims: Claim[], kind: string): Promise<void> {
    for (const cl of claims) {
      for (const t of cl.takenOver) {
        await c.query(`INSERT INTO queue_events (at, kind, node, message_id, address, detail) VALUES (${DB_NOW}, $1, $2, $3, $4, $5)`, [kind, this.o.owner, cl.messageId, t.address, t.from]);
      }
    }
  }

  /**
   * At start: the open recipients this node's name still holds (it was restarted after a crash), renewed and
   * returned as jobs at once, whether or not their leases expired meanwhile. Each is in the duplicate window.
   */
  async reclaimOwn(): Promise<Claim[]> {
    return inTransaction(this.pool, async (c) => {
      const r = await c.query<{ message_id: string; address: string; dest: string }>(
        `UPDATE queue_recipients r SET lease_until = ${DB_NOW} + $2 WHERE owner = $1 AND ${OPEN} RETURNING message_id, address, dest`,
        [this.o.owner, this.o.leaseMs],
      );
      const byDest = new Map<string, { message_id: string; address: string; prev: string }[]>();
      for (const x of r.rows) byDest.set(x.dest, [...(byDest.get(x.dest) ?? []), { ...x, prev: this.o.owner }]);
      const claims = [...byDest].flatMap(([dest, rows]) => this.group(dest, rows));
      await this.countTakeovers(c, claims, 'lease-reclaimed');
      return claims;
    });
  }

  /**
   * Give claimed recipients back unattempted (a node stopping between a claim and its jobs, or a job that failed
   * before its attempt), due again no sooner than `dueInMs` from now.
   */
  async release(claims: Claim[], dueInMs = 0): Promise<void> {
    for (const c of claims) {
      await this.pool.query(
        `UPDATE queue_recipients SET owner = NULL, lease_until = NULL, next_attempt = GREATEST(next_attempt, ${DB_NOW} + $4)
          WHERE message_id = $1 AND address = ANY($2::text[]) AND owner = $3`,
        [c.messageId, c.addresses, this.o.owner, dueInMs],
      );
    }
  }

  /** Heartbeat: extend every lease this node holds; returns "id|address" of those still held. */
  async renew(): Promise<Set<string>> {
    const r = await this.pool.query<{ message_id: string; address: string }>(
      `UPDATE queue_recipients r SET lease_until = ${DB_NOW} + $2 WHERE owner = $1 AND ${OPEN} RETURNING message_id, address`,
      [this.o.owner, this.o.leaseMs],
    );
    return new Set(r.rows.map((x) => `${x.message_id}|${x.address}`));
  }

  /** The envelope (checked against its schema: it was read from another system) and the body bytes. */
  async load(id: string): Promise<StoredMessage | { corrupt: string } | null> {
    const r = await this.pool.query<{ envelope: unknown; data: Buffer; body_sha256: Buffer; no_notice: unknown }>(
      'SELECT e.envelope, b.data, e.body_sha256, e.no_notice FROM queue_envelopes e JOIN queue_bodies b ON b.sha256 = e.body_sha256 WHERE e.id = $1',
      [id],
    );
    if (!r.rows.length) return null;
    const row = r.rows[0];
    const env = envelopeSchema.safeParse(row.envelope);
    if (!env.success) return { corrupt: `bad envelope: ${schemaReason(env.error)}` };
    if (env.data.id !== id) return { corrupt: `the envelope names ${JSON.stringify(env.data.id)}` };
    const noNotice = keptNoNotice(row.no_notice);
    if (noNotice instanceof Error) return { corrupt: noNotice.message };
    if (!crypto.createHash('sha256').update(row.data).digest().equals(row.body_sha256)) return { corrupt: 'the body does not match its SHA-256' };
    return { envelope: env.data, body: row.data };
  }

  /** A damaged message: held (never claimed again, never deleted) for the operator, our leases released. */
  async quarantine(id: string): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query('UPDATE queue_envelopes SET held = true WHERE id = $1', [id]);
      await c.query('UPDATE queue_recipients SET owner = NULL, lease_until = NULL WHERE message_id = $1 AND owner = $2', [id, this.o.owner]);
    });
  }

  /**
   * Record an attempt of the job that claimed `addresses`: in one transaction, lock the message row, build
   * its state from its rows (only those of `addresses` this node still holds a lease on are marked as ours),
   * let `apply` change it in memory (outcomes, back-off, notices — enqueued in this same transaction), then
   * write back the recipients we hold and
   * release their leases; a message with no open recipient left is removed. Recording twice, or after the
   * lease was taken over, writes nothing: `held` is then empty.
   */
  async record(id: string, addresses: readonly string[], apply: (st: QueueState, ours: Set<string>, c: Client) => Promise<void>): Promise<{ written: number; removed: boolean }> {
    const job = new Set(addresses);
    const out = await inTransaction(this.pool, async (c) => {
      const m = await c.query<{ created: string; held: boolean; delay_warned: boolean; body_sha256: Buffer; no_notice: unknown }>(
        'SELECT created, held, delay_warned, body_sha256, no_notice FROM queue_envelopes WHERE id = $1 FOR UPDATE',
        [id],
      );
      if (!m.rows.length) return { written: 0, removed: false, sha: null };
      const rows = (await c.query<RecipientRow>('SELECT * FROM queue_recipients WHERE message_id = $1 ORDER BY address FOR UPDATE', [id])).rows;
      const st: QueueState = { id, created: Number(m.rows[0].created), held: m.rows[0].held, delayWarned: m.rows[0].delay_warned, recipients: rows.map(toState) };
      // checked again (load() quarantines a bad one before the attempt); one damaged since gives no notice, never a wrong one
      const noNotice = keptNoNotice(m.rows[0].no_notice);
      if (noNotice instanceof Error) st.noNotice = noNotice.message;
      else if (noNotice) st.noNotice = noNotice;
      // only this job's recipients: the same message's recipients at another destination may be in another
      // job of this node, still running, whose leases must stay
      const ours = new Set(rows.filter((r) => r.owner === this.o.owner && job.has(r.address) && (r.state === 'pending' || r.state === 'deferred')).map((r) => r.address));
      await apply(st, ours, c);
      let written = 0;
      for (const r of st.recipients) {
        if (!ours.has(r.address)) continue;
        const u = await c.query(
          `UPDATE queue_recipients SET state = $3, attempts = $4, next_attempt = $5, last_attempt = $6, last_reply = $7, owner = NULL, lease_until = NULL
            WHERE message_id = $1 AND address = $2 AND owner = $8`,
          [id, r.address, r.status, r.attempts, Math.round(r.nextAttempt), r.lastAttempt ?? null, r.lastError ?? null, this.o.owner],
        );
        written += u.rowCount ?? 0;
      }
      // a slot of the destination is free again: every node may claim (polling covers a lost notification)
      if (written) await c.query(`SELECT pg_notify('tegami_queue', $1)`, [id]);
      const open = st.recipients.some((r) => r.status === 'pending' || r.status === 'deferred');
      if (!open) await c.query('DELETE FROM queue_envelopes WHERE id = $1', [id]);
      else if (st.delayWarned && !m.rows[0].delay_warned) await c.query('UPDATE queue_envelopes SET delay_warned = true WHERE id = $1', [id]);
      return { written, removed: !open, sha: open ? null : m.rows[0].body_sha256 };
    });
    // the body goes when no message uses it any more (another may share it; one enqueued meanwhile keeps it)
    if (out.sha) await this.pool.query('DELETE FROM queue_bodies b WHERE sha256 = $1 AND NOT EXISTS (SELECT 1 FROM queue_envelopes e WHERE e.body_sha256 = $1)', [out.sha]).catch(() => undefined);
    return { written: out.written, removed: out.removed };
  }
}

/** The longest no-notice reason kept (as QueueState.noNotice is checked in the file queue: state.ts). */
const MAX_NO_NOTICE = 200;

/**
 * queue_envelopes.no_notice as read from the database (or about to be written), checked before use: null, undefined
 * or "" (none), a string of at most 200 characters (the reason), or an Error saying what is wrong with it.
 */
export function keptNoNotice(v: unknown): string | undefined | Error {
  if (v === null || v === undefined || v === '') return undefined; // ('' gives notices in the file queue too)
  if (typeof v !== 'string') return new Error(`bad no_notice: a ${typeof v}, not text`);
  if (v.length > MAX_NO_NOTICE) return new Error(`bad no_notice: ${v.length} characters, over ${MAX_NO_NOTICE}`);
  return v;
}

interface RecipientRow {
  address: string;
  rcpt: string;
  state: RecipientState['status'];
  attempts: number;
  next_attempt: string;
  last_attempt: string | null;
  last_reply: string | null;
  notify: string[] | null;
  orcpt: string | null;
  owner: string | null;
}

function toState(r: RecipientRow): RecipientState {
  return {
    address: r.address,
    rcpt: r.rcpt,
    kind: 'remote',
    status: r.state,
    attempts: r.attempts,
    nextAttempt: Number(r.next_attempt),
    lastAttempt: r.last_attempt === null ? undefined : Number(r.last_attempt),
    lastError: r.last_reply ?? undefined,
    notify: r.notify ?? undefined,
    orcpt: r.orcpt ?? undefined,
  };
}
