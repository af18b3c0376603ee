// Message bodies on PostgreSQL, content-addressed: a body is stored once per SHA-256 (mail_blobs), in chunks
// of CHUNK bytes (mail_blob_chunks), counted by the message rows naming it (triggers in migration 10) and
// collected once unreferenced. Writing runs inside the caller's transaction; a file is streamed, never read whole.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type pg from 'pg';
import type { MessageHandle } from './mailbox-store.js';
import { mapDbError } from './pg-tx.js';
import { StoreError } from './store-error.js';
import { CountingHash } from '../util/counting-hash.js';

/** Chunk size: a partial FETCH reads only the chunks it covers; a streamed APPEND holds one chunk in memory. */
export const CHUNK = 256 * 1024;

export interface BlobRef {
  hash: Buffer;
  size: number;
}

export function hashOf(data: Buffer): Buffer {
  return crypto.createHash('sha256').update(data).digest();
}

/** SHA-256 and size of a file, read as a stream. */
export async function hashFile(file: string): Promise<BlobRef> {
  const counted = new CountingHash();
  for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK })) counted.update(chunk as Buffer);
  return { hash: counted.digest(), size: counted.size };
}

/**
 * Claim the body row (inside the caller's transaction): an existing body is reused (its row locked until
 * commit, so the collector cannot take it meanwhile); a new one gets its row and true is returned, and the
 * caller must then write its chunks. The reference itself is counted when the message row is inserted.
 */
async function claim(c: pg.ClientBase, ref: BlobRef): Promise<boolean> {
  const r = await c.query<{ fresh: boolean }>(
    `INSERT INTO mail_blobs (hash, size, refs, unreferenced_at) VALUES ($1, $2, 0, NULL)
     ON CONFLICT (hash) DO UPDATE SET unreferenced_at = NULL RETURNING (xmax = 0) AS fresh`,
    [ref.hash, ref.size],
  );
  return r.rows[0].fresh;
}

/** Store a body held in memory (once per content). */
export async function putBuffer(c: pg.ClientBase, data: Buffer): Promise<BlobRef> {
  const ref = { hash: hashOf(data), size: data.length };
  if (await claim(c, ref)) {
    for (let n = 0, at = 0; at < data.length || n === 0; n++, at += CHUNK) {
      await c.query('INSERT INTO mail_blob_chunks (hash, n, data) VALUES ($1, $2, $3)', [ref.hash, n, data.subarray(at, at + CHUNK)]);
    }
  }
  return ref;
}

/** Store a body from a file (a staged APPEND): hashed in one pass, then streamed in chunk by chunk if new. */
export async function putFile(c: pg.ClientBase, file: string, ref: BlobRef): Promise<BlobRef> {
  if (await claim(c, ref)) {
    let n = 0;
    let size = 0;
    for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK })) {
      await c.query('INSERT INTO mail_blob_chunks (hash, n, data) VALUES ($1, $2, $3)', [ref.hash, n++, chunk]);
      size += (chunk as Buffer).length;
    }
    if (n === 0) await c.query('INSERT INTO mail_blob_chunks (hash, n, data) VALUES ($1, 0, $2)', [ref.hash, Buffer.alloc(0)]);
    if (size !== ref.size) throw new Error(`staged file changed while it was stored (${size} != ${ref.size} octets)`);
  }
  return ref;
}

/**
 * Chunks read per query: a whole body is copied into one buffer a few chunks at a time, so reading it holds its
 * size and these chunks (as rows and their hex text), not every row and then a joined copy (twice its size).
 */
const READ_CHUNKS = 4;

/** Up to `length` octets of a body from `position` (the chunks covering them only), in one buffer. */
export async function readRange(pool: pg.Pool, hash: Buffer, size: number, position: number, length: number): Promise<Buffer> {
  const end = Math.min(size, position + Math.max(0, length));
  if (position >= end) return Buffer.alloc(0);
  const first = Math.floor(position / CHUNK);
  const last = Math.floor((end - 1) / CHUNK);
  const out = Buffer.allocUnsafe(end - position);
  for (let from = first; from <= last; from += READ_CHUNKS) {
    const to = Math.min(last, from + READ_CHUNKS - 1);
    let rows: { n: number; data: Buffer }[];
    try {
      rows = (await pool.query<{ n: number; data: Buffer }>('SELECT n, data FROM mail_blob_chunks WHERE hash = $1 AND n BETWEEN $2 AND $3 ORDER BY n', [hash, from, to])).rows;
    } catch (e) {
      mapDbError(e);
    }
    // bytes read from the database are checked before use: every chunk there, and every one but the body's last whole
    if (rows.length !== to - from + 1) throw new StoreError('NONEXISTENT', 'message body missing');
    for (let i = 0; i < rows.length; i++) {
      const { n, data } = rows[i];
      const at = n * CHUNK;
      const want = Math.min(CHUNK, size - at);
      if (n !== from + i || !Buffer.isBuffer(data) || data.length < want) throw new StoreError('NONEXISTENT', 'message body missing');
      const lo = Math.max(position, at);
      const hi = Math.min(end, at + want);
      data.copy(out, lo - position, lo - at, hi - at);
    }
  }
  return out;
}

/** The whole body, checked against its hash. */
export async function readAll(pool: pg.Pool, hash: Buffer, size: number): Promise<Buffer> {
  const data = await readRange(pool, hash, size, 0, size);
  if (data.length !== size || !hashOf(data).equals(hash)) throw new Error('stored message body does not match its hash');
  return data;
}

export function handle(pool: pg.Pool, hash: Buffer, size: number): MessageHandle {
  return {
    size,
    read: (position, length) => readRange(pool, hash, size, position, length),
    close: async () => undefined,
  };
}

/**
 * Delete bodies no message has named for `graceMs` (at most `limit` per call). Rows an append is reusing are
 * locked by it and skipped; a body whose count went up again meanwhile is re-checked under the lock.
 */
export async function collect(pool: pg.Pool, graceMs: number, limit = 1000): Promise<number> {
  try {
    const r = await pool.query(
      `DELETE FROM mail_blobs WHERE hash IN (
         SELECT hash FROM mail_blobs WHERE refs = 0
           AND unreferenced_at <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint - $1
           LIMIT $2 FOR UPDATE SKIP LOCKED)
       AND refs = 0`,
      [graceMs, limit],
    );
    return r.rowCount ?? 0;
  } catch (e) {
    mapDbError(e);
  }
}

/** Remove a staged file (after it was stored or refused). */
export async function unlinkQuietly(file: string): Promise<void> {
  await fsp.unlink(file).catch(() => undefined);
}
