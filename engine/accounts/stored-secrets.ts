// The stored credentials of an account as `tegami user export --with-secrets` writes them and `user import`
// takes them back: the scrypt hash, the sealed APOP/CRAM-MD5 secret (sealed with this server's key) and the
// SCRAM-SHA-256 verifier (when the database has that column). Every value is checked before it is stored, so a
// crafted file can neither break logins nor make them expensive; never a plain password.
import type { Db } from '../db/database.js';
import { unseal } from './password.js';

export interface StoredSecrets {
  passwordHash: string;
  secretSealed: string | null;
  scram: string | null;
}

/** scrypt$N$r$p$salt$hash, with parameters a login can afford (N a power of two up to 2^20, 64 MiB at most). */
export function validScryptHash(s: string): boolean {
  const m = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]{16,88}={0,2})\$([A-Za-z0-9+/]{16,88}={0,2})$/.exec(s);
  if (!m) return false;
  const [n, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const powerOfTwo = n >= 1024 && n <= 2 ** 20 && (n & (n - 1)) === 0;
  return powerOfTwo && r >= 1 && r <= 32 && p >= 1 && p <= 16 && 128 * n * r <= 64 * 1024 * 1024;
}

/** SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> (the directory's layout), with sane iterations. */
export function validScram(s: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d{1,7}):[A-Za-z0-9+/=]{4,64}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/.exec(s);
  return !!m && Number(m[1]) >= 4096 && Number(m[1]) <= 1_000_000;
}

export function validSealed(s: string): boolean {
  return s.length <= 1024 && /^[A-Za-z0-9+/]+={0,2}$/.test(s);
}

function hasScramColumn(db: Db): boolean {
  return (db.prepare('PRAGMA table_info(users)').all() as { name: string }[]).some((c) => c.name === 'scram_sha256');
}

export function readSecrets(db: Db, address: string): StoredSecrets | undefined {
  const scram = hasScramColumn(db);
  const row = db
    .prepare(`SELECT password_hash, secret_sealed${scram ? ', scram_sha256' : ''} FROM users WHERE address = ?`)
    .get(address.toLowerCase()) as { password_hash: string; secret_sealed: string | null; scram_sha256?: string | null } | undefined;
  return row ? { passwordHash: row.password_hash, secretSealed: row.secret_sealed, scram: row.scram_sha256 ?? null } : undefined;
}

/**
 * Store imported credentials (checked by the caller with the valid* functions). A sealed secret this server's
 * key cannot open is dropped, and a missing SCRAM verifier cleared, so the next password login makes them anew.
 */
export function writeSecrets(db: Db, serverKey: Buffer, address: string, s: StoredSecrets): void {
  const sealed = s.secretSealed && unseal(serverKey, s.secretSealed) !== null ? s.secretSealed : null;
  if (hasScramColumn(db)) {
    db.prepare('UPDATE users SET password_hash = ?, secret_sealed = ?, scram_sha256 = ? WHERE address = ?').run(s.passwordHash, sealed, s.scram, address.toLowerCase());
  } else {
    db.prepare('UPDATE users SET password_hash = ?, secret_sealed = ? WHERE address = ?').run(s.passwordHash, sealed, address.toLowerCase());
  }
}
