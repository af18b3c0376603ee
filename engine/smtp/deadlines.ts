// SMTP deadlines against slow senders (slowloris): a command line must arrive whole within command_timeout of
// its first byte, a STARTTLS handshake within command_timeout, and a message (from the 354 reply to the final
// dot) within data_timeout, however slowly the bytes trickle; the socket's idle timeout is reset by every byte,
// these are not. Past a deadline the client gets "421 4.4.2 <host> Error: timeout exceeded", the message being
// received is destroyed (so it is never acknowledged) and the connection closes. The session layer
// (protocol/connection.ts) says when a line begins and ends, when a message starts and ends, when a handshake
// runs; nothing is timed while the server owes the next step. The clock is engine/net/deadline.ts's.
import type { Logger } from '../log/logger.js';
import { Deadline } from '../net/deadline.js';
import type { MessageStream } from './protocol/message.js';
import type { ConnectionWatcher, WatchedConnection } from './protocol/types.js';

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

/** How long after the 421 a client that does not close its side keeps the socket. */
const CLOSE_GRACE_MS = 2000;

interface Watch {
  deadline: Deadline<Phase>;
  stream: MessageStream | null;
}

export class SmtpDeadlines implements ConnectionWatcher {
  /** Made at a connection's first timed phase: a client that sends whole lines never gets one before DATA. */
  private watches = new WeakMap<WatchedConnection, Watch>();

  constructor(private readonly o: DeadlineOptions) {}

  get enabled(): boolean {
    return this.o.commandMs > 0 || this.o.dataMs > 0;
  }

  line(conn: WatchedConnection, begun: boolean): void {
    if (this.o.commandMs <= 0) return;
    if (begun) this.watch(conn).deadline.time('command', conn, this.o.commandMs);
    else this.watches.get(conn)?.deadline.stop(); // between lines the server owes the reply
  }

  message(conn: WatchedConnection, stream: MessageStream | null): void {
    if (stream === null) {
      const w = this.watches.get(conn);
      if (w) {
        w.stream = null;
        w.deadline.stop();
      }
      return;
    }
    if (this.o.dataMs <= 0) return void this.watches.get(conn)?.deadline.stop();
    const w = this.watch(conn);
    w.stream = stream;
    w.deadline.time('data', stream, this.o.dataMs);
  }

  handshake(conn: WatchedConnection, running: boolean): void {
    if (this.o.commandMs <= 0) return;
    if (running) this.watch(conn).deadline.time('tls', conn, this.o.commandMs);
    else this.watches.get(conn)?.deadline.stop(); // nothing sent in plaintext counts inside TLS
  }

  closed(conn: WatchedConnection): void {
    this.watches.get(conn)?.deadline.stop();
    this.watches.delete(conn);
  }

  private watch(conn: WatchedConnection): Watch {
    let w = this.watches.get(conn);
    if (!w) {
      const made: Watch = { deadline: new Deadline<Phase>((phase, elapsed) => this.expire(conn, made, phase, elapsed)), stream: null };
      this.watches.set(conn, (w = made));
    }
    return w;
  }

  private expire(conn: WatchedConnection, w: Watch, phase: Phase, elapsedMs: number): void {
    const stream = phase === 'data' ? w.stream : null;
    this.o.logger.warn('smtp', 'timeout', {
      sid: conn.session.id,
      ip: conn.session.remoteAddress,
      listener: this.o.listener,
      phase,
      ms: elapsedMs,
      limit: phase === 'data' ? this.o.dataMs : this.o.commandMs,
      bytes: stream ? stream.byteLength : undefined,
    });
    const socket = conn.socket;
    if (phase === 'tls') {
      socket.destroy(); // mid-handshake: no reply can be read
      return;
    }
    // the 421 goes out first, then the close; the message is destroyed so the onData handler discards it, and a
    // client that never closes its side loses the socket shortly after
    stream?.destroy(new DeadlineExceeded(phase));
    conn.fail(421, `4.4.2 ${this.o.hostname} Error: timeout exceeded`);
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}
