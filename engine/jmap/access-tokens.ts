// App tokens for JMAP clients that cannot use the webmail's cookie session (RFC 8620 §8.2 recommends one per
// client instead of the account password): "tgj_" + 256 random bits, shown once, kept only as SHA-256, revocable.
// A token gives no rights of its own: each use re-reads the account. Separate from the admin API's tokens.
import type { Db } from '../db/database.js';
import { newSecret, sha256 } from '../web/session-store.js';

const PREFIX = 'tgj_';
const FORMAT = /^tgj_[A-Za-z0-9_-]{43}$/;
const USE_RECORDED_EVERY_MS = 60_000;

export interface JmapTokenInfo {
  id: number;
  address: string;
  label: string;
  created: number;
  lastUsed: number | null;
}

interface Row {
  id: number;
  address: string;
  label: string;
  created: number;
  last_used: number | null;
}

export class JmapTokens {
  private q;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.q = {
      insert: db.prepare('INSERT INTO jmap_tokens (hash, address, label, created) VALUES (?, ?, ?, ?)'),
      byHash: db.prepare<[string], Row>('SELECT id, address, label, created, last_used FROM jmap_tokens WHERE hash = ?'),
      used: db.prepare('UPDATE jmap_tokens SET last_used = ? WHERE id = ?'),
      list: db.prepare<[string], Row>('SELECT id, address, label, created, last_used FROM jmap_tokens WHERE address = ? ORDER BY id'),
      revoke: db.prepare('DELETE FROM jmap_tokens WHERE id = ? AND address = ?'),
      revokeAll: db.prepare('DELETE FROM jmap_tokens WHERE address = ?'),
    };
  }

  /** A new token for an account; the plain token is returned here and never again. */
  create(address: string, label = ''): { token: string; info: JmapTokenInfo } {
    const token = PREFIX + newSecret();
    const now = this.now();
    const r = this.q.insert.run(sha256(token), address.toLowerCase(), label.slice(0, 100), now);
    return { token, info: { id: Number(r.lastInsertRowid), address: address.toLowerCase(), label: label.slice(0, 100), created: now, lastUsed: null } };
  }

  verify(token: string): JmapTokenInfo | null {
    if (!FORMAT.test(token)) return null;
    const row = this.q.byHash.get(sha256(token));
    if (!row) return null;
    const now = this.now();
    if (row.last_used === null || now - row.last_used >= USE_RECORDED_EVERY_MS) {
      this.q.used.run(now, row.id);
      row.last_used = now;
    }
    return { id: row.id, address: row.address, label: row.label, created: row.created, lastUsed: row.last_used };
  }

  list(address: string): JmapTokenInfo[] {
    return this.q.list.all(address.toLowerCase()).map((r) => ({ id: r.id, address: r.address, label: r.label, created: r.created, lastUsed: r.last_used }));
  }

  revoke(id: number, address: string): boolean {
    return this.q.revoke.run(id, address.toLowerCase()).changes > 0;
  }

  revokeAll(address: string): number {
    return this.q.revokeAll.run(address.toLowerCase()).changes;
  }
}
