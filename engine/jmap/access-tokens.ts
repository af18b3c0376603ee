// App tokens for JMAP clients that cannot use the webmail's cookie session (RFC 8620 §8.2 recommends one per
// client instead of the account password): "tgj_" + 256 random bits, shown once, kept only as SHA-256, revocable.
// A token gives no rights of its own: each use re-reads the account. The same store as the admin API's tokens
// (engine/web/token-store.ts), in a table of its own, so neither kind opens the other's door.
import type { Db } from '../db/database.js';
import { TokenStore, type TokenInfo } from '../web/token-store.js';

export type JmapTokenInfo = TokenInfo;

export class JmapTokens extends TokenStore {
  constructor(db: Db, now: () => number = Date.now) {
    super(db, now, { table: 'jmap_tokens', prefix: 'tgj_' });
  }
}
