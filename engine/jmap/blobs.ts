// Uploaded blobs (RFC 8620 §6.1): stored per account under <data_dir>/jmap/uploads/<account>/, named by the
// SHA-256 of their content (a re-upload gets the same id and a fresh expiry), written to a temporary file and
// renamed only when complete and within maxSizeUpload; kept at least an hour (uploadTtlMs), the oldest dropped
// when an account's uploads would exceed its quota. It never interprets the bytes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { accountIdOf, type JmapLimits } from './capabilities.js';

export interface UploadedBlob {
  blobId: string;
  type: string;
  size: number;
}

/** busy: the node's memory budget for uploads held whole (PostgreSQL) is used up; the client tries again later. */
export type UploadOutcome = { ok: true; blob: UploadedBlob } | { ok: false; reason: 'tooLarge' | 'aborted' | 'busy' };

const UPLOAD_ID = /^U[0-9a-f]{40}$/;
export const isUploadId = (id: string): boolean => UPLOAD_ID.test(id);

/** What the JMAP routes use: these files (one node) or PgBlobStore (engine/jmap/pg-blobs.ts, rows every node reads). */
export interface Uploads {
  upload(address: string, type: string, body: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<UploadOutcome>;
  read(address: string, blobId: string): Promise<Buffer | null>;
  /** Its size in octets without reading it, or null when there is none. */
  size(address: string, blobId: string): Promise<number | null>;
  /** The blob's file on this node for streaming a download, or null (then read() gives the bytes). */
  file(address: string, blobId: string): string | null;
  /** Octets held at once while read() reads a blob of `size` octets (its copies on the way in); size when absent. */
  readCost?(size: number): number;
}

export class BlobStore implements Uploads {
  private readonly root: string;

  constructor(
    dataDir: string,
    private readonly limits: Pick<JmapLimits, 'maxSizeUpload' | 'uploadQuota' | 'uploadTtlMs'>,
    private readonly now: () => number,
  ) {
    this.root = path.join(dataDir, 'jmap', 'uploads');
  }

  private dir(address: string): string {
    return path.join(this.root, accountIdOf(address));
  }

  /**
   * Store an upload as it streams in. Past maxSizeUpload the stream is abandoned and nothing is kept (the
   * temporary file is removed), so an over-size upload is refused before it is stored.
   */
  async upload(address: string, type: string, body: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<UploadOutcome> {
    const dir = this.dir(address);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    await this.sweep(address);
    const tmp = path.join(dir, `.tmp-${crypto.randomBytes(8).toString('hex')}`);
    const fh = await fsp.open(tmp, 'wx', 0o600);
    const hash = crypto.createHash('sha256');
    let size = 0;
    let outcome: UploadOutcome | null = null;
    try {
      for await (const chunk of body) {
        size += chunk.length;
        if (size > this.limits.maxSizeUpload) {
          outcome = { ok: false, reason: 'tooLarge' };
          break;
        }
        hash.update(chunk);
        await fh.write(chunk);
      }
    } catch {
      outcome = { ok: false, reason: 'aborted' };
    } finally {
      await fh.close();
    }
    if (outcome) {
      await fsp.rm(tmp, { force: true });
      return outcome;
    }
    const blobId = 'U' + hash.digest('hex').slice(0, 40);
    await this.makeRoom(address, size);
    await fsp.rename(tmp, path.join(dir, blobId));
    await fsp.writeFile(path.join(dir, `${blobId}.json`), JSON.stringify({ type, size, created: this.now() }), { mode: 0o600 });
    return { ok: true, blob: { blobId, type, size } };
  }

  /** An uploaded blob's bytes, or null when there is none (expired, never uploaded, another account's). */
  async read(address: string, blobId: string): Promise<Buffer | null> {
    if (!isUploadId(blobId)) return null;
    try {
      return await fsp.readFile(path.join(this.dir(address), blobId));
    } catch {
      return null;
    }
  }

  async size(address: string, blobId: string): Promise<number | null> {
    if (!isUploadId(blobId)) return null;
    try {
      return (await fsp.stat(path.join(this.dir(address), blobId))).size;
    } catch {
      return null;
    }
  }

  /** The file of an uploaded blob (for streaming a download), or null. */
  file(address: string, blobId: string): string | null {
    if (!isUploadId(blobId)) return null;
    const f = path.join(this.dir(address), blobId);
    return fs.existsSync(f) ? f : null;
  }

  private async entries(address: string): Promise<{ id: string; size: number; created: number }[]> {
    const dir = this.dir(address);
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch {
      return [];
    }
    const out: { id: string; size: number; created: number }[] = [];
    for (const n of names) {
      if (!isUploadId(n)) continue;
      try {
        const st = await fsp.stat(path.join(dir, n));
        out.push({ id: n, size: st.size, created: st.mtimeMs });
      } catch {
        /* removed meanwhile */
      }
    }
    return out.sort((a, b) => a.created - b.created);
  }

  private async remove(address: string, id: string): Promise<void> {
    const dir = this.dir(address);
    await fsp.rm(path.join(dir, id), { force: true });
    await fsp.rm(path.join(dir, `${id}.json`), { force: true });
  }

  /** Drop uploads past their time, and temporary files a broken upload left. */
  async sweep(address: string): Promise<void> {
    const cutoff = this.now() - this.limits.uploadTtlMs;
    for (const e of await this.entries(address)) if (e.created < cutoff) await this.remove(address, e.id);
    const dir = this.dir(address);
    for (const n of await fsp.readdir(dir).catch(() => [] as string[])) {
      if (!n.startsWith('.tmp-')) continue;
      const st = await fsp.stat(path.join(dir, n)).catch(() => null);
      if (st && st.mtimeMs < this.now() - 3600_000) await fsp.rm(path.join(dir, n), { force: true });
    }
  }

  /** Oldest uploads go until `incoming` more bytes fit in the account's quota (RFC 8620 §6). */
  private async makeRoom(address: string, incoming: number): Promise<void> {
    const all = await this.entries(address);
    let total = all.reduce((n, e) => n + e.size, 0);
    for (const e of all) {
      if (total + incoming <= this.limits.uploadQuota) break;
      await this.remove(address, e.id);
      total -= e.size;
    }
  }
}
