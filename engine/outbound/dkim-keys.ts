// Where DKIM private keys are kept. SQLite (the default): files under <data_dir>/dkim/ (dkim.ts), as always.
// [storage] backend = "postgres": rows of dkim_keys (migration 31) sealed with keys/secret.key, which every node
// holds; each node reads its local copy (engine/db/pg/replica.ts), so signing costs no database round trip.
// A private key is never written to a table in clear, never logged, never printed.
import type { LoadedConfig } from '../config/load.js';
import type { Db } from '../db/database.js';
import { seal, serverKey, unseal } from '../accounts/password.js';
import { findKey, generateKey, keyOf, newPrivateKey, txtRecord, validDomain, validSelector, type DkimKey, type KeygenResult } from './dkim.js';

export interface DkimKeys {
  /** The key a domain signs with (its newest), or null. */
  find(domain: string): DkimKey | null;
  generate(domain: string, selector: string, opts?: { type?: 'rsa' | 'ed25519'; bits?: number; force?: boolean }): KeygenResult;
}

export function fileKeys(dataDir: string): DkimKeys {
  return { find: (d) => findKey(dataDir, d), generate: (d, s, o) => generateKey(dataDir, d, s, o) };
}

/** Keys sealed in `db`'s dkim_keys (the node's copy: a write reaches PostgreSQL through the replica). */
export function sealedKeys(db: Db, dataDir: string): DkimKeys {
  let key: Buffer | null = null;
  const secret = () => (key ??= serverKey(dataDir));
  // unsealed once per sealed value (a new key is a new value): AES-GCM per message would be cheap, but needless
  const opened = new Map<string, string | null>();
  const open = (sealed: string): string | null => {
    if (!opened.has(sealed)) {
      if (opened.size > 256) opened.clear();
      opened.set(sealed, unseal(secret(), sealed));
    }
    return opened.get(sealed) ?? null;
  };
  return {
    find(domain) {
      const d = domain.toLowerCase();
      if (!validDomain(d)) return null;
      let row: { selector: string; key_sealed: string } | undefined;
      try {
        row = db.prepare('SELECT selector, key_sealed FROM dkim_keys WHERE domain = ? ORDER BY created DESC, selector LIMIT 1').get(d) as typeof row;
      } catch {
        return null; // no table in this file: not a node copy (prepareCopy makes it), so no sealed keys
      }
      if (!row) return null;
      const pem = open(row.key_sealed);
      // a row sealed under another secret.key (a node without the shared key): not signed rather than signed wrongly
      return pem === null ? null : keyOf(d, row.selector, pem);
    },
    generate(domain, selector, opts = {}) {
      const d = domain.toLowerCase();
      if (!validDomain(d)) return { ok: false, reason: `not a domain name: ${domain}` };
      if (!validSelector(selector)) return { ok: false, reason: `not a valid selector: ${selector}` };
      const exists = db.prepare('SELECT 1 FROM dkim_keys WHERE domain = ? AND selector = ?').get(d, selector);
      if (exists && !opts.force) return { ok: false, reason: `a key for selector "${selector}" of ${d} already exists (in the database); use another --selector, or --force` };
      const pem = newPrivateKey(opts);
      addSealedKey(db, dataDir, d, selector, pem, true);
      return { ok: true, stored: 'the database (dkim_keys, sealed with keys/secret.key)', record: txtRecord(d, selector, pem) };
    },
  };
}

/** Store `pem` sealed as `domain`'s key `selector`; false if one is there and `replace` is not set. */
export function addSealedKey(db: Db, dataDir: string, domain: string, selector: string, pem: string, replace = false): boolean {
  const r = db.prepare(`INSERT OR ${replace ? 'REPLACE' : 'IGNORE'} INTO dkim_keys (domain, selector, key_sealed, created) VALUES (?, ?, ?, ?)`).run(domain.toLowerCase(), selector, seal(serverKey(dataDir), pem), Date.now());
  return r.changes > 0;
}

/** The keys of this node's storage: sealed rows on PostgreSQL (`db` is the node's copy), else the files. */
export function dkimKeysFor(config: Pick<LoadedConfig, 'data_dir' | 'storage'>, db: Db | null): DkimKeys {
  return config.storage.backend === 'postgres' && db ? sealedKeys(db, config.data_dir) : fileKeys(config.data_dir);
}
