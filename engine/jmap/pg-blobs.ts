// Uploaded JMAP blobs on [storage] backend = "postgres": the rules of the file store (engine/jmap/blobs.ts) over
// PostgreSQL's jmap_uploads rows (migration 40), so an attachment uploaded through one node is read by an Email/set
// or a download on any node. Named by the SHA-256 of the content; kept uploadTtlMs; the oldest go when an account's
// uploads would pass uploadQuota. The bytes are held in memory only up to maxSizeUpload, and only within the node's
// budget (engine/jmap/memory-budget.ts): past it the upload is refused as busy. It never interprets them.
import { inTransaction } from '../db/pg/transaction.js';
import crypto from 'node:crypto';
import type pg from 'pg';
import { isUploadId, type UploadOutcome, type Uploads } from './blobs.js';
import type { JmapLimits } from './capabilities.js';
import { MemoryBudget } from './memory-budget.js';

/**
 * An upload's octets held at once on its way into its row, in multiples of its size: the chunks as they came, their
 * joined copy, and the INSERT's Bind message (node-postgres writes the bytes into a buffer, then copies that behind
 * the message's length).
 */
export const WRITE_COPIES = 4;
/**
 * ... and on its way out: a bytea value comes as hex text (two octets per octet), whole in the protocol's buffer and
 * again as a string, then as the bytes. Charged while the row is read; the bytes alone after (MemoryBudget claims).
 */
export const READ_COPIES = 5;

export class PgBlobStore implements Uploads {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query' | 'connect'>,
    private readonly limits: Pick<JmapLimits, 'maxSizeUpload' | 'uploadQuota' | 'uploadTtlMs'>,
    private readonly now: () => number,
    private readonly memory: MemoryBudget = new MemoryBudget(Infinity),
  ) {}

  /**
   * Read the upload whole (bounded: past maxSizeUpload nothing is kept; every chunk is claimed from the node's
   * memory budget as it arrives, and a chunk past the budget ends the upload as busy), then one transaction stores it.
   */
  async upload(address: string, type: string, body: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<UploadOutcome> {
    const held = this.memory.claim();
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of body) {
          size += chunk.length;
          if (size > this.limits.maxSizeUpload) return { ok: false, reason: 'tooLarge' };
          if (!held.grow(chunk.length)) return { ok: false, reason: 'busy' };
          chunks.push(chunk);
        }
      } catch {
        return { ok: false, reason: 'aborted' };
      }
      // the joined copy and the INSERT's message are held too, beside the chunks (WRITE_COPIES)
      if (!held.grow(size * (WRITE_COPIES - 1))) return { ok: false, reason: 'busy' };
      return await this.store(address, type, Buffer.concat(chunks, size));
    } finally {
      held.release();
    }
  }

  private async store(address: string, type: string, bytes: Buffer): Promise<UploadOutcome> {
    const size = bytes.length;
    const blobId = 'U' + crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 40);
    const now = this.now();
    // every account's expired uploads go (an account that never uploads again leaves none behind): one statement
    // outside the account's transaction that skips rows another upload holds, so two accounts uploading at once
    // never wait on each other (inside, the two deletes could deadlock)
    await this.pool.query(
      'DELETE FROM jmap_uploads WHERE (address, id) IN (SELECT address, id FROM jmap_uploads WHERE created < $1 FOR UPDATE SKIP LOCKED)',
      [now - this.limits.uploadTtlMs],
    );
    await inTransaction(this.pool, async (c) => {
      // this account's uploads, one writer at a time (two nodes making room at once would both count the same rows)
      await c.query("SELECT pg_advisory_xact_lock(hashtext('jmap_uploads:' || $1))", [address]);
      // this blob's earlier copy (a re-upload gets a fresh expiry) and the account's expired ones
      await c.query('DELETE FROM jmap_uploads WHERE address = $2 AND (id = $3 OR created < $1)', [now - this.limits.uploadTtlMs, address, blobId]);
      // the oldest go until this one fits: keep the newest whose running total leaves room for it
      await c.query(
        `DELETE FROM jmap_uploads WHERE address = $1 AND id IN (
           SELECT id FROM (SELECT id, sum(size) OVER (ORDER BY created DESC, id DESC) AS upto FROM jmap_uploads WHERE address = $1) k
           WHERE upto + $2 > $3)`,
        [address, size, this.limits.uploadQuota],
      );
      await c.query('INSERT INTO jmap_uploads (address, id, type, size, created, data) VALUES ($1, $2, $3, $4, $5, $6)', [address, blobId, type, size, now, bytes]);
    });
    return { ok: true, blob: { blobId, type, size } };
  }

  async read(address: string, blobId: string): Promise<Buffer | null> {
    if (!isUploadId(blobId)) return null;
    const r = await this.pool.query<{ data: Buffer }>('SELECT data FROM jmap_uploads WHERE address = $1 AND id = $2 AND created >= $3', [address, blobId, this.now() - this.limits.uploadTtlMs]);
    return r.rows[0]?.data ?? null;
  }

  async size(address: string, blobId: string): Promise<number | null> {
    if (!isUploadId(blobId)) return null;
    const r = await this.pool.query<{ size: string | number }>('SELECT size FROM jmap_uploads WHERE address = $1 AND id = $2 AND created >= $3', [address, blobId, this.now() - this.limits.uploadTtlMs]);
    return r.rows[0] ? Number(r.rows[0].size) : null;
  }

  /** A row read back holds READ_COPIES times its size while the query runs. */
  readCost(size: number): number {
    return size * READ_COPIES;
  }

  /** No file on this node: the download route reads the bytes (readBlob). */
  file(): string | null {
    return null;
  }
}
