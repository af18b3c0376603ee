// A worker thread's log files, kept open for appending (logger.ts): a turn's lines for a file are one write(2)
// instead of appendFileSync's open, write and close. A thread keeps at most one descriptor per service: a line
// for another day's file of that service closes the one before (the main thread compresses past days' files and
// must not find them still written to). A write that fails closes the descriptor, so the next turn opens the
// file afresh (a log directory made again, a disk with room again). Descriptors are closed when the logger
// closes and when the thread exits.
import fs from 'node:fs';
import path from 'node:path';

const APPEND = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT;

export class InlineFiles {
  /** By the file name without its day (`spam-20261206.log` → `spam-`): one descriptor per service. */
  private readonly open = new Map<string, { file: string; fd: number }>();
  private exitHook = false;

  /** Append `text` to `file`; false when it could not be written (nothing is thrown). */
  append(file: string, text: string): boolean {
    const key = serviceOf(file);
    let f = this.open.get(key);
    if (f && f.file !== file) {
      this.closeOne(key);
      f = undefined;
    }
    try {
      if (!f) {
        // logs name users and addresses: private (0600), whatever the umask
        f = { file, fd: fs.openSync(file, APPEND, 0o600) };
        this.open.set(key, f);
        this.hookExit();
      }
      writeAll(f.fd, Buffer.from(text, 'utf8'));
      return true;
    } catch {
      if (f) this.closeOne(key);
      return false;
    }
  }

  /** Close every descriptor (later lines open their files again). */
  closeAll(): void {
    for (const key of [...this.open.keys()]) this.closeOne(key);
  }

  /** How many files are open (tests). */
  get size(): number {
    return this.open.size;
  }

  private closeOne(key: string): void {
    const f = this.open.get(key);
    this.open.delete(key);
    if (!f) return;
    try {
      fs.closeSync(f.fd);
    } catch {
      // already closed
    }
  }

  private hookExit(): void {
    if (this.exitHook) return;
    this.exitHook = true;
    process.once('exit', () => this.closeAll());
  }
}

/** `dir/spam-20261206.log` → `dir/spam-` (the service's part of a day file's name). */
function serviceOf(file: string): string {
  const base = path.basename(file);
  const m = /^(.*-)\d{8}\.log$/.exec(base);
  return path.join(path.dirname(file), m ? m[1] : base);
}

/** write(2) until every byte is in (a regular file may take fewer bytes than asked). */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}
