// Bearer tokens: 256 random bits shown once at creation (a prefix + base64url), kept only as SHA-256, revocable
// per account. One store, two kinds in two tables: the admin API's ("tgm_", api_tokens) and JMAP app tokens
// ("tgj_", jmap_tokens, engine/jmap/access-tokens.ts). A token carries no rights of its own: each use is checked
// against the account's current rights, so a demoted or disabled account's tokens stop working at once.
import type { Db } from '../db/database.js';
import { newSecret, sha256 } from './session-store.js';

const USE_RECORDED_EVERY_MS = 60_000;

/** Which kind of token: its table and the prefix that tells the kinds apart at a glance. */
export interface TokenKind {
  table: 'api_tokens' | 'jmap_tokens';
  prefix: 'tgm_' | 'tgj_';
}

export const ADMIN_TOKENS: TokenKind = { table: 'api_tokens', prefix: 'tgm_' };

export interface TokenInfo {
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

export class TokenStore {
  private q;
  private readonly format: RegExp;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
    private readonly kind: TokenKind = ADMIN_TOKENS,
  ) {
    const t = kind.table;
    this.format = new RegExp(`^${kind.prefix}[A-Za-z0-9_-]{43}$`);
    this.q = {
      insert: db.prepare(`INSERT INTO ${t} (hash, address, label, created) VALUES (?, ?, ?, ?)`),
      byHash: db.prepare<[string], Row>(`SELECT id, address, label, created, last_used FROM ${t} WHERE hash = ?`),
      used: db.prepare(`UPDATE ${t} SET last_used = ? WHERE id = ?`),
      list: db.prepare<[string], Row>(`SELECT id, address, label, created, last_used FROM ${t} WHERE address = ? ORDER BY id`),
      revokeAll: db.prepare(`DELETE FROM ${t} WHERE address = ?`),
      revokeOne: db.prepare(`DELETE FROM ${t} WHERE id = ? AND address = ?`),
    };
  }

  /** A new token for an account; the plain token is returned here and never again. */
  create(address: string, label = ''): { token: string; info: TokenInfo } {
    const token = this.kind.prefix + newSecret();
    const now = this.now();
    const r = this.q.insert.run(sha256(token), address.toLowerCase(), label.slice(0, 100), now);
    return { token, info: { id: Number(r.lastInsertRowid), address: address.toLowerCase(), label: label.slice(0, 100), created: now, lastUsed: null } };
  }

  /** The token's record if it exists (not revoked); null for anything else. */
  verify(token: string): TokenInfo | null {
    if (!this.format.test(token)) return null;
    const row = this.q.byHash.get(sha256(token));
    if (!row) return null;
    const now = this.now();
    if (row.last_used === null || now - row.last_used >= USE_RECORDED_EVERY_MS) {
      this.q.used.run(now, row.id);
      row.last_used = now;
    }
    return toInfo(row);
  }

  list(address: string): TokenInfo[] {
    return this.q.list.all(address.toLowerCase()).map(toInfo);
  }

  /** Revoke every token of an account; returns how many there were. */
  revokeAll(address: string): number {
    return this.q.revokeAll.run(address.toLowerCase()).changes;
  }

  revoke(id: number, address: string): boolean {
    return this.q.revokeOne.run(id, address.toLowerCase()).changes > 0;
  }
}

function toInfo(r: Row): TokenInfo {
  return { id: r.id, address: r.address, label: r.label, created: r.created, lastUsed: r.last_used };
}
