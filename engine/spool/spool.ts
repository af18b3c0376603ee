// The durable spool. A message is received into memory (small ones) or spool/incoming/<id> (no fsync yet). Then either
//  - it is delivered locally before the reply (the Maildir copies are fsynced) and the file is dropped, or
//  - it is made durable: fdatasync, rename into spool/queue/<id>, fsync of spool/queue (group commit:
//    one directory fsync covers every message renamed meanwhile), and only then is 250 sent.
// Nothing in incoming/ was ever acknowledged, so startup clears it; everything in queue/ is resumed.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { checkPrefix, decodeHeader, encodeHeader, HEADER_PREFIX, QUEUE_ID, type Envelope } from './envelope.js';
import { DirSync, syncDirNow } from '../store/maildir.js';

const WRITE_BUFFER = 256 * 1024;
/** A message up to this size is kept in memory while it is received (no spool file unless it must be kept). */
const MEMORY_MESSAGE_LIMIT = 512 * 1024;
/** All sessions together keep at most this much in memory; beyond it, messages stream to spool files. */
const MEMORY_BUDGET = 64 * 1024 * 1024;
let memoryInUse = 0;

/**
 * One message being received. Small messages stay in memory (bounded per message and in total) and
 * reach the worker as a SharedArrayBuffer; a larger one, or one that arrives while the budget is spent,
 * streams into spool/incoming/<id> with bounded buffering. Either way nothing is durable until commit.
 */
export class SpoolWriter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private writing: Promise<void> = Promise.resolve();
  private position = 0;
  private fh: fsp.FileHandle | null = null;
  /** Set once the message streams to a file (fh arrives when the open completes). */
  private disk = false;
  private reserved = 0;
  private shared: SharedArrayBuffer | null = null;
  private released = false;
  bodyBytes = 0;
  readonly bodyOffset: number;

  constructor(
    readonly id: string,
    readonly file: string,
    readonly header: Buffer,
  ) {
    this.bodyOffset = header.length;
  }

  /** Is the message on disk (in incoming/ or queue/), rather than only in memory? */
  get onDisk(): boolean {
    return this.disk;
  }

  write(chunk: Buffer): void {
    this.bodyBytes += chunk.length;
    if (!this.disk) {
      const need = this.bodyBytes;
      if (need <= MEMORY_MESSAGE_LIMIT && memoryInUse - this.reserved + need <= MEMORY_BUDGET) {
        memoryInUse += need - this.reserved;
        this.reserved = need;
        this.chunks.push(chunk);
        this.buffered += chunk.length;
        return;
      }
      this.toDisk();
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= WRITE_BUFFER) this.flush();
  }

  /** Switch to a spool file: what was buffered in memory is written first, after the header. */
  private toDisk(): void {
    const opened = fsp.open(this.file, 'wx+', 0o600); // read/write: the worker reads it back through this descriptor
    const pending = this.chunks;
    this.chunks = [this.header, ...pending];
    this.buffered += this.header.length;
    this.freeMemory();
    this.disk = true;
    this.writing = opened.then((fh) => {
      this.fh = fh;
    });
    this.flush();
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
        const { bytesWritten } = await this.fh!.writev(off === 0 ? chunks : [Buffer.concat(chunks).subarray(off)], pos + off);
        off += bytesWritten;
      }
    });
  }

  /** All data received: written to the file (not yet synced), or gathered into one shared buffer. */
  async finish(): Promise<void> {
    if (!this.disk) {
      if (!this.shared) {
        this.shared = new SharedArrayBuffer(this.buffered);
        const view = Buffer.from(this.shared);
        let off = 0;
        for (const c of this.chunks) {
          view.set(c, off);
          off += c.length;
        }
        this.chunks = [];
      }
      return;
    }
    this.flush();
    await this.writing;
  }

  /** The message body for the worker: a shared buffer (in memory) or an open descriptor (on disk). */
  source(): { shared: SharedArrayBuffer } | { fd: number } {
    if (this.shared) return { shared: this.shared };
    return { fd: this.fh!.fd };
  }

  /** Write an in-memory message out and sync it (on disk already: just sync). */
  async sync(): Promise<void> {
    await this.finish();
    if (!this.disk) {
      this.disk = true;
      this.fh = await fsp.open(this.file, 'wx+', 0o600);
      await this.fh.writev([this.header, Buffer.from(this.shared!)]);
    }
    await this.fh!.datasync();
  }

  /** Close the descriptor and give back the memory; idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.freeMemory();
    await this.writing.catch(() => {});
    await this.fh?.close().catch(() => {});
  }

  private freeMemory(): void {
    memoryInUse -= this.reserved;
    this.reserved = 0;
  }
}

export interface SpooledMessage {
  id: string;
  file: string;
  bodyOffset: number;
  envelope: Envelope;
}

export type SpoolRead = { kind: 'ok'; msg: SpooledMessage } | { kind: 'missing' } | { kind: 'corrupt'; reason: string };

export class Spool {
  readonly incomingDir: string;
  readonly queueDir: string;
  private queueSync: DirSync;

  constructor(readonly root: string) {
    this.incomingDir = path.join(root, 'incoming');
    this.queueDir = path.join(root, 'queue');
    fs.mkdirSync(this.incomingDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.queueDir, { recursive: true, mode: 0o700 });
    this.queueSync = new DirSync(this.queueDir);
  }

  /** Start receiving a message (nothing touches the disk until the message outgrows memory or is committed). */
  async create(envelope: Envelope): Promise<SpoolWriter> {
    return new SpoolWriter(envelope.id, path.join(this.incomingDir, envelope.id), encodeHeader(envelope));
  }

  /** Make a received message durable in queue/: data fsync, rename, directory fsync (grouped). */
  async commit(w: SpoolWriter): Promise<string> {
    await w.sync();
    const dest = path.join(this.queueDir, w.id);
    await fsp.rename(w.file, dest);
    await this.queueSync.sync();
    return dest;
  }

  /** Drop a message that was delivered (or refused) before it was ever acknowledged as queued. */
  async discard(w: SpoolWriter): Promise<void> {
    const onDisk = w.onDisk;
    await w.release();
    if (onDisk) await fsp.unlink(w.file).catch(() => {});
  }

  /** Remove a queued message after its last delivery was recorded. */
  async remove(id: string): Promise<void> {
    await fsp.unlink(path.join(this.queueDir, id)).catch(() => {});
    await fsp.unlink(path.join(this.queueDir, `${id}.state`)).catch(() => {});
  }

  /** spool/corrupt/: what could not be read, kept for the operator (Postfix's "corrupt" queue); never deleted. */
  get corruptDir(): string {
    return path.join(this.root, 'corrupt');
  }

  /**
   * Move an unreadable queue file (and its state file, useless without it) to spool/corrupt/; returns its
   * new path (null when it was gone). A name already taken there gets a numbered suffix: nothing is replaced.
   */
  async quarantine(id: string): Promise<string | null> {
    const dest = await this.moveToCorrupt(id);
    await this.moveToCorrupt(`${id}.state`);
    return dest;
  }

  /** Move one entry of queue/ (file or directory) to spool/corrupt/; null when it does not exist. */
  async moveToCorrupt(name: string): Promise<string | null> {
    await fsp.mkdir(this.corruptDir, { recursive: true, mode: 0o700 });
    const from = path.join(this.queueDir, name);
    for (let n = 0; n < 1000; n++) {
      const dest = path.join(this.corruptDir, n ? `${name}.${n}` : name);
      try {
        await fsp.lstat(dest);
        continue; // taken: try the next suffix
      } catch {
        // free
      }
      try {
        await fsp.rename(from, dest);
        await syncDirNow(this.corruptDir).catch(() => {});
        return dest;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return null;
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw e;
      }
    }
    throw new Error(`spool/corrupt/ holds 1000 entries named ${name}`);
  }

  queuePath(id: string): string {
    return path.join(this.queueDir, id);
  }

  /** Queued message ids (not state files), oldest first. */
  async queuedIds(): Promise<string[]> {
    const names = await fsp.readdir(this.queueDir);
    return names.filter((n) => !n.includes('.')).sort();
  }

  /**
   * Read and check a queued message's header: the file name must be a queue id, the file a regular file,
   * the magic right, the length field within bounds and within the file, the envelope valid JSON matching
   * the schema and naming this id. Missing: gone (delivered, deleted). I/O errors other than damage throw.
   */
  async read(id: string): Promise<SpoolRead> {
    if (!QUEUE_ID.test(id)) return { kind: 'corrupt', reason: 'the file name is not a queue id' };
    const file = this.queuePath(id);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'missing' };
      if (code === 'ELOOP') return { kind: 'corrupt', reason: 'a symbolic link, not a spool file' };
      throw e;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) return { kind: 'corrupt', reason: `not a regular file (${st.isDirectory() ? 'a directory' : 'a special file'})` };
      const prefix = Buffer.alloc(HEADER_PREFIX);
      const { bytesRead } = await fh.read(prefix, 0, HEADER_PREFIX, 0);
      const c = checkPrefix(prefix.subarray(0, bytesRead), st.size);
      if (!c.ok) return { kind: 'corrupt', reason: c.reason };
      const head = Buffer.alloc(HEADER_PREFIX + c.length);
      let got = 0;
      while (got < head.length) {
        const r = await fh.read(head, got, head.length - got, got);
        if (r.bytesRead === 0) break;
        got += r.bytesRead;
      }
      const h = decodeHeader(head.subarray(0, got), st.size);
      if (!h.ok) return { kind: 'corrupt', reason: h.reason };
      if (h.envelope.id !== id) return { kind: 'corrupt', reason: `the envelope names ${JSON.stringify(h.envelope.id)}, not the file's id` };
      return { kind: 'ok', msg: { id, file, bodyOffset: h.bodyOffset, envelope: h.envelope } };
    } finally {
      await fh.close();
    }
  }

  /** A queued message's envelope; null when it is gone or unreadable (see read() for which). */
  async open(id: string): Promise<SpooledMessage | null> {
    const r = await this.read(id).catch(() => null);
    return r?.kind === 'ok' ? r.msg : null;
  }

  /** At startup: whatever is in incoming/ was never acknowledged; remove it. */
  async clearIncoming(): Promise<number> {
    const names = await fsp.readdir(this.incomingDir);
    await Promise.all(names.map((n) => fsp.rm(path.join(this.incomingDir, n), { recursive: true, force: true }).catch(() => {})));
    return names.length;
  }
}
