// One SMTP connection (RFC 5321) on a socket, with no stream object between: bytes come from the socket's 'data'
// events, command lines are cut with Buffer.indexOf, the message after DATA goes through the DataReader, and
// the replies to a batch of pipelined commands (RFC 2920) leave in one write, when the server next waits for the
// client. Commands run one at a time; while a hook works, further input waits (bounded: the socket is paused
// past MAX_PENDING). The commands themselves are in commands.ts; TLS upgrade (STARTTLS) in starttls.ts.
import type net from 'node:net';
import type tls from 'node:tls';
import { formatReply, type Enhanced } from './reply.js';
import { DataReader, MessageStream } from './message.js';
import { runCommand } from './commands.js';
import { upgradeToTls } from './starttls.js';
import type { HookError, SmtpOptions, SmtpSession, WatchedConnection } from './types.js';

/** Input buffered while a hook works, before the socket is paused. */
const MAX_PENDING = 64 * 1024;
/** Commands run in one go before the connection lets other work in (setImmediate). */
const MAX_SYNC_COMMANDS = 100;
/** Replies kept before they are written even mid-batch (a client that pipelines HELP a million times). */
const MAX_OUT = 16 * 1024;
/** How long a closing connection waits for the client to close its side. */
const HALF_CLOSE_MS = 5000;
const QUIET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const HTTP = /^(OPTIONS|GET|HEAD|POST|PUT|DELETE|TRACE|CONNECT) \/.* HTTP\/\d\.\d$/i;

type Mode = 'command' | 'data' | 'closed';

export class SmtpConnection implements WatchedConnection {
  socket: net.Socket;
  readonly session: SmtpSession;
  /** Unread input: `input` from `pos`. */
  private input: Buffer | null = null;
  private pos = 0;
  /** Replies not yet written. */
  private out = '';
  mode: Mode = 'command';
  /** A hook (or the reply to a message) is owed by the server: input waits. */
  busy = false;
  ready = false;
  closing = false;
  upgrading = false;
  private paused = false;
  /** The client does not read its replies: no command runs until the socket has drained. */
  private draining = false;
  /** Ends a connection whose client has not read its replies for socketTimeout: its input resets the idle timer. */
  private unreadTimer: NodeJS.Timeout | null = null;
  /** pump() is running: a hook that answers at once lets it go on rather than start another. */
  private pumping = false;
  private inLine = false;
  /** The next line is a SASL response for this, not a command. */
  saslNext: ((line: string) => void) | null = null;
  unrecognized = 0;
  unauthenticated = 0;
  /** The message being received, and its reader. */
  message: MessageStream | null = null;
  private reader: DataReader | null = null;
  /** The onData hook's answer when it came before the final dot. */
  private dataAnswer: { err?: HookError | null; text?: string } | null = null;
  private readonly onBytes = (chunk: Buffer) => this.bytes(chunk);
  /** The client sent its FIN: what it pipelined before is still answered, then the connection closes. */
  private ended = false;
  private readonly onEnd = (): void => {
    this.ended = true;
    this.pump();
  };

  constructor(
    socket: net.Socket,
    readonly o: SmtpOptions,
    id: string,
  ) {
    this.socket = socket;
    const remote = normalizeIp(socket.remoteAddress);
    this.session = {
      id,
      localAddress: normalizeIp(socket.localAddress),
      localPort: socket.localPort ?? 0,
      remoteAddress: remote,
      remotePort: socket.remotePort ?? 0,
      clientHostname: `[${remote}]`,
      openingCommand: false,
      hostNameAppearsAs: false,
      secure: o.secure,
      envelope: newEnvelope(),
      tlsOptions: o.secure ? ((socket as tls.TLSSocket).getCipher?.() ?? false) : false,
      servername: o.secure ? ((socket as tls.TLSSocket & { servername?: string }).servername || undefined) : undefined,
      transmissionType: 'SMTP',
    };
    this.listen(socket);
    socket.once('close', () => this.closed());
    const greet = () => {
      o.onConnect(this.session, (err) => {
        if (err) return this.refuse(err);
        if (o.secure) o.onSecure(socket as tls.TLSSocket, this.session);
        this.ready = true;
        this.reply(220, `${o.name} ESMTP${o.banner ? ` ${o.banner}` : ''}`, false);
        this.flush();
      });
    };
    if (o.greetingDelay > 0) setTimeout(greet, o.greetingDelay).unref();
    else greet();
  }

  /** Reads commands from `socket` (the accepted one, or the TLS one after STARTTLS). */
  listen(socket: net.Socket): void {
    this.socket = socket;
    socket.on('data', this.onBytes);
    // input is read ahead of the hooks, so the FIN comes while replies are owed: Node would end our side at it
    socket.allowHalfOpen = true;
    socket.on('end', this.onEnd);
    socket.on('error', (e: Error & { code?: string }) => this.socketError(e));
    socket.setTimeout(this.o.socketTimeout, () => this.idle());
  }

  unlisten(socket: net.Socket): void {
    socket.off('data', this.onBytes);
    socket.off('end', this.onEnd);
    socket.setTimeout(0);
  }

  /** Queues a reply (written when the server next waits for the client, or by flush()). */
  reply(code: number, text: string | string[], context?: Enhanced): void {
    if (this.upgrading || this.mode === 'closed') return; // never plaintext into a TLS handshake
    this.out += formatReply(code, text, context);
    if (code === 421) this.close();
  }

  flush(): void {
    if (!this.out) return;
    const s = this.socket;
    if (!s.destroyed && s.writable && !s.write(this.out) && !this.draining && !this.closing) {
      // replies the client does not read are not piled up: its next commands wait for the drain
      this.draining = true;
      s.once('drain', this.drained);
      // a byte now and then keeps the idle timer from firing, and no command line is timed while its replies wait:
      // not reading counts as idle however the client talks (security review 10)
      if (this.o.socketTimeout > 0) this.unreadTimer = setTimeout(() => this.draining && this.socket.destroy(), this.o.socketTimeout);
    }
    this.out = '';
  }

  private readonly drained = (): void => {
    this.draining = false;
    if (this.unreadTimer) clearTimeout(this.unreadTimer);
    this.unreadTimer = null;
    this.pump();
  };

  /** A reply now, then the close (the deadlines' 421). */
  fail(code: number, text: string): void {
    this.reply(code, text);
    this.flush();
    this.close();
  }

  refuse(err: HookError): void {
    this.reply(err.responseCode || 554, err.message, false);
    this.flush();
    this.close();
  }

  private bytes(chunk: Buffer): void {
    if (this.closing) return; // read and dropped, so the client's FIN is seen
    if (this.input && this.pos < this.input.length) {
      this.input = Buffer.concat([this.input.subarray(this.pos), chunk]);
    } else this.input = chunk;
    this.pos = 0;
    this.pump();
  }

  /** Runs what the input holds, as far as it can; writes the replies when it must wait for the client. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.run();
    } finally {
      this.pumping = false;
    }
    const waiting = this.busy || this.draining;
    if (waiting && this.input && this.input.length - this.pos > MAX_PENDING && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (this.paused && !waiting) {
      this.paused = false;
      this.socket.resume();
    }
    // replies wait while the server works on the next pipelined command; they go when it waits for the client
    if (!this.busy || !this.input) this.flush();
    // a client that has half-closed: once nothing it sent can run any more (a cut line or message is dropped)
    if (this.ended && !this.busy && !this.draining && !this.closing) this.close();
  }

  private run(): void {
    let ran = 0;
    while (!this.busy && !this.draining && !this.closing && this.input) {
      if (++ran > MAX_SYNC_COMMANDS) {
        this.busy = true; // a long pipelined batch: the rest after other connections had their turn
        setImmediate(this.resumeInput);
        break;
      }
      const buf = this.input;
      if (this.mode === 'data') {
        const end = this.reader!.feed(buf, this.pos);
        if (end < 0) {
          this.input = null;
          break;
        }
        this.pos = end;
        if (end >= buf.length) this.input = null;
        this.messageEnded();
        continue;
      }
      const lf = buf.indexOf(0x0a, this.pos);
      if (lf < 0) {
        if (buf.length - this.pos > this.o.maxLineLength) return this.lineTooLong();
        if (!this.inLine && this.pos < buf.length) this.lineState(true);
        if (this.pos >= buf.length) this.input = null;
        break;
      }
      if (lf - this.pos > this.o.maxLineLength) return this.lineTooLong();
      const end = lf > this.pos && buf[lf - 1] === 0x0d ? lf - 1 : lf;
      const line = buf.toString('utf8', this.pos, end);
      this.pos = lf + 1;
      if (this.pos >= buf.length) this.input = null;
      if (this.inLine) this.lineState(false);
      this.command(line);
      if (this.out.length > MAX_OUT) this.flush();
    }
  }

  private lineState(begun: boolean): void {
    this.inLine = begun;
    this.o.watcher?.line(this, begun);
  }

  private lineTooLong(): void {
    this.input = null;
    this.reply(421, 'Error: Command line too long');
    this.flush();
  }

  /** A hook answered: go on with the input. */
  resumeInput = (): void => {
    this.busy = false;
    if (!this.pumping) this.pump();
  };

  private command(line: string): void {
    if (this.upgrading) return; // plaintext after STARTTLS: dropped (RFC 3207 §5)
    const sp = line.indexOf(' ');
    const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const helo = verb === 'HELO' || verb === 'EHLO' || verb === 'LHLO' ? false : undefined;
    if (this.o.closing()) return this.reply(421, 'Server shutting down', helo);
    if (!this.ready) return this.reply(421, `${this.o.name} You talk too soon`, helo);
    if (HTTP.test(line)) return this.reply(421, 'HTTP requests not allowed', helo);
    const sasl = this.saslNext;
    if (sasl) {
      this.saslNext = null;
      this.busy = true;
      return sasl(line);
    }
    runCommand(this, verb, line);
  }

  // ---- DATA ----

  /** After the 354: the message starts with the next byte. */
  startMessage(): MessageStream {
    const m = new MessageStream(this.o.size, (pause) => this.throttle(pause));
    this.message = m;
    this.reader = new DataReader(m);
    this.dataAnswer = null;
    this.mode = 'data';
    this.o.watcher?.message(this, m);
    return m;
  }

  private throttle(pause: boolean): void {
    if (this.socket.destroyed) return;
    if (pause) this.socket.pause();
    else if (!this.paused) this.socket.resume();
  }

  /** The onData hook's answer (it may come before the final dot, when it gave up early). */
  messageAnswered(err: HookError | null | undefined, text: string | undefined): void {
    if (this.mode === 'data') {
      this.dataAnswer = { err, text };
      this.message?.resume(); // the rest is read and dropped, never kept
      return;
    }
    this.answerMessage(err, text);
  }

  private messageEnded(): void {
    const m = this.message!;
    m.end();
    this.mode = 'command';
    this.reader = null;
    this.o.watcher?.message(this, null);
    this.busy = true;
    const a = this.dataAnswer;
    if (a) this.answerMessage(a.err, a.text);
  }

  private answerMessage(err: HookError | null | undefined, text: string | undefined): void {
    if (!this.message) return;
    this.message = null;
    this.dataAnswer = null;
    if (err) this.reply(err.responseCode || 450, err.message);
    else this.reply(250, text ?? 'OK: message queued', '2.6.0');
    this.unrecognized = 0;
    this.resetTransaction();
    this.resumeInput();
  }

  resetTransaction(): void {
    this.session.envelope = newEnvelope();
  }

  // ---- STARTTLS ----

  startTls(): void {
    this.reply(220, 'Ready to start TLS');
    this.flush();
    this.input = null; // whatever followed STARTTLS in plaintext is never run (RFC 3207 §5, command injection)
    this.busy = true; // until the handshake is done (upgradeToTls resumes)
    upgradeToTls(this);
  }

  // ---- the end ----

  private idle(): void {
    if (this.closing) return void this.socket.destroy();
    // the client waits for us (a hook, the answer to a message): only its own silence counts
    if (this.busy) return void this.socket.setTimeout(this.o.socketTimeout);
    this.reply(421, 'Timeout - closing connection');
    this.flush();
  }

  close(): void {
    const s = this.socket;
    if (!s.destroyed && s.writable) {
      this.flush();
      s.end();
    }
    if (this.closing) return;
    this.closing = true;
    this.input = null;
    if (!this.upgrading && !s.destroyed) s.resume(); // read the client's FIN
    // cleared when the socket closes: a timer left to fire would keep this connection, its session and socket
    // alive for HALF_CLOSE_MS after every QUIT (thousands of them at a few hundred connections a second)
    this.halfClose = setTimeout(() => {
      this.halfClose = null;
      if (!this.socket.destroyed) this.socket.destroy();
    }, Math.min(this.o.socketTimeout, HALF_CLOSE_MS)).unref();
  }

  private halfClose: NodeJS.Timeout | null = null;

  private socketError(e: Error & { code?: string }): void {
    if (e.code && QUIET_ERRORS.has(e.code) && !this.session.envelope.mailFrom) return void this.close();
    this.o.onError(this.session, e);
    this.socket.destroy();
  }

  private closedOnce = false;
  closed(): void {
    if (this.closedOnce) return;
    this.closedOnce = true;
    this.closing = true;
    if (this.halfClose) clearTimeout(this.halfClose);
    this.halfClose = null;
    if (this.unreadTimer) clearTimeout(this.unreadTimer);
    const m = this.message;
    if (m && !m.writableEnded) m.destroy(new Error('Connection closed before the message was received in full'));
    this.mode = 'closed';
    this.o.watcher?.closed(this);
    setImmediate(() => this.o.onClose(this.session));
  }
}

export function newEnvelope(): SmtpSession['envelope'] {
  return { mailFrom: false, rcptTo: [], dsn: { ret: null, envid: null }, bodyType: '7bit', smtpUtf8: false };
}

/** The address as smtp-server showed it: no "::ffff:" prefix, lower case. */
function normalizeIp(a: string | undefined): string {
  return (a ?? '').trim().replace(/^::ffff:/i, '').toLowerCase();
}
