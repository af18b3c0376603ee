// The SHA-256 and the octet count of bytes that arrive in pieces (a tar entry, a file read in chunks): what a
// backup's manifest and a content-addressed body are checked by. It keeps no bytes.
import { createHash } from 'node:crypto';

export class CountingHash {
  private readonly hash = createHash('sha256');
  /** Octets fed so far. */
  size = 0;

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }

  /** The SHA-256 of everything fed (once: the hash is finished by it). */
  digest(): Buffer {
    return this.hash.digest();
  }
}
