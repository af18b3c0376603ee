// `tegami keys rotate`: a new keys/secret.key for a database that already holds values sealed with the old one
// (the APOP/CRAM-MD5 secrets in users.secret_sealed; on PostgreSQL also the DKIM keys in dkim_keys.key_sealed).
// Crash-safe in three steps, each one observable from outside:
//   1. the new key is written beside the old one as keys/secret.key.next (temp file, fsync, rename, fsync of
//      keys/): the old key stays in secret.key, in use;
//   2. one database transaction re-seals every value: opened with the old key and sealed with the new one (a value
//      that opens only with the new key is already done; one that opens with neither is left as it is and named);
//   3. secret.key.next is renamed over secret.key (and keys/ fsynced): from here the new key is the one in use.
// A run that finds secret.key.next finishes that rotation with that key (step 2 again is a no-op for the values
// done, step 3), so a crash anywhere loses nothing: before step 2 commits, every value is under the old key, which
// secret.key still holds; after it, every value is under the key in secret.key.next. A key file of the wrong size,
// or a key that opens none of the sealed values (a key from another server), stops it before anything is written.
// TEGAMI_TEST_KEYS_ROTATE_KILL=<step> kills the process after that step (test/ops/keys-rotate.test.ts only).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { seal, unseal } from '../accounts/password.js';
import { fsyncDir, writeFileDurable } from '../util/durable-file.js';
import { keyFingerprint } from '../db/pg/server-key-check.js';

const KEY_BYTES = 32;

/** One sealed value: where it is (for the report) and what it holds. */
export interface SealedValue {
  table: string;
  column: string;
  /** The row's key, as the store understands it (an address; a domain and selector). */
  id: string[];
  sealed: string;
}

/** The database side: read every sealed value and write the re-sealed ones, all in one transaction. */
export interface SealedStore {
  /** Run `fn` on every sealed value inside one transaction; the updates it returns are written in that same
   *  transaction (on PostgreSQL with the new key's fingerprint as the cluster's); nothing is written when it throws. */
  reseal(fn: (values: SealedValue[]) => { updates: { value: SealedValue; sealed: string }[] }, newKey: Buffer): Promise<void>;
  /** Refuse when something else may use the old key meanwhile (a running server, another node). */
  busy(): Promise<string | null>;
}

export interface RotationResult {
  /** A rotation that had stopped after step 1 or 2 was finished (with the key it had written). */
  resumed: boolean;
  resealed: number;
  /** Values already under the new key (a resumed rotation). */
  already: number;
  /** Values that open with neither key: left as they were (already unreadable), named. */
  unreadable: { table: string; column: string; id: string[] }[];
  fingerprintOld: string;
  fingerprintNew: string;
}

export class RotationError extends Error {}

export const keyFiles = (dataDir: string) => {
  const dir = path.join(dataDir, 'keys');
  return { dir, current: path.join(dir, 'secret.key'), next: path.join(dir, 'secret.key.next') };
};


/** Read a key file, which must exist and hold exactly 32 bytes. */
function readKeyFile(file: string, what: string): Buffer {
  let key: Buffer;
  try {
    key = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RotationError(code === 'ENOENT' ? `${file} is missing: ${what}` : `${file} cannot be read (${(e as Error).message}): ${what}`);
  }
  if (key.length !== KEY_BYTES) throw new RotationError(`${file} is not a key of the right size (${key.length} bytes, not ${KEY_BYTES}: a truncated or edited copy?): ${what}`);
  return key;
}

function killHook(step: string): void {
  if (process.env.TEGAMI_TEST_KEYS_ROTATE_KILL === step) process.kill(process.pid, 'SIGKILL');
}

export async function rotateServerKey(dataDir: string, store: SealedStore): Promise<RotationResult> {
  const f = keyFiles(dataDir);
  const oldKey = readKeyFile(f.current, 'nothing was changed (restore the file from a backup, or copy it from another node)');
  const resumed = fs.existsSync(f.next);
  const newKey = resumed
    ? readKeyFile(f.next, 'it was left by an interrupted rotation but is not a key tegami wrote; nothing was changed (move it away only if no value was sealed with it: tegami keys rotate reports which)')
    : crypto.randomBytes(KEY_BYTES);
  if (newKey.equals(oldKey)) {
    // the rename of step 3 happened but its clean-up did not: the rotation is complete
    fs.rmSync(f.next, { force: true });
    return { resumed, resealed: 0, already: 0, unreadable: [], fingerprintOld: keyFingerprint(oldKey), fingerprintNew: keyFingerprint(newKey) };
  }
  const busy = await store.busy();
  if (busy) throw new RotationError(`${busy}; nothing was changed`);
  for (const name of fs.readdirSync(f.dir)) if (/^secret\.key\.next\.\d+(\.[0-9a-f]+)?\.tmp$/.test(name)) fs.rmSync(path.join(f.dir, name), { force: true });
  if (!resumed) writeFileDurable(f.next, newKey);
  killHook('next-written');

  const result: RotationResult = { resumed, resealed: 0, already: 0, unreadable: [], fingerprintOld: keyFingerprint(oldKey), fingerprintNew: keyFingerprint(newKey) };
  try {
    await resealAll(store, oldKey, newKey, f.current, result);
  } catch (e) {
    // refused before anything was written (the wrong key): the new key made by this run goes again. Any other
    // failure (a commit whose outcome is unknown) keeps it, so a second run finishes with it
    if (e instanceof RotationError && !resumed) fs.rmSync(f.next, { force: true });
    throw e;
  }
  killHook('resealed');

  fs.renameSync(f.next, f.current);
  fsyncDir(f.dir);
  return result;
}

async function resealAll(store: SealedStore, oldKey: Buffer, newKey: Buffer, file: string, result: RotationResult): Promise<void> {
  await store.reseal((values) => {
    const updates: { value: SealedValue; sealed: string }[] = [];
    let openedOld = 0;
    for (const v of values) {
      const plain = unseal(oldKey, v.sealed);
      if (plain !== null) {
        openedOld++;
        updates.push({ value: v, sealed: seal(newKey, plain) });
      } else if (unseal(newKey, v.sealed) !== null) result.already++;
      else result.unreadable.push({ table: v.table, column: v.column, id: v.id });
    }
    if (values.length && !openedOld && !result.already) {
      throw new RotationError(
        `${file} (fingerprint ${keyFingerprint(oldKey)}) opens none of the ${values.length} sealed value(s): it is not the key they were sealed with (a key from another server, or one replaced by hand?); nothing was changed`,
      );
    }
    result.resealed = updates.length;
    return { updates };
  }, newKey);
}
