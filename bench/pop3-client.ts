// bench:pop3's side of the wire and of /proc (not a test): a small POP3 client that reads replies as bytes, and
// the CPU a server's exited child processes used (Dovecot forks a login and a pop3 process per connection).
import fs from 'node:fs';
import net from 'node:net';

/** A small POP3 client that reads replies as bytes (a multi-line reply ends at CRLF.CRLF). */
export class Client {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private constructor(private readonly s: net.Socket) {
    s.on('data', (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake?.();
    });
    s.on('close', () => this.wake?.());
  }
  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Client(s)));
      s.setNoDelay(true);
      s.once('error', reject);
    });
  }
  private async until(find: () => number): Promise<Buffer> {
    for (;;) {
      const end = find();
      if (end >= 0) {
        const out = this.buf.subarray(0, end);
        this.buf = this.buf.subarray(end);
        return out;
      }
      if (this.s.destroyed) throw new Error('connection closed');
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }
  line(): Promise<string> {
    return this.until(() => {
      const i = this.buf.indexOf('\r\n');
      return i < 0 ? -1 : i + 2;
    }).then((b) => b.toString('latin1').trimEnd());
  }
  /** A multi-line reply; returns its octets (status line included). */
  multi(): Promise<Buffer> {
    let from = 0;
    return this.until(() => {
      if (this.buf.length >= 3 && this.buf.subarray(0, 3).toString() === '-ER') {
        const i = this.buf.indexOf('\r\n');
        return i < 0 ? -1 : i + 2;
      }
      const i = this.buf.indexOf('\r\n.\r\n', Math.max(0, from - 4));
      from = this.buf.length;
      return i < 0 ? -1 : i + 5;
    });
  }
  async cmd(c: string): Promise<string> {
    this.s.write(c + '\r\n');
    return this.line();
  }
  send(c: string): void {
    this.s.write(c);
  }
  close(): void {
    this.s.destroy();
  }
  /** Resolves when the server has closed the connection. */
  closed(): Promise<void> {
    if (this.s.destroyed || this.s.readableEnded) return Promise.resolve();
    return new Promise((r) => this.s.once('close', () => r()));
  }
}

const CLK_TCK = 100;
/** CPU (ns) of the exited, reaped children of a process tree (/proc/…/stat cutime + cstime, in clock ticks). */
export function reapedCpuNs(root: number): number {
  let ticks = 0;
  for (const pid of [root, ...childPids(root)]) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      ticks += Number(rest[13]) + Number(rest[14]); // fields 16 and 17: cutime, cstime
    } catch {
      /* gone meanwhile */
    }
  }
  return (ticks * 1e9) / CLK_TCK;
}

function childPids(root: number): number[] {
  try {
    return fs.readFileSync(`/proc/${root}/task/${root}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
