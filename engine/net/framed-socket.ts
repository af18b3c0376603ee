// The socket of one POP3 or IMAP session: the current stream (plain, or TLS after STARTTLS/STLS), the idle
// timeout, the slowloris deadlines (a line, or an announced literal, must arrive whole within its limit of the
// moment the session waits for it, however slowly it drips) and the STARTTLS upgrade, which drops whatever
// plaintext was pipelined and must finish within the handshake deadline. The protocol's own framer says what
// it still waits for; this module never parses a byte and never decides what a command means.
import type net from 'node:net';
import type tls from 'node:tls';
import { Deadline } from './deadline.js';
import { describeTls, serverHandshake, type HandshakeOutcome } from './tls.js';

export type WaitKind = 'line' | 'literal';

export interface FramedSocketOptions {
  /** The accepted socket (already TLS on an implicit TLS listener). */
  socket: net.Socket;
  secure: boolean;
  /** What framing still waits for: the rest of a line, or an announced literal; `seq` changes whenever one completes. */
  pending(): { kind: WaitKind; seq: number } | null;
  /** ms a line / a literal may take once the session waits for it, and the STARTTLS handshake; 0 = no limit. */
  lineMs: number;
  literalMs: number;
  handshakeMs: number;
  /** Idle timeout (every byte either way restarts it); 0 = none. */
  idleMs: number;
  onData(chunk: Buffer): void;
  onClose(): void;
  onIdle(): void;
  /** A line or literal deadline passed; the session says goodbye and ends. */
  onDeadline(phase: WaitKind, elapsedMs: number, limitMs: number): void;
}

/** How long a closing session waits for the client to close its side before the socket is destroyed. */
const CLOSE_GRACE_MS = 2000;

export class FramedSocket {
  secure: boolean;
  private sock: net.Socket;
  private readonly raw: net.Socket;
  private closed = false;
  private closeReported = false;
  private awaiting = false;
  private upgrading = false;
  private idleMs: number;
  private readonly deadline: Deadline<WaitKind>;
  private readonly dataHandler = (chunk: Buffer) => this.data(chunk);
  private readonly timeoutHandler = () => {
    if (!this.closed && !this.upgrading) this.o.onIdle();
  };
  private readonly closeHandler = () => this.gone();

  constructor(private readonly o: FramedSocketOptions) {
    this.sock = o.socket;
    this.raw = o.socket;
    this.secure = o.secure;
    this.idleMs = o.idleMs;
    this.deadline = new Deadline<WaitKind>((phase, elapsed, limit) => {
      if (!this.closed) o.onDeadline(phase, elapsed, limit);
    });
    this.raw.on('close', this.closeHandler);
    this.attach(this.sock);
  }

  /** The stream replies go to now (cork/uncork, writableLength). */
  get socket(): net.Socket {
    return this.sock;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get remoteAddress(): string | undefined {
    return this.raw.remoteAddress;
  }

  get localAddress(): string | undefined {
    return this.raw.localAddress;
  }

  write(data: string | Buffer): void {
    if (this.closed || this.sock.destroyed) return;
    this.sock.write(data);
  }

  /** The session waits for input now: time whatever the framer is still missing. */
  waiting(): void {
    this.awaiting = true;
    this.clock();
  }

  /** The session is working (the server owes the next step): nothing is timed. */
  working(): void {
    this.awaiting = false;
    this.deadline.stop();
  }

  setIdle(ms: number): void {
    this.idleMs = ms;
    if (!this.upgrading) this.sock.setTimeout(ms);
  }

  pause(): void {
    this.sock.pause();
  }

  resume(): void {
    if (!this.closed && this.sock.isPaused()) this.sock.resume();
  }

  /** Wait until the client has read enough of what we sent (or is gone). */
  drained(): Promise<void> {
    const s = this.sock;
    while (s.writableCorked) s.uncork(); // nothing drains while corked
    if (!s.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        s.off('drain', done);
        this.raw.off('close', done);
        resolve();
      };
      s.on('drain', done);
      this.raw.on('close', done);
    });
  }

  /**
   * STARTTLS/STLS, once its positive reply has been written: `discard` drops what the framer holds (plaintext
   * pipelined after the command must never be read inside TLS), then the handshake runs under its deadline.
   * Resolves with the outcome; on failure the connection is already being torn down.
   */
  async startTls(context: tls.SecureContext, discard: () => void): Promise<HandshakeOutcome & { protocol?: string; cipher?: string }> {
    const plain = this.sock;
    this.upgrading = true;
    this.working();
    discard();
    while (plain.writableCorked) plain.uncork(); // the positive reply must go out in plaintext now
    this.detach(plain);
    const r = await serverHandshake(plain, context, this.o.handshakeMs);
    this.upgrading = false;
    if (!r.ok) {
      this.raw.destroy();
      return r;
    }
    this.sock = r.socket;
    this.secure = true;
    this.attach(r.socket);
    r.socket.on('close', this.closeHandler);
    return { ...r, ...describeTls(r.socket) };
  }

  /** Close after what was written so far has been sent; destroyed if the client keeps its side open. */
  end(): void {
    this.deadline.stop();
    if (this.closed) return;
    this.closed = true;
    this.sock.end();
    const raw = this.raw;
    setTimeout(() => raw.destroy(), CLOSE_GRACE_MS).unref();
  }

  destroy(): void {
    this.closed = true;
    this.deadline.stop();
    this.sock.destroy();
    this.raw.destroy();
  }

  private attach(s: net.Socket): void {
    s.on('data', this.dataHandler);
    s.on('error', this.closeHandler);
    s.on('timeout', this.timeoutHandler);
    s.setTimeout(this.idleMs);
  }

  private detach(s: net.Socket): void {
    s.off('data', this.dataHandler);
    s.off('timeout', this.timeoutHandler);
    s.setTimeout(0);
    s.on('error', () => {}); // the TLS socket reports errors from here on
  }

  private data(chunk: Buffer): void {
    if (this.closed) return;
    this.o.onData(chunk);
    if (this.awaiting) this.clock();
  }

  private clock(): void {
    const p = this.o.pending();
    if (!p || this.closed) return this.deadline.stop();
    this.deadline.time(p.kind, p.seq, p.kind === 'line' ? this.o.lineMs : this.o.literalMs);
  }

  private gone(): void {
    this.closed = true;
    this.deadline.stop();
    if (this.closeReported) return;
    this.closeReported = true;
    this.o.onClose();
  }
}
