// Session ids (the `sid` of log lines): random hex from a pool filled 4 KiB at a time, instead of a
// crypto.randomBytes call per connection (each one a trip into OpenSSL and a getpid(2) for its fork check).
// The bytes are the same CSPRNG's; each is handed out once.
import crypto from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let used = POOL_SIZE;

/** `bytes` random bytes as lower-case hex (2 × bytes characters). */
export function sessionId(bytes: number): string {
  if (bytes <= 0 || bytes > 64) throw new RangeError(`sessionId: 1–64 bytes, not ${bytes}`);
  if (used + bytes > POOL_SIZE) {
    crypto.randomFillSync(pool);
    used = 0;
  }
  const id = pool.toString('hex', used, used + bytes);
  used += bytes;
  return id;
}
