// What moves on a list, beside its settings (engine/accounts/list-directory.ts): held posts, requests
// waiting for confirmation or approval, bounce events, distributed posts (the dedup record), originated
// batches and the digest counters. An interface with its SQLite implementation; rows only, no mail.
import type { Db } from '../db/database.js';

export type HeldState = 'held' | 'approved' | 'rejected';

export interface HeldPost {
  id: string;
  list: string;
  postKey: string;
  /** The poster (From: address, else the envelope sender). */
  sender: string;
  mailFrom: string;
  subject: string;
  size: number;
  reason: string;
  state: HeldState;
  notified: boolean;
  created: number;
  expires: number;
}

export type RequestKind = 'subscribe' | 'unsubscribe' | 'digest' | 'nodigest';
export type RequestState = 'confirm' | 'approval';

export interface ListRequest {
  id: string;
  list: string;
  address: string;
  kind: RequestKind;
  state: RequestState;
  digest: boolean;
  created: number;
  expires: number;
}

export type BounceKind = 'hard' | 'policy' | 'soft' | 'unknown';

/** A list's moderation queue limits ([lists] max_held, max_held_bytes). */
export interface HeldCap {
  posts: number;
  bytes: number;
}

/** The cap a new held post of `size` bytes would pass, given the list's waiting posts, or null while it fits. */
export function capPassed(waiting: { n: number; bytes: number }, size: number, cap: HeldCap): string | null {
  if (waiting.n >= cap.posts) return `${cap.posts} posts`;
  if (waiting.bytes + size > cap.bytes) return `${cap.bytes} bytes`;
  return null;
}

/** A value, or a promise of it: the SQLite activity answers at once, the PostgreSQL one (pg-activity.ts) later. */
export type Awaitable<T> = T | Promise<T>;

export interface ListActivity {
  /** Node-local records only (digest state, digest batch marks): one SQLite transaction on either backend. */
  transaction<T>(fn: () => T): T;

  /**
   * Hold a post; `raw` is kept with the row when the activity keeps bodies (PostgreSQL), else in held/ on disk.
   * With `cap`, the list's waiting posts are counted and the row inserted in one transaction (two posts arriving at
   * once cannot both pass it): the cap it would pass ("200 posts", "104857600 bytes") is returned and nothing is
   * kept; null when held (or held before under the same post key).
   */
  hold(p: Omit<HeldPost, 'state' | 'notified'>, raw?: Buffer, cap?: HeldCap): Awaitable<string | null>;
  /** The activity keeps held posts' bytes itself (shared by every node): heldBody() reads them back. */
  readonly keepsBodies?: boolean;
  heldBody?(id: string): Promise<Buffer | null>;
  heldPosts(list: string): Awaitable<HeldPost[]>;
  heldById(id: string): Awaitable<HeldPost | undefined>;
  heldByKey(list: string, postKey: string): Awaitable<HeldPost | undefined>;
  setHeldState(id: string, state: HeldState): Awaitable<boolean>;
  markNotified(id: string): Awaitable<void>;
  removeHeld(id: string): Awaitable<void>;
  /** Held posts decided from outside the worker (CLI), and those past their expiry. */
  decidedHeld(): Awaitable<HeldPost[]>;
  expiredHeld(now: number): Awaitable<HeldPost[]>;

  request(list: string, address: string, kind: RequestKind): Awaitable<ListRequest | undefined>;
  requestById(id: string): Awaitable<ListRequest | undefined>;
  addRequest(r: ListRequest): Awaitable<void>;
  setRequestState(id: string, state: RequestState, expires: number): Awaitable<void>;
  removeRequest(id: string): Awaitable<void>;
  expiredRequests(now: number): Awaitable<ListRequest[]>;

  recordBounce(list: string, address: string, at: number, status: string, kind: BounceKind, counted: boolean): Awaitable<void>;
  lastCountedBounce(list: string, address: string): Awaitable<number | undefined>;
  bounceScore(list: string, address: string, since: number): Awaitable<number>;
  clearBounces(list: string, address: string): Awaitable<void>;

  posted(list: string, postKey: string): Awaitable<boolean>;
  /**
   * Record a distributed post and commit its batch (call inside originate's commit). False: another node
   * recorded this post first (PostgreSQL), so this node's staged copies must not go out.
   */
  recordPost(list: string, postKey: string, batch: string, at: number): Awaitable<void | boolean>;
  markBatch(batch: string, at: number): void;
  batchCommitted(batch: string): Awaitable<boolean>;

  /** Count one automatic reply to `address` today; returns the count including this one. */
  countReply(list: string, address: string, day: number): Awaitable<number>;

  digestState(list: string): { last: number; issue: number };
  setDigestState(list: string, last: number, issue: number): void;

  /** Drop records older than `before` (posts, bounces, batches, reply counters). */
  prune(before: number): Awaitable<void>;
}

/** A held post's row as SQLite (integers) or PostgreSQL (bigint as text, booleans) answers it. */
export interface HeldRow {
  id: string;
  list: string;
  post_key: string;
  sender: string;
  mail_from: string;
  subject: string;
  size: number | string;
  reason: string;
  state: string;
  notified: number | boolean;
  created: number | string;
  expires: number | string;
}

/** A request's row, from either database. */
export interface RequestRow {
  id: string;
  list: string;
  address: string;
  kind: string;
  state: string;
  digest: number | boolean;
  created: number | string;
  expires: number | string;
}

export class SqliteActivity implements ListActivity {
  constructor(private readonly db: Db) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  hold(p: Omit<HeldPost, 'state' | 'notified'>, _raw?: Buffer, cap?: HeldCap): string | null {
    // IMMEDIATE: worker threads holding posts for one list at once count each other's rows
    return this.db
      .transaction((): string | null => {
        if (cap && !this.db.prepare('SELECT 1 FROM list_held WHERE list = ? AND post_key = ?').get(p.list, p.postKey)) {
          const w = this.db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM list_held WHERE list = ? AND state = 'held'").get(p.list) as { n: number; bytes: number };
          const full = capPassed(w, p.size, cap);
          if (full) return full;
        }
        this.db
          .prepare('INSERT OR IGNORE INTO list_held (id, list, post_key, sender, mail_from, subject, size, reason, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(p.id, p.list, p.postKey, p.sender, p.mailFrom, p.subject, p.size, p.reason, p.created, p.expires);
        return null;
      })
      .immediate();
  }

  heldPosts(list: string): HeldPost[] {
    return (this.db.prepare('SELECT * FROM list_held WHERE list = ? ORDER BY created, id').all(list) as HeldRow[]).map(toHeld);
  }

  heldById(id: string): HeldPost | undefined {
    const r = this.db.prepare('SELECT * FROM list_held WHERE id = ?').get(id) as HeldRow | undefined;
    return r ? toHeld(r) : undefined;
  }

  heldByKey(list: string, postKey: string): HeldPost | undefined {
    const r = this.db.prepare('SELECT * FROM list_held WHERE list = ? AND post_key = ?').get(list, postKey) as HeldRow | undefined;
    return r ? toHeld(r) : undefined;
  }

  setHeldState(id: string, state: HeldState): boolean {
    return this.db.prepare("UPDATE list_held SET state = ? WHERE id = ? AND state = 'held'").run(state, id).changes > 0;
  }

  markNotified(id: string): void {
    this.db.prepare('UPDATE list_held SET notified = 1 WHERE id = ?').run(id);
  }

  removeHeld(id: string): void {
    this.db.prepare('DELETE FROM list_held WHERE id = ?').run(id);
  }

  decidedHeld(): HeldPost[] {
    return (this.db.prepare("SELECT * FROM list_held WHERE state != 'held' ORDER BY created LIMIT 100").all() as HeldRow[]).map(toHeld);
  }

  expiredHeld(now: number): HeldPost[] {
    return (this.db.prepare("SELECT * FROM list_held WHERE state = 'held' AND expires <= ? ORDER BY created LIMIT 100").all(now) as HeldRow[]).map(toHeld);
  }

  request(list: string, address: string, kind: RequestKind): ListRequest | undefined {
    const r = this.db.prepare('SELECT * FROM list_requests WHERE list = ? AND address = ? AND kind = ?').get(list, address, kind) as RequestRow | undefined;
    return r ? toRequest(r) : undefined;
  }

  requestById(id: string): ListRequest | undefined {
    const r = this.db.prepare('SELECT * FROM list_requests WHERE id = ?').get(id) as RequestRow | undefined;
    return r ? toRequest(r) : undefined;
  }

  addRequest(r: ListRequest): void {
    this.db
      .prepare('INSERT OR REPLACE INTO list_requests (id, list, address, kind, state, digest, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.id, r.list, r.address, r.kind, r.state, +r.digest, r.created, r.expires);
  }

  setRequestState(id: string, state: RequestState, expires: number): void {
    this.db.prepare('UPDATE list_requests SET state = ?, expires = ? WHERE id = ?').run(state, expires, id);
  }

  removeRequest(id: string): void {
    this.db.prepare('DELETE FROM list_requests WHERE id = ?').run(id);
  }

  expiredRequests(now: number): ListRequest[] {
    return (this.db.prepare('SELECT * FROM list_requests WHERE expires <= ? LIMIT 500').all(now) as RequestRow[]).map(toRequest);
  }

  recordBounce(list: string, address: string, at: number, status: string, kind: BounceKind, counted: boolean): void {
    this.db.prepare('INSERT INTO list_bounces (list, address, at, status, kind, counted) VALUES (?, ?, ?, ?, ?, ?)').run(list, address, at, status, kind, +counted);
  }

  lastCountedBounce(list: string, address: string): number | undefined {
    const r = this.db.prepare('SELECT MAX(at) AS at FROM list_bounces WHERE list = ? AND address = ? AND counted = 1').get(list, address) as { at: number | null };
    return r.at ?? undefined;
  }

  bounceScore(list: string, address: string, since: number): number {
    const r = this.db.prepare('SELECT COUNT(*) AS n FROM list_bounces WHERE list = ? AND address = ? AND counted = 1 AND at >= ?').get(list, address, since) as { n: number };
    return r.n;
  }

  clearBounces(list: string, address: string): void {
    this.db.prepare('DELETE FROM list_bounces WHERE list = ? AND address = ?').run(list, address);
  }

  posted(list: string, postKey: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM list_posts WHERE list = ? AND post_key = ?').get(list, postKey);
  }

  recordPost(list: string, postKey: string, batch: string, at: number): void {
    this.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO list_posts (list, post_key, created) VALUES (?, ?, ?)').run(list, postKey, at);
      this.markBatch(batch, at);
    });
  }

  markBatch(batch: string, at: number): void {
    this.db.prepare('INSERT OR IGNORE INTO originated_batches (batch, created) VALUES (?, ?)').run(batch, at);
  }

  batchCommitted(batch: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM originated_batches WHERE batch = ?').get(batch);
  }

  countReply(list: string, address: string, day: number): number {
    return this.transaction(() => {
      this.db
        .prepare('INSERT INTO list_replies (list, address, day, count) VALUES (?, ?, ?, 1) ON CONFLICT(list, address, day) DO UPDATE SET count = count + 1')
        .run(list, address, day);
      return (this.db.prepare('SELECT count FROM list_replies WHERE list = ? AND address = ? AND day = ?').get(list, address, day) as { count: number }).count;
    });
  }

  digestState(list: string): { last: number; issue: number } {
    const r = this.db.prepare('SELECT digest_last, digest_issue FROM lists WHERE address = ?').get(list) as { digest_last: number; digest_issue: number } | undefined;
    return { last: r?.digest_last ?? 0, issue: r?.digest_issue ?? 0 };
  }

  setDigestState(list: string, last: number, issue: number): void {
    this.db.prepare('UPDATE lists SET digest_last = ?, digest_issue = ? WHERE address = ?').run(last, issue, list);
  }

  prune(before: number): void {
    this.transaction(() => {
      this.db.prepare('DELETE FROM list_posts WHERE created < ?').run(before);
      this.db.prepare('DELETE FROM list_bounces WHERE at < ?').run(before);
      this.db.prepare('DELETE FROM originated_batches WHERE created < ?').run(before);
      this.db.prepare('DELETE FROM list_replies WHERE day < ?').run(Math.floor(before / 86_400_000));
    });
  }
}

export function toHeld(r: HeldRow): HeldPost {
  return {
    id: r.id,
    list: r.list,
    postKey: r.post_key,
    sender: r.sender,
    mailFrom: r.mail_from,
    subject: r.subject,
    size: Number(r.size),
    reason: r.reason,
    state: r.state as HeldState,
    notified: !!r.notified,
    created: Number(r.created),
    expires: Number(r.expires),
  };
}

export function toRequest(r: RequestRow): ListRequest {
  return { id: r.id, list: r.list, address: r.address, kind: r.kind as RequestKind, state: r.state as RequestState, digest: !!r.digest, created: Number(r.created), expires: Number(r.expires) };
}
