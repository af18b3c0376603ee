// A raw SMTP client for the lab: sends exactly the bytes it is told (so probes can send what polite
// clients never would), parses multi-line replies, keeps a transcript, and can STARTTLS and AUTH PLAIN.
// A closed connection or a timeout is a reply value (code 0 / -1), never a thrown error.
//
// API:
//   const c = await SmtpClient.connect('127.0.0.1', 2525, { timeoutMs: 5000 });
//   const greet = await c.reply();                  // { code: 220, lines, text }
//   const r = await c.cmd('EHLO lab.example.test');  // send a line, read the reply
//   await c.startTls(); await c.authPlain(user, pass);
//   c.write(rawBytes); c.transcript; c.close();
import net from 'node:net';
import tls from 'node:tls';

export interface Reply {
  /** 3-digit code; 0 = the server closed the connection; -1 = no reply within the timeout. */
  code: number;
  lines: string[];
  /** The reply text joined with " | ", without the codes. */
  text: string;
  /** Enhanced status code of the last line, when present ("5.7.1"). */
  enhanced?: string;
}

export interface ClientOptions {
  timeoutMs?: number;
  /** Keep a transcript of every line sent and received (default true). */
  transcript?: boolean;
  localAddress?: string;
}

export const CLOSED: Reply = { code: 0, lines: [], text: '(connection closed)' };
export const TIMEOUT: Reply = { code: -1, lines: [], text: '(no reply before the timeout)' };

export class SmtpClient {
  readonly transcript: string[] = [];
  private buf = '';
  private pendingLines: string[] = [];
  private replies: Reply[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;
  private sock: net.Socket | tls.TLSSocket;

  private constructor(
    sock: net.Socket,
    readonly host: string,
    readonly port: number,
    private readonly opts: ClientOptions,
  ) {
    this.sock = sock;
    this.attach(sock);
  }

  static connect(host: string, port: number, opts: ClientOptions = {}): Promise<SmtpClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port, localAddress: opts.localAddress });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connect ${host}:${port}: timeout`));
      }, opts.timeoutMs ?? 10_000);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeListener('error', reject);
        resolve(new SmtpClient(sock, host, port, opts));
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get socket(): net.Socket {
    return this.sock;
  }

  private attach(sock: net.Socket): void {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.onData(d.toString('latin1')));
    sock.on('error', () => this.onClose());
    sock.on('close', () => this.onClose());
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.opts.transcript !== false) this.transcript.push('-- connection closed');
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private onData(s: string): void {
    this.buf += s;
    if (this.buf.length > 1_000_000) this.buf = this.buf.slice(-1_000_000); // a flooding server cannot eat memory
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).replace(/\r$/, '');
      this.buf = this.buf.slice(i + 1);
      if (this.opts.transcript !== false) this.transcript.push('S: ' + line);
      const m = /^(\d{3})([ -])?(.*)$/.exec(line);
      if (!m) {
        this.pendingLines = [];
        this.replies.push({ code: 0, lines: [line], text: `(garbage from server: ${line.slice(0, 80)})` });
        continue;
      }
      this.pendingLines.push(line);
      if (m[2] !== '-') {
        const lines = this.pendingLines;
        this.pendingLines = [];
        const texts = lines.map((l) => l.slice(4));
        const enh = /^([245]\.\d{1,3}\.\d{1,3})\b/.exec(texts[texts.length - 1] ?? '');
        this.replies.push({ code: Number(m[1]), lines, text: texts.join(' | '), enhanced: enh?.[1] });
      }
    }
    if (this.replies.length) this.wake();
  }

  /** The next reply from the server (CLOSED or TIMEOUT as values). */
  reply(timeoutMs = this.opts.timeoutMs ?? 10_000): Promise<Reply> {
    if (this.replies.length) return Promise.resolve(this.replies.shift()!);
    if (this.closed) return Promise.resolve(CLOSED);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(TIMEOUT);
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        resolve(this.replies.length ? this.replies.shift()! : CLOSED);
      };
    });
  }

  /** Replies already received and not yet read (for early-talker and pipelining checks). */
  get queued(): number {
    return this.replies.length;
  }

  /** Send raw bytes (no CRLF added). Returns false when the connection is gone. */
  write(data: string | Buffer): boolean {
    if (this.closed || this.sock.destroyed) return false;
    if (this.opts.transcript !== false) {
      const s = typeof data === 'string' ? data : data.toString('latin1');
      const shown = s.length > 200 ? `${s.slice(0, 200)}... (${s.length} bytes)` : s;
      this.transcript.push('C: ' + shown.replace(/\r\n$/, '').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\0/g, '\\0'));
    }
    try {
      this.sock.write(data);
      return true;
    } catch {
      return false;
    }
  }

  /** Send one command line (CRLF added) and read its reply. */
  async cmd(line: string, timeoutMs?: number): Promise<Reply> {
    if (!this.write(line + '\r\n')) return CLOSED;
    return this.reply(timeoutMs);
  }

  /** EHLO, falling back to HELO on a 5xx. */
  async ehlo(name = 'lab.example.test'): Promise<Reply> {
    const r = await this.cmd(`EHLO ${name}`);
    if (r.code >= 500) return this.cmd(`HELO ${name}`);
    return r;
  }

  /** STARTTLS and upgrade the socket (certificates are not verified: lab peers are self-signed). */
  async startTls(servername = 'localhost'): Promise<Reply> {
    const r = await this.cmd('STARTTLS');
    if (r.code !== 220) return r;
    const plain = this.sock;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secure = await new Promise<tls.TLSSocket | undefined>((resolve) => {
      const s = tls.connect({ socket: plain, rejectUnauthorized: false, servername }, () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (!secure) {
      this.onClose();
      return CLOSED;
    }
    this.sock = secure;
    this.buf = '';
    this.attach(secure);
    return r;
  }

  get secure(): boolean {
    return this.sock instanceof tls.TLSSocket;
  }

  async authPlain(user: string, password: string): Promise<Reply> {
    const token = Buffer.from(`\0${user}\0${password}`).toString('base64');
    const keep = this.opts.transcript;
    const r = await this.cmd(`AUTH PLAIN ${token}`);
    if (keep !== false) {
      const i = this.transcript.lastIndexOf(`C: AUTH PLAIN ${token}`);
      if (i >= 0) this.transcript[i] = 'C: AUTH PLAIN (credentials hidden)';
    }
    return r;
  }

  /** Send DATA, the message (dot-stuffed here) and the final dot; returns the 354 and the final reply. */
  async data(message: string | Buffer): Promise<{ start: Reply; end: Reply }> {
    const start = await this.cmd('DATA');
    if (start.code !== 354) return { start, end: start };
    this.write(dotStuff(message));
    const end = await this.reply();
    return { start, end };
  }

  close(): void {
    if (!this.closed) {
      try {
        this.sock.end();
      } catch {
        /* already gone */
      }
      setTimeout(() => this.sock.destroy(), 500).unref();
    }
  }

  async quit(): Promise<void> {
    if (!this.closed) await this.cmd('QUIT', 2000);
    this.close();
  }
}

/** CRLF line ends, leading dots doubled, final "CRLF.CRLF" appended. */
export function dotStuff(message: string | Buffer): Buffer {
  let s = (typeof message === 'string' ? Buffer.from(message, 'utf8') : message).toString('latin1');
  s = s.replace(/\r?\n/g, '\r\n');
  if (!s.endsWith('\r\n')) s += '\r\n';
  s = s.replace(/^\./gm, '..');
  return Buffer.from(s + '.\r\n', 'latin1');
}
