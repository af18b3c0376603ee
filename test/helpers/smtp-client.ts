// A raw SMTP conversation over a socket for protocol-edge tests: send exact bytes, read whole replies.
import net from 'node:net';
import tls from 'node:tls';

export interface Reply {
  code: number;
  lines: string[];
  text: string;
}

export class RawSmtp {
  private buf = '';
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(public socket: net.Socket) {
    this.attach(socket);
  }

  private attach(s: net.Socket) {
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      this.buf += d;
      this.wake();
    });
    s.on('close', () => {
      this.closed = true;
      this.wake();
    });
    s.on('error', () => {});
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, opts: { host?: string; localAddress?: string; tls?: boolean } = {}): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const host = opts.host ?? '127.0.0.1';
      const s: net.Socket = opts.tls
        ? tls.connect({ port, host, rejectUnauthorized: false, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) } as tls.ConnectionOptions)
        : net.connect({ port, host, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
      s.once(opts.tls ? 'secureConnect' : 'connect', () => resolve(new RawSmtp(s)));
      s.once('error', reject);
    });
  }

  /** Read one complete (possibly multi-line) reply. */
  async reply(timeoutMs = 30_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*(\d{3})(?: [^\n]*)?\r?\n/.exec(this.buf);
      if (m) {
        const raw = m[0];
        this.buf = this.buf.slice(raw.length);
        const lines = raw.split(/\r?\n/).filter(Boolean);
        return { code: Number(m[1]), lines, text: lines.join('\n') };
      }
      if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for reply; buffer: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async cmd(line: string): Promise<Reply> {
    this.write(line + '\r\n');
    return this.reply();
  }

  /** Upgrade with STARTTLS (the 220 must already have been read). */
  async startTls(): Promise<void> {
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.buf = '';
    this.attach(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connect, read the greeting, EHLO. */
export async function ehlo(port: number, opts: { localAddress?: string; tls?: boolean; name?: string } = {}): Promise<{ c: RawSmtp; greeting: Reply; ehlo: Reply }> {
  const c = await RawSmtp.connect(port, opts);
  const greeting = await c.reply();
  const e = await c.cmd(`EHLO ${opts.name ?? 'client.example.net'}`);
  return { c, greeting, ehlo: e };
}
