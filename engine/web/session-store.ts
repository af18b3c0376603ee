// Server-side web sessions in the main database: a random 256-bit id lives only in the browser's cookie,
// the table keeps its SHA-256, the owner, the kind of server (admin/webmail), the CSRF token and times.
// A session past its idle timeout or absolute lifetime is gone; an id is never taken from the client.
import crypto from 'node:crypto';
import type { Db } from '../db/database.js';
import type { WebKind } from './types.js';

export interface SessionRecord {
  idHash: string;
  kind: WebKind;
  address: string;
  csrf: string;
  ip: string;
  created: number;
  lastSeen: number;
}

export interface SessionOptions {
  /** Inactivity after which a session ends (default 30 min). */
  idleMs: number;
  /** Time after login after which a session ends whatever happens (default 12 h). */
  lifetimeMs: number;
  /** Sessions one account may hold per kind; the oldest go first (default 20). */
  maxPerUser: number;
}

/**
 * What the web servers use: this SQLite store (synchronous, a single node) or PgSessionStore (engine/web/
 * pg-session-store.ts: the shared rows on PostgreSQL, so any node knows every session). Callers await each answer.
 */
export interface WebSessions {
  readonly opts: SessionOptions;
  create(kind: WebKind, address: string, ip: string): MaybePromise<{ id: string; session: SessionRecord }>;
  find(kind: WebKind, id: string): MaybePromise<SessionRecord | null>;
  destroy(id: string): MaybePromise<void>;
  destroyRecord(s: SessionRecord): MaybePromise<void>;
  destroyFor(address: string, kind?: WebKind): MaybePromise<number>;
  sweep(): MaybePromise<number>;
}

type MaybePromise<T> = T | Promise<T>;

export const DEFAULT_SESSION_OPTIONS: SessionOptions = { idleMs: 30 * 60_000, lifetimeMs: 12 * 3_600_000, maxPerUser: 20 };

/** last_seen is written at most this often per session, so reading pages does not write on every request. */
export const TOUCH_EVERY_MS = 15_000;

const ID_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export const newSecret = (): string => crypto.randomBytes(32).toString('base64url');
export const sha256 = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');
export const looksLikeSecret = (s: string): boolean => ID_FORMAT.test(s);

interface Row {
  id_hash: string;
  kind: string;
  address: string;
  csrf: string;
  ip: string;
  created: number;
  last_seen: number;
}

export class SessionStore implements WebSessions {
  private q;

  constructor(
    db: Db,
    readonly opts: SessionOptions = DEFAULT_SESSION_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {
    this.q = {
      insert: db.prepare('INSERT INTO web_sessions (id_hash, kind, address, csrf, ip, created, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      get: db.prepare<[string, string], Row>('SELECT * FROM web_sessions WHERE id_hash = ? AND kind = ?'),
      touch: db.prepare('UPDATE web_sessions SET last_seen = ? WHERE id_hash = ?'),
      delete: db.prepare('DELETE FROM web_sessions WHERE id_hash = ?'),
      deleteFor: db.prepare('DELETE FROM web_sessions WHERE address = ?'),
      deleteForKind: db.prepare('DELETE FROM web_sessions WHERE address = ? AND kind = ?'),
      oldest: db.prepare<[string, string, number], { id_hash: string }>(
        'SELECT id_hash FROM web_sessions WHERE address = ? AND kind = ? ORDER BY last_seen DESC LIMIT -1 OFFSET ?',
      ),
      sweep: db.prepare('DELETE FROM web_sessions WHERE last_seen < ? OR created < ?'),
    };
  }

  /** A new session for a user who just logged in; the id is returned once, for the cookie. */
  create(kind: WebKind, address: string, ip: string): { id: string; session: SessionRecord } {
    const id = newSecret();
    const now = this.now();
    const session: SessionRecord = { idHash: sha256(id), kind, address, csrf: newSecret(), ip, created: now, lastSeen: now };
    this.q.insert.run(session.idHash, kind, address, session.csrf, ip.slice(0, 64), now, now);
    for (const r of this.q.oldest.all(address, kind, this.opts.maxPerUser)) this.q.delete.run(r.id_hash);
    return { id, session };
  }

  /** The live session a cookie value names on this kind of server, or null (unknown, expired, other kind). */
  find(kind: WebKind, id: string): SessionRecord | null {
    if (!looksLikeSecret(id)) return null;
    const row = this.q.get.get(sha256(id), kind);
    if (!row) return null;
    const now = this.now();
    if (now - row.last_seen >= this.opts.idleMs || now - row.created >= this.opts.lifetimeMs) {
      this.q.delete.run(row.id_hash);
      return null;
    }
    if (now - row.last_seen >= TOUCH_EVERY_MS) {
      this.q.touch.run(now, row.id_hash);
      row.last_seen = now;
    }
    return { idHash: row.id_hash, kind: row.kind as WebKind, address: row.address, csrf: row.csrf, ip: row.ip, created: row.created, lastSeen: row.last_seen };
  }

  destroy(id: string): void {
    if (looksLikeSecret(id)) this.q.delete.run(sha256(id));
  }

  destroyRecord(s: SessionRecord): void {
    this.q.delete.run(s.idHash);
  }

  /** End every session of an account (password change, account disabled), on one kind or all. */
  destroyFor(address: string, kind?: WebKind): number {
    return (kind ? this.q.deleteForKind.run(address.toLowerCase(), kind) : this.q.deleteFor.run(address.toLowerCase())).changes;
  }

  /** Remove expired sessions; returns how many. */
  sweep(): number {
    const now = this.now();
    return this.q.sweep.run(now - this.opts.idleMs, now - this.opts.lifetimeMs).changes;
  }
}
