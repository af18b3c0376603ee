// How much of a command an IMAP session holds in memory, by state, and where bigger literals go: before login
// only small literals (max_literal_preauth); after it, an APPEND message above MEMORY_LITERAL_MAX is written to
// a file in the owner's Maildir tmp/ as it arrives (FileSink), with at most SINK_HIGH bytes waiting for the
// disk, so the reader stops and the socket's read pause holds when the disk is slower than the client.
// It never keeps a large literal in memory and never leaves a file behind: the store takes it or it is removed.
import fsp from 'node:fs/promises';
import type { LoadedConfig } from '../config/load.js';
import type { MailboxStore } from '../store/mailbox-store.js';
import type { LiteralSink, ReaderLimits, Spill } from './protocol/reader.js';

export const LINE_MAX = 64 * 1024;
/** Literals after login are held in memory up to this; only an APPEND message may be bigger (then in a file). */
export const MEMORY_LITERAL_MAX = 256 * 1024;
/** Bytes a FileSink may hold while the disk catches up. */
const SINK_HIGH = 256 * 1024;

/** Memory bounds of one command: small before login, a few MiB after it (large APPENDs go to disk). */
export function readerLimits(imap: LoadedConfig['imap'], authenticated: boolean): ReaderLimits {
  if (!authenticated) {
    const literal = Math.min(imap.max_literal_preauth, imap.max_literal);
    return { maxLine: LINE_MAX, maxLiteral: literal, maxCommand: 2 * LINE_MAX + 4 * literal };
  }
  const literal = Math.min(MEMORY_LITERAL_MAX, imap.max_literal);
  return { maxLine: LINE_MAX, maxLiteral: literal, maxCommand: 16 * LINE_MAX + 4 * literal };
}

export interface SpillContext {
  state: string;
  user: { address: string } | null;
  store: MailboxStore;
  config: LoadedConfig;
}

/**
 * A literal above the memory limits: after login, the message of an APPEND (one per command, at most
 * max_literal and max_message_size) goes to a file; anything else is refused. `onRoom` wakes the reader.
 */
export function spillLiteral(s: SpillContext, firstLine: Buffer, size: number, alreadySpilled: boolean, onRoom: () => void): Spill | null {
  if (s.state === 'not-authenticated' || !s.user) return null;
  if (!/^[^ ]+ APPEND /i.test(firstLine.toString('latin1', 0, Math.min(firstLine.length, 120)))) return null;
  if (alreadySpilled) return { refuse: 'Only one large message per APPEND' };
  const max = Math.min(s.config.imap.max_literal, s.config.max_message_size);
  if (size > max) return { refuse: `Message too large (at most ${max} octets)` };
  return { sink: new FileSink(s.store.stagingPath(s.user.address), size, onRoom) };
}

/** A literal written to a file as it arrives; finish() hands over the complete file, discard() removes it. */
export class FileSink implements LiteralSink {
  private queue: Buffer[] = [];
  private queued = 0;
  private running = false;
  private fh: fsp.FileHandle | null = null;
  private path: string | null = null;
  private failed: Error | null = null;
  private discarded = false;
  private settledWaiters: (() => void)[] = [];

  constructor(
    private readonly where: Promise<string>,
    readonly size: number,
    private readonly onRoom: () => void,
  ) {
    where.catch(() => {}); // a failure surfaces in pump() or finish(), never as an unhandled rejection
  }

  get full(): boolean {
    return this.queued >= SINK_HIGH;
  }

  write(chunk: Buffer): void {
    if (this.discarded || this.failed) return; // after a failure the rest is dropped; finish() reports it
    this.queue.push(chunk);
    this.queued += chunk.length;
    // eslint-disable-next-line @typescript-eslint/no-floating-promises -- pump() never rejects: a failure is kept for finish()
    if (!this.running) void this.pump();
  }

  /** Wait until every byte is on disk and the file closed; its path. Rejects when writing failed. */
  async finish(): Promise<string> {
    if (this.running || this.queue.length) await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
    if (this.failed) throw this.failed;
    if (this.discarded) throw new Error('literal discarded');
    if (!this.fh) await this.openFile();
    await this.fh!.close();
    this.fh = null;
    return this.path!;
  }

  discard(): void {
    if (this.discarded) return;
    this.discarded = true;
    this.queue = [];
    this.queued = 0;
    // eslint-disable-next-line @typescript-eslint/no-floating-promises -- cleanup() never rejects: close and unlink errors are caught inside
    if (!this.running) void this.cleanup();
  }

  private async openFile(): Promise<void> {
    this.path = await this.where;
    this.fh = await fsp.open(this.path, 'wx', 0o600);
  }

  /** Write out what is queued, batch by batch; never throws (a failure is kept for finish()). */
  private async pump(): Promise<void> {
    this.running = true;
    try {
      if (!this.fh && !this.discarded) await this.openFile();
      while (this.queue.length && !this.discarded) {
        const parts = this.queue.splice(0);
        const n = parts.reduce((a, b) => a + b.length, 0);
        const { bytesWritten } = await this.fh!.writev(parts);
        if (bytesWritten !== n) throw new Error(`short write to ${this.path}: ${bytesWritten} of ${n} octets`);
        this.queued -= n;
        this.onRoom();
      }
    } catch (e) {
      this.failed = e as Error;
      this.queue = [];
      this.queued = 0;
      this.onRoom();
    } finally {
      this.running = false;
    }
    if (this.discarded) await this.cleanup();
    this.settledWaiters.splice(0).forEach((f) => f());
  }

  private async cleanup(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close().catch(() => {});
    try {
      await fsp.unlink(this.path ?? (await this.where));
    } catch {
      /* already moved into the mailbox, never created, or no staging path */
    }
  }
}
