// A raw IMAP client for big transfers: reads responses incrementally (literals hashed and counted, never kept
// whole), can stop reading (so the server's socket fills up) and resume, and reports how the server answered
// or closed. Memory tests use it so that the client, not the server, never holds what it measures.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';

export interface LiteralSeen {
  /** The response text before the literal (e.g. "* 1 FETCH (BODY[]<0> "). */
  before: string;
  size: number;
  sha256: string;
}

export interface Answer {
  /** Lines without literals ("{n}" kept), untagged and continuation, in order. */
  lines: string[];
  literals: LiteralSeen[];
  /** The tagged status line, or null when the connection closed first. */
  status: string | null;
}

export class StreamClient {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.pending.push(d);
      this.pendingBytes += d.length;
      this.poke();
    });
    socket.on('close', () => {
      this.closed = true;
      this.poke();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<StreamClient> {
    const socket = net.connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new StreamClient(socket);
    await c.line();
    return c;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async more(deadline: number): Promise<void> {
    if (this.closed) throw new Error('connection closed');
    const left = deadline - Date.now();
    if (left <= 0) throw new Error('timeout waiting for the server');
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, left);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Take exactly n bytes as they arrive, handing each piece to `each`. */
  private async take(n: number, deadline: number, each: (b: Buffer) => void): Promise<void> {
    while (n > 0) {
      if (!this.pending.length) {
        await this.more(deadline);
        continue;
      }
      const c = this.pending[0];
      const k = Math.min(n, c.length);
      each(c.subarray(0, k));
      if (k === c.length) this.pending.shift();
      else this.pending[0] = c.subarray(k);
      this.pendingBytes -= k;
      n -= k;
    }
  }

  /** One line without CRLF (may end in "{n}"; the literal is left unread). */
  async line(timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const all = Buffer.concat(this.pending);
      const nl = all.indexOf('\r\n');
      if (nl >= 0) {
        this.pending = nl + 2 < all.length ? [all.subarray(nl + 2)] : [];
        this.pendingBytes = all.length - nl - 2;
        return all.toString('latin1', 0, nl);
      }
      this.pending = all.length ? [all] : [];
      if (this.closed) throw new Error(`connection closed; partial: ${all.toString('latin1').slice(0, 200)}`);
      await this.more(deadline);
    }
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new Error('connection closed'));
      this.socket.write(data, (e) => (e ? reject(e) : resolve()));
    });
  }

  /** Write `total` bytes of filler in 1 MiB pieces; stops early (returning what went out) when the server closes. */
  async writeFiller(total: number): Promise<number> {
    const piece = Buffer.alloc(1024 * 1024, 0x78);
    let sent = 0;
    while (sent < total && !this.closed) {
      const n = Math.min(piece.length, total - sent);
      try {
        await this.write(piece.subarray(0, n));
      } catch {
        break;
      }
      sent += n;
    }
    return sent;
  }

  /** Read responses up to the tagged line for `tag` (or until the connection closes). */
  async until(tag: string, timeoutMs = 60_000): Promise<Answer> {
    const deadline = Date.now() + timeoutMs;
    const out: Answer = { lines: [], literals: [], status: null };
    let text = '';
    for (;;) {
      let l: string;
      try {
        l = await this.line(Math.max(1, deadline - Date.now()));
      } catch (e) {
        if (this.closed) return out;
        throw e;
      }
      if (!text && l.startsWith(tag + ' ')) {
        out.status = l.slice(tag.length + 1);
        return out;
      }
      out.lines.push(l);
      const m = /\{(\d+)\}$/.exec(l);
      if (!m) {
        text = '';
        continue;
      }
      const size = Number(m[1]);
      const h = crypto.createHash('sha256');
      await this.take(size, deadline, (b) => h.update(b));
      out.literals.push({ before: (text + l).slice(0, 200), size, sha256: h.digest('hex') });
      text += l.slice(0, 50) + '…';
    }
  }

  /** Stop reading: the server's writes pile up in its socket once the kernel buffers are full. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The server process's resident and peak memory in bytes (Linux /proc). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Reset the peak (VmHWM) to the current RSS, so a later peak says what happened since (Linux ≥ 4.0). */
export function resetPeak(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
