// SMTP deadlines against slow senders (slowloris): a command line must arrive whole within command_timeout of
// its first byte, and a message (from the 354 reply to the final dot) within data_timeout, however slowly the
// bytes trickle; smtp-server's socketTimeout is an idle timer that every byte resets, these are not. Past a
// deadline the client gets "421 4.4.2 <host> Error: timeout exceeded", the message being received is destroyed
// (so it is never acknowledged) and the connection closes. It only watches arrival times; it never reads,
// alters or delays the bytes, and never judges a deadline while the server, not the client, owes the next step.
import type net from 'node:net';
import type { Readable } from 'node:stream';
import type { SMTPServer, SMTPServerSession } from 'smtp-server';
import type { Logger } from '../log/logger.js';

/** The error a message stream is destroyed with when its DATA deadline passes. */
export class DeadlineExceeded extends Error {
  constructor(readonly phase: Phase) {
    super(`SMTP ${phase} deadline exceeded`);
  }
}

type Phase = 'command' | 'data' | 'tls';

export interface DeadlineOptions {
  /** ms a command line may take from its first byte to its line end; 0 = no limit. */
  commandMs: number;
  /** ms the message may take from the 354 reply to the final dot; 0 = no limit. */
  dataMs: number;
  hostname: string;
  logger: Logger;
  listener: string;
}

/** What we use of smtp-server's SMTPConnection (public in its typings). */
interface Connection {
  session: SMTPServerSession;
  _socket: net.Socket;
  /** True from the 220 to STARTTLS until the handshake completes. */
  _upgrading?: boolean;
  send(code: number, text: string): void;
}

type Stream = Readable & { writableEnded?: boolean };

interface Watch {
  conn: Connection;
  socket?: net.Socket;
  onBytes?: (chunk: Buffer) => void;
  /** When the first byte of the command line now being received arrived; null between lines. */
  lineStart: number | null;
  /** When STARTTLS was sent: the TLS handshake that follows must finish within commandMs too. */
  tlsStart: number | null;
  /** The last few command-mode bytes (latin1), to see a STARTTLS line however it was split. */
  tail: string;
  /** When the 354 went out for the message now being received. */
  dataStart: number | null;
  stream: Stream | null;
  timer: NodeJS.Timeout | null;
  timerDue: number;
  expired: boolean;
}

/** How long after the 421 a client that does not close its side keeps the socket. */
const CLOSE_GRACE_MS = 2000;

export class SmtpDeadlines {
  private watches = new Map<string, Watch>();
  private warned = false;

  constructor(private readonly o: DeadlineOptions) {}

  get enabled(): boolean {
    return this.o.commandMs > 0 || this.o.dataMs > 0;
  }

  /** Start watching the connection of `session` (from onConnect; the connection is in server.connections then). */
  watch(server: SMTPServer, session: SMTPServerSession): void {
    if (!this.enabled) return;
    let conn: Connection | undefined;
    for (const c of server.connections as Set<unknown> as Set<Connection>) {
      if (c.session === session) {
        conn = c;
        break;
      }
    }
    if (!conn) {
      // only if a future smtp-server stops listing its connections: say so once rather than protect nothing quietly
      if (!this.warned) this.o.logger.error('smtp', 'deadlines-unavailable', { listener: this.o.listener, reason: 'connection not found in server.connections' });
      this.warned = true;
      return;
    }
    const w: Watch = { conn, lineStart: null, tlsStart: null, tail: '', dataStart: null, stream: null, timer: null, timerDue: Infinity, expired: false };
    this.watches.set(session.id, w);
    this.attach(w, conn._socket);
  }

  /** The session now reads from `socket` (after STARTTLS; also called for implicit TLS, on the same socket). */
  socketChanged(session: SMTPServerSession, socket: net.Socket): void {
    const w = this.watches.get(session.id);
    if (!w || w.socket === socket) return;
    w.lineStart = null; // nothing sent in plaintext counts inside TLS
    w.tlsStart = null;
    w.tail = '';
    this.attach(w, socket);
  }

  /** DATA accepted: the message must be in within dataMs (when on). */
  dataStarted(session: SMTPServerSession, stream: Stream): void {
    const w = this.watches.get(session.id);
    if (!w) return;
    w.stream = stream; // message lines are not command lines, even when only the command deadline is on
    w.dataStart = Date.now();
    w.lineStart = null;
    if (this.o.dataMs > 0) this.arm(w, w.dataStart + this.o.dataMs);
  }

  unwatch(session: SMTPServerSession): void {
    const w = this.watches.get(session.id);
    if (!w) return;
    this.watches.delete(session.id);
    if (w.timer) clearTimeout(w.timer);
    if (w.socket && w.onBytes) w.socket.off('data', w.onBytes);
  }

  private attach(w: Watch, socket: net.Socket): void {
    if (w.socket && w.onBytes) w.socket.off('data', w.onBytes);
    w.socket = socket;
    w.onBytes = (chunk: Buffer) => this.bytes(w, chunk);
    // smtp-server's pipe into its parser was added first, so adding a listener changes no flow state
    socket.on('data', w.onBytes);
  }

  private receivingData(w: Watch): boolean {
    const s = w.stream;
    return !!s && !s.writableEnded && !s.destroyed;
  }

  private bytes(w: Watch, chunk: Buffer): void {
    if (w.expired || this.o.commandMs <= 0 || chunk.length === 0) return;
    if (this.receivingData(w)) return; // message content: the DATA deadline bounds it
    // a handshake dripped after STARTTLS is bounded like a line (the TLS socket smtp-server makes has no
    // handshake timeout); bytes still seen here mean the upgrade did not happen (smtp-server detaches us then)
    w.tlsStart = null;
    w.tail = (w.tail + chunk.toString('latin1', Math.max(0, chunk.length - 12))).slice(-12);
    if (!(w.socket as net.Socket & { encrypted?: boolean }).encrypted && /(?:^|\n)STARTTLS\r?\n$/i.test(w.tail)) {
      w.tlsStart = Date.now();
      this.arm(w, w.tlsStart + this.o.commandMs);
    }
    if (chunk.includes(0x0a)) w.lineStart = null; // a line ended; whatever follows its LF starts a new one
    if (chunk[chunk.length - 1] !== 0x0a && w.lineStart === null) {
      w.lineStart = Date.now();
      this.arm(w, w.lineStart + this.o.commandMs);
    }
  }

  /** Make sure a check runs no later than `due` (a check that runs early re-arms itself). */
  private arm(w: Watch, due: number): void {
    if (w.timer && w.timerDue <= due) return;
    if (w.timer) clearTimeout(w.timer);
    w.timerDue = due;
    w.timer = setTimeout(() => this.check(w), Math.max(0, due - Date.now()));
    w.timer.unref();
  }

  private check(w: Watch): void {
    w.timer = null;
    w.timerDue = Infinity;
    if (w.expired || !this.watches.has(w.conn.session.id)) return;
    const now = Date.now();
    const due: number[] = [];
    if (this.receivingData(w)) {
      if (this.o.dataMs <= 0 || w.dataStart === null) return;
      const at = w.dataStart + this.o.dataMs;
      if (now >= at) return this.expire(w, 'data', now - w.dataStart);
      due.push(at);
    } else if (w.tlsStart !== null) {
      const at = w.tlsStart + this.o.commandMs;
      if (now >= at && w.conn._upgrading) return this.expire(w, 'tls', now - w.tlsStart);
      if (now < at) due.push(at);
    } else if (w.lineStart !== null && this.o.commandMs > 0) {
      const at = w.lineStart + this.o.commandMs;
      if (now >= at) return this.expire(w, 'command', now - w.lineStart);
      due.push(at);
    }
    if (due.length) this.arm(w, Math.min(...due));
  }

  private expire(w: Watch, phase: Phase, elapsedMs: number): void {
    w.expired = true;
    const { conn } = w;
    const stream = phase === 'data' ? w.stream : null;
    this.o.logger.warn('smtp', 'timeout', {
      sid: conn.session.id,
      ip: conn.session.remoteAddress,
      listener: this.o.listener,
      phase,
      ms: elapsedMs,
      limit: phase === 'data' ? this.o.dataMs : this.o.commandMs,
      bytes: stream ? (stream as Stream & { byteLength?: number }).byteLength : undefined,
    });
    if (phase === 'tls') {
      w.socket?.destroy(); // mid-handshake: no reply can be read
      return;
    }
    // the 421 goes out first, then smtp-server half-closes (send() closes on 421); the message is destroyed so
    // the onData handler discards it, and a client that never closes its side loses the socket shortly after
    conn.send(421, `4.4.2 ${this.o.hostname} Error: timeout exceeded`);
    if (stream) {
      if (stream.listenerCount('error') === 0) stream.on('error', () => {});
      stream.destroy(new DeadlineExceeded(phase));
    }
    const socket = w.socket;
    if (socket) setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}
