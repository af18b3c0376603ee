// A raw line client for the cross-protocol tests (SMTP, POP3 and IMAP alike): exact bytes out, CRLF lines in,
// from a chosen local address (127.0.0.x or an IPv6 address), with a STARTTLS upgrade. Replies are read, never
// interpreted: each test says what it expects.
import net from 'node:net';
import tls from 'node:tls';

export class LineClient {
  private buf = '';
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(private socket: net.Socket) {
    this.attach(socket);
  }

  static connect(port: number, opts: { host?: string; localAddress?: string; tls?: boolean } = {}): Promise<LineClient> {
    const host = opts.host ?? '127.0.0.1';
    const base = { port, host, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) };
    return new Promise((resolve, reject) => {
      const s = opts.tls ? tls.connect({ ...base, rejectUnauthorized: false }) : net.connect(base);
      s.once(opts.tls ? 'secureConnect' : 'connect', () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }

  private attach(s: net.Socket): void {
    s.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      this.wake();
    });
    s.on('close', () => {
      this.closed = true;
      this.wake();
    });
    s.on('error', () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(data: string): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** The next line without its CRLF; null once the server has closed and nothing is left. */
  async line(timeoutMs = 30_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        return l;
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line within ${timeoutMs} ms; buffer ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Lines up to and including the first that `last` accepts (an SMTP "250 " line, an IMAP tagged line). */
  async until(last: (line: string) => boolean, timeoutMs = 30_000): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.line(timeoutMs);
      if (l === null) throw new Error(`closed; got ${JSON.stringify(out)}`);
      out.push(l);
      if (last(l)) return out;
    }
  }

  /** Send a line; read the reply that ends at the first line `last` accepts (default: just one line). */
  async cmd(text: string, last: (line: string) => boolean = () => true): Promise<string[]> {
    this.send(text + '\r\n');
    return this.until(last);
  }

  /** Wait until the server closes; false if it has not within timeoutMs. */
  async waitClosed(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  /** TLS on this connection (after the server's go-ahead has been read). */
  async startTls(): Promise<void> {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const s = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      s.once('secureConnect', () => resolve());
      s.once('error', reject);
    });
    this.socket = s;
    this.buf = '';
    this.attach(s);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** SMTP: a reply ends at "NNN " (or a bare "NNN"). */
export const smtpEnd = (l: string) => /^\d{3}(?: |$)/.test(l);
/** IMAP: a command ends at its tagged line. */
export const tagged = (tag: string) => (l: string) => l.startsWith(`${tag} `);
