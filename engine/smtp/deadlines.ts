// SMTP deadlines against slow senders (slowloris): a command line must arrive whole within command_timeout of
// its first byte, and a message (from the 354 reply to the final dot) within data_timeout, however slowly the
// bytes trickle; smtp-server's socketTimeout is an idle timer that every byte resets, these are not. Past a
// deadline the client gets "421 4.4.2 <host> Error: timeout exceeded", the message being received is destroyed
// (so it is never acknowledged) and the connection closes. It only watches arrival times; it never reads,
// alters or delays the bytes, and never judges a deadline while the server, not the client, owes the next step.
// The clock is the shared one of engine/net/deadline.ts; only what it watches (smtp-server's sockets) is here.
import type net from 'node:net';
import type { Readable } from 'node:stream';
import type { SMTPServer, SMTPServerSession } from 'smtp-server';
import type { Logger } from '../log/logger.js';
import { Deadline } from '../net/deadline.js';

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
  /** The one clock of this connection: a command line, the TLS handshake after STARTTLS, or the message. */
  deadline: Deadline<Phase>;
  /** Command lines begun so far: the key of the line now timed. */
  lines: number;
  /** A command line has begun and not ended. */
  inLine: boolean;
  /** The last few command-mode bytes (latin1), to see a STARTTLS line however it was split. */
  tail: string;
  stream: Stream | null;
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
    const w: Watch = {
      conn,
      deadline: new Deadline<Phase>((phase, elapsed) => this.expired(w, phase, elapsed)),
      lines: 0,
      inLine: false,
      tail: '',
      stream: null,
      expired: false,
    };
    this.watches.set(session.id, w);
    this.attach(w, conn._socket);
  }

  /** The session now reads from `socket` (after STARTTLS; also called for implicit TLS, on the same socket). */
  socketChanged(session: SMTPServerSession, socket: net.Socket): void {
    const w = this.watches.get(session.id);
    if (!w || w.socket === socket) return;
    w.deadline.stop(); // nothing sent in plaintext counts inside TLS
    w.inLine = false;
    w.tail = '';
    this.attach(w, socket);
  }

  /** DATA accepted: the message must be in within dataMs (when on). */
  dataStarted(session: SMTPServerSession, stream: Stream): void {
    const w = this.watches.get(session.id);
    if (!w) return;
    w.stream = stream; // message lines are not command lines, even when only the command deadline is on
    w.inLine = false;
    if (this.o.dataMs > 0) w.deadline.time('data', stream, this.o.dataMs);
    else w.deadline.stop();
  }

  unwatch(session: SMTPServerSession): void {
    const w = this.watches.get(session.id);
    if (!w) return;
    this.watches.delete(session.id);
    w.deadline.stop();
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
    w.tail = (w.tail + chunk.toString('latin1', Math.max(0, chunk.length - 12))).slice(-12);
    const startTls = !(w.socket as net.Socket & { encrypted?: boolean }).encrypted && /(?:^|\n)STARTTLS\r?\n$/i.test(w.tail);
    if (chunk.includes(0x0a)) w.inLine = false; // a line ended; whatever follows its LF starts a new one
    if (chunk[chunk.length - 1] !== 0x0a && !w.inLine) {
      w.inLine = true;
      w.lines++;
    }
    if (startTls) w.deadline.time('tls', w.lines, this.o.commandMs);
    else if (w.inLine) w.deadline.time('command', w.lines, this.o.commandMs);
    else w.deadline.stop(); // between lines the server owes the reply
  }

  /** The clock ran out: act only if what it timed is still owed by the client. */
  private expired(w: Watch, phase: Phase, elapsedMs: number): void {
    if (w.expired || !this.watches.has(w.conn.session.id)) return;
    if (phase === 'data' ? !this.receivingData(w) : phase === 'tls' ? !w.conn._upgrading : this.receivingData(w) || !w.inLine) return;
    this.expire(w, phase, elapsedMs);
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
