// The durable spool. A message is streamed into spool/incoming/<id> (no fsync yet). Then either
//  - it is delivered locally before the reply (the Maildir copies are fsynced) and the file is dropped, or
//  - it is made durable: fdatasync, rename into spool/queue/<id>, fsync of spool/queue (group commit:
//    one directory fsync covers every message renamed meanwhile), and only then is 250 sent.
// Nothing in incoming/ was ever acknowledged, so startup clears it; everything in queue/ is resumed.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { decodeHeader, encodeHeader, type Envelope } from './envelope.js';
import { DirSync } from '../store/maildir.js';

const WRITE_BUFFER = 256 * 1024;

/** One message being received. Writes are buffered (bounded) and appended in order. */
export class SpoolWriter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private writing: Promise<void> = Promise.resolve();
  private position = 0;
  bodyBytes = 0;
  readonly bodyOffset: number;

  constructor(
    readonly id: string,
    readonly file: string,
    readonly fh: fsp.FileHandle,
    header: Buffer,
  ) {
    this.bodyOffset = header.length;
    this.push(header);
  }

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.buffered += b.length;
    if (this.buffered >= WRITE_BUFFER) this.flush();
  }

  write(chunk: Buffer): void {
    this.bodyBytes += chunk.length;
    this.push(chunk);
  }

  /** Waits until buffered data is handed to the OS (backpressure for a fast sender). */
  drained(): Promise<void> {
    return this.writing;
  }

  private flush(): void {
    if (!this.buffered) return;
    const chunks = this.chunks;
    const len = this.buffered;
    const pos = this.position;
    this.chunks = [];
    this.buffered = 0;
    this.position += len;
    this.writing = this.writing.then(async () => {
      let off = 0;
      while (off < len) {
        const { bytesWritten } = await this.fh.writev(off === 0 ? chunks : [Buffer.concat(chunks).subarray(off)], pos + off);
        off += bytesWritten;
      }
    });
  }

  /** All data written (not yet synced). */
  async finish(): Promise<void> {
    this.flush();
    await this.writing;
  }
}

export interface SpooledMessage {
  id: string;
  file: string;
  bodyOffset: number;
  envelope: Envelope;
}

export class Spool {
  readonly incomingDir: string;
  readonly queueDir: string;
  private queueSync: DirSync;

  constructor(readonly root: string) {
    this.incomingDir = path.join(root, 'incoming');
    this.queueDir = path.join(root, 'queue');
    fs.mkdirSync(this.incomingDir, { recursive: true });
    fs.mkdirSync(this.queueDir, { recursive: true });
    this.queueSync = new DirSync(this.queueDir);
  }

  /** Start receiving a message: the header is written first, the body streams after it. */
  async create(envelope: Envelope): Promise<SpoolWriter> {
    const file = path.join(this.incomingDir, envelope.id);
    // read/write: the worker reads the message back through this descriptor
    const fh = await fsp.open(file, 'wx+', 0o600);
    return new SpoolWriter(envelope.id, file, fh, encodeHeader(envelope));
  }

  /** Make a received message durable in queue/: data fsync, rename, directory fsync (grouped). */
  async commit(w: SpoolWriter): Promise<string> {
    await w.finish();
    await w.fh.datasync();
    const dest = path.join(this.queueDir, w.id);
    await fsp.rename(w.file, dest);
    await this.queueSync.sync();
    return dest;
  }

  /** Drop a message that was delivered (or refused) before it was ever acknowledged as queued. */
  async discard(file: string): Promise<void> {
    await fsp.unlink(file).catch(() => {});
  }

  /** Remove a queued message after its last delivery was recorded. */
  async remove(id: string): Promise<void> {
    await fsp.unlink(path.join(this.queueDir, id)).catch(() => {});
    await fsp.unlink(path.join(this.queueDir, `${id}.state`)).catch(() => {});
  }

  /** Move an unreadable queue file to spool/corrupt/; returns its new path (null when it was gone). */
  async quarantine(id: string): Promise<string | null> {
    const dir = path.join(this.root, 'corrupt');
    await fsp.mkdir(dir, { recursive: true });
    const dest = path.join(dir, id);
    try {
      await fsp.rename(this.queuePath(id), dest);
      return dest;
    } catch {
      return null;
    }
  }

  queuePath(id: string): string {
    return path.join(this.queueDir, id);
  }

  /** Queued message ids (not state files), oldest first. */
  async queuedIds(): Promise<string[]> {
    const names = await fsp.readdir(this.queueDir);
    return names.filter((n) => !n.includes('.')).sort();
  }

  /** Read a queued message's envelope. */
  async open(id: string): Promise<SpooledMessage | null> {
    const file = this.queuePath(id);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(file, 'r');
    } catch {
      return null;
    }
    try {
      const head = Buffer.alloc(64 * 1024);
      let { bytesRead } = await fh.read(head, 0, head.length, 0);
      let buf = head.subarray(0, bytesRead);
      if (buf.length >= 12) {
        const need = 12 + buf.readUInt32BE(8);
        if (need > buf.length) {
          const big = Buffer.alloc(need);
          ({ bytesRead } = await fh.read(big, 0, need, 0));
          buf = big.subarray(0, bytesRead);
        }
      }
      const h = decodeHeader(buf);
      return h ? { id, file, bodyOffset: h.bodyOffset, envelope: h.envelope } : null;
    } finally {
      await fh.close();
    }
  }

  /** At startup: whatever is in incoming/ was never acknowledged; remove it. */
  async clearIncoming(): Promise<number> {
    const names = await fsp.readdir(this.incomingDir);
    await Promise.all(names.map((n) => fsp.unlink(path.join(this.incomingDir, n)).catch(() => {})));
    return names.length;
  }
}
