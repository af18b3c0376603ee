// Web sessions on [storage] backend = "postgres": the same rules as the SQLite store (engine/web/session-store.ts),
// read and written per row in PostgreSQL's web_sessions, so a session made on one node is valid on every node and
// a logout, a password change or an account disabled on one node ends it on all of them at once. It never keeps
// a session in memory or in the node's SQLite copy: every request asks the database (one indexed read).
import type pg from 'pg';
import type { WebKind } from './types.js';
import { DEFAULT_SESSION_OPTIONS, looksLikeSecret, newSecret, sha256, TOUCH_EVERY_MS, type SessionOptions, type SessionRecord, type WebSessions } from './session-store.js';

interface Row {
  id_hash: string;
  kind: string;
  address: string;
  csrf: string;
  ip: string;
  created: string;
  last_seen: string;
}

export class PgSessionStore implements WebSessions {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    readonly opts: SessionOptions = DEFAULT_SESSION_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {}

  async create(kind: WebKind, address: string, ip: string): Promise<{ id: string; session: SessionRecord }> {
    const id = newSecret();
    const now = this.now();
    const session: SessionRecord = { idHash: sha256(id), kind, address, csrf: newSecret(), ip, created: now, lastSeen: now };
    // the new row and the cap on the account's sessions in one statement: the oldest beyond the cap go
    // (the DELETE does not see the row inserted beside it, hence one fewer kept there)
    await this.pool.query(
      `WITH ins AS (INSERT INTO web_sessions (id_hash, kind, address, csrf, ip, created, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $6))
       DELETE FROM web_sessions WHERE id_hash IN (SELECT id_hash FROM web_sessions WHERE address = $3 AND kind = $2 ORDER BY last_seen DESC, id_hash OFFSET $7)`,
      [session.idHash, kind, address, session.csrf, ip.slice(0, 64), now, Math.max(0, this.opts.maxPerUser - 1)],
    );
    return { id, session };
  }

  async find(kind: WebKind, id: string): Promise<SessionRecord | null> {
    if (!looksLikeSecret(id)) return null;
    const row = (await this.pool.query<Row>('SELECT id_hash, kind, address, csrf, ip, created, last_seen FROM web_sessions WHERE id_hash = $1 AND kind = $2', [sha256(id), kind])).rows[0];
    if (!row) return null;
    const now = this.now();
    const created = Number(row.created);
    let lastSeen = Number(row.last_seen);
    if (now - lastSeen >= this.opts.idleMs || now - created >= this.opts.lifetimeMs) {
      await this.pool.query('DELETE FROM web_sessions WHERE id_hash = $1', [row.id_hash]);
      return null;
    }
    if (now - lastSeen >= TOUCH_EVERY_MS) {
      // another node may have touched it meanwhile: never move last_seen back
      await this.pool.query('UPDATE web_sessions SET last_seen = GREATEST(last_seen, $1) WHERE id_hash = $2', [now, row.id_hash]);
      lastSeen = now;
    }
    return { idHash: row.id_hash, kind: row.kind as WebKind, address: row.address, csrf: row.csrf, ip: row.ip, created, lastSeen };
  }

  async destroy(id: string): Promise<void> {
    if (looksLikeSecret(id)) await this.pool.query('DELETE FROM web_sessions WHERE id_hash = $1', [sha256(id)]);
  }

  async destroyRecord(s: SessionRecord): Promise<void> {
    await this.pool.query('DELETE FROM web_sessions WHERE id_hash = $1', [s.idHash]);
  }

  async destroyFor(address: string, kind?: WebKind): Promise<number> {
    const r = kind
      ? await this.pool.query('DELETE FROM web_sessions WHERE address = $1 AND kind = $2', [address.toLowerCase(), kind])
      : await this.pool.query('DELETE FROM web_sessions WHERE address = $1', [address.toLowerCase()]);
    return r.rowCount ?? 0;
  }

  async sweep(): Promise<number> {
    const now = this.now();
    return (await this.pool.query('DELETE FROM web_sessions WHERE last_seen < $1 OR created < $2', [now - this.opts.idleMs, now - this.opts.lifetimeMs])).rowCount ?? 0;
  }
}
