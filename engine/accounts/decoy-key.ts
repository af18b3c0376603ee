// The key behind the SCRAM decoys (the verifier an unknown name gets, password.ts decoyScramKeys), kept in
// <data_dir>/keys/decoy.key apart from keys/secret.key: `tegami keys rotate` replaces secret.key, and decoys
// derived from it would change while real accounts' stored salts do not, so one AUTHENTICATE per name before and
// after a rotation would tell which names exist (security review 8). This key is never rotated; it is in backups
// with keys/ and checked on every PostgreSQL node like the other shared keys (db/pg/server-key-check.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { durableTempName, fsyncDir, writeFileDurable } from '../util/durable-file.js';

export function decoyKeyPath(dataDir: string): string {
  return path.join(dataDir, 'keys', 'decoy.key');
}

/** The key's bytes from a file's content, or null when it is not one (wrong size). */
export function parseDecoyKey(data: Buffer): Buffer | null {
  return data.length === 32 ? data : null;
}

/**
 * The decoy key, created on first need (32 random bytes, mode 0600, written durably). Two processes creating it
 * at once agree: the key is written under a private name and linked into place, so the first link wins and the
 * other reads it. A file of the wrong size is an error, never silently replaced (that would change every decoy).
 */
export function decoyKey(dataDir: string): Buffer {
  const file = decoyKeyPath(dataDir);
  const read = (): Buffer => {
    const key = parseDecoyKey(fs.readFileSync(file));
    if (!key) throw new Error(`${file} is not a key of the right size (32 bytes): restore it from a backup or another node`);
    return key;
  };
  if (fs.existsSync(file)) return read();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = durableTempName(file) + '.new';
  writeFileDurable(tmp, crypto.randomBytes(32));
  try {
    fs.linkSync(tmp, file);
    fsyncDir(path.dirname(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return read();
}
