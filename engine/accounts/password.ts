// Password hashing (scrypt), the sealed secret kept for APOP and CRAM-MD5, and the SCRAM-SHA-256 verifier
// (RFC 5802/7677: salt, iterations, StoredKey, ServerKey) kept so a challenge-response login works without a
// recoverable secret. The plain password is never written anywhere; the sealed copy needs the server key to open.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;
const N = 16384, R = 8, P = 1, LEN = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password, salt, LEN, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  const got = await scrypt(password, salt, expected.length, { N: n, r, p, maxmem: 64 * 1024 * 1024 });
  return crypto.timingSafeEqual(got, expected);
}

/** The server key (32 random bytes) in <data_dir>/keys/secret.key, created on first use with mode 0600. */
export function serverKey(dataDir: string): Buffer {
  const dir = path.join(dataDir, 'keys');
  const file = path.join(dir, 'secret.key');
  try {
    return fs.readFileSync(file);
  } catch {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const key = crypto.randomBytes(32);
    try {
      fs.writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
    } catch {
      return fs.readFileSync(file); // another process made it first
    }
    return key;
  }
}

export function seal(key: Buffer, secret: string): string {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
}

export function unseal(key: Buffer, sealed: string): string | null {
  try {
    const b = Buffer.from(sealed, 'base64');
    const d = crypto.createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
    d.setAuthTag(b.subarray(12, 28));
    return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
  } catch {
    return null;
  }
}

// ---- SCRAM-SHA-256 (RFC 5802 §3, RFC 7677) ----

export interface ScramKeys {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const pbkdf2 = promisify(crypto.pbkdf2);
const hmac = (key: Buffer, data: string | Buffer) => crypto.createHmac('sha256', key).update(data).digest();

/** The verifier for `password`: SaltedPassword = Hi(SASLprep(password), salt, i); StoredKey = H(HMAC(SP, "Client Key")). */
export async function scramKeys(password: string, iterations: number, salt: Buffer = crypto.randomBytes(16)): Promise<ScramKeys | null> {
  const prepared = saslPrep(password);
  if (prepared === null) return null;
  const salted = await pbkdf2(prepared, salt, iterations, 32, 'sha256');
  const storedKey = crypto.createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  return { iterations, salt, storedKey, serverKey: hmac(salted, 'Server Key') };
}

/** Stored as "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" (base64, PostgreSQL's layout). */
export function formatScram(k: ScramKeys): string {
  return `SCRAM-SHA-256$${k.iterations}:${k.salt.toString('base64')}$${k.storedKey.toString('base64')}:${k.serverKey.toString('base64')}`;
}

export function parseScram(text: string | null | undefined): ScramKeys | null {
  const m = /^SCRAM-SHA-256\$(\d{1,9}):([A-Za-z0-9+/=]{4,64})\$([A-Za-z0-9+/=]{44}):([A-Za-z0-9+/=]{44})$/.exec(text ?? '');
  if (!m) return null;
  const k = { iterations: Number(m[1]), salt: Buffer.from(m[2], 'base64'), storedKey: Buffer.from(m[3], 'base64'), serverKey: Buffer.from(m[4], 'base64') };
  return k.iterations >= 1 && k.storedKey.length === 32 && k.serverKey.length === 32 ? k : null;
}

/**
 * A verifier for a login that has none (no such account, or keys not stored yet): its salt is the same on every
 * try (derived from the server key), so a client cannot tell it from a real one, and no proof matches it.
 */
export function decoyScramKeys(key: Buffer, login: string, iterations: number): ScramKeys {
  const seed = hmac(key, `scram-decoy\0${login.toLowerCase()}`);
  return { iterations, salt: seed.subarray(0, 16), storedKey: hmac(seed, 'stored'), serverKey: hmac(seed, 'server') };
}

/** Non-ASCII spaces (RFC 3454 C.1.2), mapped to SPACE by SASLprep. */
const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;
/** "Commonly mapped to nothing" (RFC 3454 B.1). */
const MAPPED_TO_NOTHING = /[\u00ad\u034f\u1806\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/g;
/** Prohibited after mapping (RFC 4013 §2.3): controls, private use, non-characters, surrogates, tagging. */
const PROHIBITED = /[\u0000-\u001f\u007f-\u009f\u06dd\u070f\u180e\u200e\u200f\u2028-\u202e\u2060-\u2063\u206a-\u206f\ue000-\uf8ff\ufdd0-\ufdef\ufff9-\uffff]|[\ud800-\udfff]/u;

/** SASLprep (RFC 4013) of a password: spaces and invisible characters mapped, NFKC; null when it holds a prohibited character. */
export function saslPrep(s: string): string | null {
  const mapped = s.replace(MAPPED_TO_NOTHING, '').replace(NON_ASCII_SPACE, ' ').normalize('NFKC');
  return PROHIBITED.test(mapped) ? null : mapped;
}
