// One POP3 connection: bounded lines (line-reader.ts) over the shared FramedSocket (deadlines, idle timeout,
// STLS), the AUTHORIZATION → TRANSACTION → UPDATE state machine, and the checks common to every command (state,
// error count). What each command does lives in commands.ts; logins go through the shared login flow
// (engine/net/login.ts). It never logs a password or an AUTH/APOP/PASS argument.
import crypto from 'node:crypto';
import type net from 'node:net';
import type { ServerTls } from '../net/tls.js';
import type { User } from '../accounts/directory.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { FramedSocket } from '../net/framed-socket.js';
import { handshakeDeadline } from '../net/listener.js';
import { plaintextAllowed, type LoginContext, type LoginFlow, type SaslMechanismName } from '../net/login.js';
import { makeChallenge } from '../net/sasl/cram-md5.js';
import { unmapV4 } from '../policy/cidr.js';
import type { MailboxStore } from '../store/mailbox-store.js';
import { isUnavailable } from '../store/store-error.js';
import { COMMANDS } from './commands.js';
import { LineReader, type Line } from './line-reader.js';
import { releaseReply } from './message-output.js';
import type { Maildrop } from './maildrop.js';

export type State = 'AUTHORIZATION' | 'TRANSACTION' | 'UPDATE';

export interface SessionDeps {
  store: MailboxStore;
  config: LoadedConfig;
  logger: Logger;
  login: LoginFlow;
  /** One context, or the per-domain certificates (chosen by local address and SNI). */
  secureContext: ServerTls;
  /** Treat loopback clients as safe for plaintext logins (default); tests turn it off to see the refusal. */
  trustLoopback: boolean;
}

/** Errors (unknown commands, bad syntax, garbage) a session may make before it is closed. */
export const MAX_ERRORS = 20;
/** Failed logins in one session before it is closed. */
export const MAX_AUTH_FAILURES = 3;
/** Lines queued unanswered (pipelining) before reading pauses. */
const MAX_QUEUED = 64;
/** Octets a SASL response line may have (RFC 5034 allows more than a command's 255). */
const SASL_LINE = 2048;
/** Reply octets gathered from pipelined commands before they are written. */
const BATCH_OUTPUT = 64 * 1024;
/** Reply octets queued for the client after which a multi-line reply waits for it to read. */
const OUTPUT_HIGH_WATER = 256 * 1024;
/** Reply octets waiting for a client that does not read, before we stop answering until it does. */
const MAX_UNREAD_OUTPUT = 1024 * 1024;

export class Pop3Session {
  state: State = 'AUTHORIZATION';
  readonly id = crypto.randomBytes(5).toString('hex');
  readonly ip: string;
  /** The APOP timestamp of this greeting; empty when APOP is off. */
  readonly timestamp: string;
  /** Name given by USER, waiting for PASS. */
  userName?: string;
  user?: User;
  drop?: Maildrop;
  errors = 0;
  authFailures = 0;
  readonly reader = new LineReader();

  private readonly conn: FramedSocket;
  /** Set while a SASL exchange waits for the client's next line. */
  private saslContinuation?: (line: string) => Promise<void>;
  private queue: Line[] = [];
  private busy = false;
  private closed = false;
  private readonly started = Date.now();

  constructor(
    socket: net.Socket,
    readonly deps: SessionDeps,
    implicitTls: boolean,
  ) {
    const p = deps.config.pop3;
    this.conn = new FramedSocket({
      socket,
      secure: implicitTls,
      pending: () => this.reader.waitingFor(),
      lineMs: p.command_timeout,
      literalMs: 0,
      handshakeMs: handshakeDeadline(p.command_timeout, p.idle_timeout),
      idleMs: p.idle_timeout,
      onData: (chunk) => this.receive(chunk),
      onClose: () => {
        this.closedByPeer().catch(this.failed);
      },
      onIdle: () => this.idle(),
      onDeadline: (_phase, ms, limit) => this.lineTimeout(ms, limit),
    });
    this.ip = unmapV4(socket.remoteAddress ?? '');
    this.timestamp = this.apopEnabled ? makeChallenge(deps.config.hostname) : '';
  }

  get config(): LoadedConfig {
    return this.deps.config;
  }

  get secure(): boolean {
    return this.conn.secure;
  }

  /** Who logs in, where (for the login flow). */
  get loginContext(): LoginContext {
    return { protocol: 'pop3', session: this.id, ip: this.ip, local: this.conn.localAddress };
  }

  /** APOP is offered when configured and the directory keeps recoverable secrets. */
  get apopEnabled(): boolean {
    return this.deps.config.pop3.apop && this.deps.login.secretsKept;
  }

  /** USER/PASS, AUTH PLAIN and AUTH LOGIN: over TLS, on loopback, or when the operator allowed plaintext. */
  get plaintextAllowed(): boolean {
    return plaintextAllowed({ secure: this.secure, ip: this.ip, allowInsecure: this.config.pop3.allow_insecure_auth, trustLoopback: this.deps.trustLoopback });
  }

  get canStartTls(): boolean {
    return !this.secure && this.state === 'AUTHORIZATION';
  }

  /** SASL mechanisms offered now. */
  mechanisms(): SaslMechanismName[] {
    return this.deps.login.mechanisms(this.plaintextAllowed);
  }

  start(): void {
    this.log('info', 'connect', { ip: this.ip, port: this.conn.socket.remotePort, local: this.conn.localAddress, tls: this.secure });
    this.reply(`+OK ${this.deps.config.hostname} POP3 server ready${this.timestamp ? ' ' + this.timestamp : ''}`);
    this.conn.waiting();
  }

  // ---- output ----

  reply(line: string): void {
    if (this.closed) return;
    this.conn.write(line + '\r\n');
  }

  /** A multi-line reply: status line, then body parts (already dot-stuffed and terminated). */
  async replyMulti(status: string, parts: Buffer[]): Promise<void> {
    if (this.closed) return;
    const s = this.conn.socket;
    s.cork();
    s.write(status + '\r\n');
    for (const p of parts) s.write(p);
    s.uncork();
    // wait for the client only when a good amount is queued: waiting at the stream's 16 KB mark would cost an
    // event-loop round trip per message when the client pipelines
    if (s.writableLength > OUTPUT_HIGH_WATER && !this.closed) await this.conn.drained();
  }

  /** A whole reply built in `buf` (retrReply); the buffer is kept for the next one when the socket took it at once. */
  async replyBuffer(buf: Buffer, len: number): Promise<void> {
    const s = this.conn.socket;
    if (this.closed || s.destroyed) return releaseReply(buf);
    s.write(len === buf.length ? buf : buf.subarray(0, len));
    // nothing waits to be written (not corked, the kernel took it all): nothing refers to buf any more
    if (s.writableLength === 0) releaseReply(buf);
    else if (s.writableLength > OUTPUT_HIGH_WATER && !this.closed) await this.conn.drained();
  }

  /** An error the client made: counted; too many ends the session. */
  error(text: string): void {
    this.errors++;
    this.reply(`-ERR ${text}`);
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown> = {}): void {
    this.deps.logger.log('pop3', event, { session: this.id, ...fields }, level);
  }

  // ---- input ----

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    const lines = this.reader.push(chunk);
    this.queue.push(...lines);
    if (this.queue.length > MAX_QUEUED) this.conn.pause();
    this.pump().catch(this.failed);
  }

  /** The line deadline passed ([pop3] command_timeout): a line that drips is cut, however slowly it comes. */
  private lineTimeout(ms: number, limit: number): void {
    this.log('warn', 'command-timeout', { ip: this.ip, ms, limit, user: this.user?.address });
    this.queue = [];
    this.reply('-ERR Timeout: command line not received in time; closing connection');
    this.end().catch(this.failed);
  }

  private async pump(): Promise<void> {
    // bytes that complete no line leave the client owing the rest of it: its clock keeps running
    if (this.busy || !this.queue.length) return;
    this.busy = true;
    this.conn.working();
    // while the client has more commands queued (pipelining), replies are gathered into fewer, larger writes
    let corked = false;
    const s = () => this.conn.socket;
    try {
      while (this.queue.length && !this.closed) {
        if (!corked && this.queue.length > 1) {
          s().cork();
          corked = true;
        }
        await this.handle(this.queue.shift()!);
        if (corked && (this.queue.length === 0 || s().writableLength > BATCH_OUTPUT)) {
          s().uncork();
          corked = false;
        }
        // a client that pipelines without reading our replies must not make us buffer them without end
        if (s().writableLength > MAX_UNREAD_OUTPUT && !this.closed) await this.conn.drained();
        if (this.errors >= MAX_ERRORS && !this.closed) {
          this.reply('-ERR too many errors; closing connection');
          this.log('info', 'too-many-errors', { ip: this.ip });
          await this.end();
        }
      }
    } finally {
      if (corked) s().uncork();
      this.busy = false;
    }
    if (!this.closed) {
      this.conn.resume();
      this.conn.waiting();
    }
  }

  private async handle(line: Line): Promise<void> {
    if (this.saslContinuation) {
      const cont = this.saslContinuation;
      this.saslContinuation = undefined;
      this.reader.maxLine = 255;
      if (line.kind !== 'line') return this.error('[AUTH] Bad SASL response');
      return this.guard(() => cont(line.text));
    }
    if (line.kind === 'too-long') return this.error('Line too long');
    if (line.kind === 'nul') return this.error('NUL byte in command');
    const text = line.text;
    const sp = text.indexOf(' ');
    const verb = (sp < 0 ? text : text.slice(0, sp)).toUpperCase();
    const arg = sp < 0 ? '' : text.slice(sp + 1);
    const cmd = /^[A-Z]{1,8}$/.test(verb) ? COMMANDS[verb] : undefined;
    if (!cmd) {
      this.log('debug', 'unknown-command', { verb: verb.slice(0, 16) });
      return this.error('Unknown command');
    }
    if (!cmd.states.includes(this.state)) return this.error(`${verb} not valid in this state`);
    this.log('debug', 'command', { verb });
    await this.guard(() => cmd.run(this, arg));
  }

  private async guard(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (isUnavailable(e)) {
        // the mail store's database is away (RFC 3206 SYS/TEMP): the session stays, the client retries
        this.log('warn', 'store-unavailable', { error: (e as Error).message });
        return this.reply('-ERR [SYS/TEMP] Mail store temporarily unavailable, try again later');
      }
      this.log('error', 'internal-error', { error: (e as Error).message });
      this.reply('-ERR [SYS/TEMP] Internal error, try again later');
    }
  }

  /** The next line answers a SASL challenge: `next` gets it (longer lines are allowed meanwhile). */
  expectSaslResponse(next: (line: string) => Promise<void>): void {
    this.reader.maxLine = SASL_LINE;
    this.saslContinuation = next;
  }

  // ---- TLS, login, end ----

  /** STLS (RFC 2595): anything the client pipelined after STLS is dropped; the session starts over unauthenticated. */
  async startTls(): Promise<void> {
    this.userName = undefined;
    this.saslContinuation = undefined;
    const r = await this.conn.startTls(this.deps.secureContext, () => {
      this.queue = [];
      this.reader.discardBuffered();
    });
    if (!r.ok) {
      this.log('info', r.reason === 'timeout' ? 'timeout' : 'tls-failed', { ip: this.ip, phase: 'tls', error: r.error });
      this.closed = true;
      return;
    }
    this.log('info', 'tls', { protocol: r.protocol, cipher: r.cipher });
  }

  /** Successful authentication: enter TRANSACTION with the maildrop, or say it is locked elsewhere. */
  async loggedIn(user: User, mechanism: string, drop: Maildrop | null): Promise<void> {
    if (this.closed) {
      // the client left while its (pipelined) login was being checked: finish() has run, so nothing else would free the lock
      drop?.release();
      return;
    }
    if (!drop) {
      this.log('info', 'maildrop-locked', { user: user.address });
      this.reply('-ERR [IN-USE] Mailbox is locked by another POP3 session');
      return;
    }
    this.user = user;
    this.drop = drop;
    this.state = 'TRANSACTION';
    const { count, size } = drop.stat();
    this.log('debug', 'maildrop', { user: user.address, mechanism, messages: count, tls: this.secure });
    this.reply(`+OK Logged in, ${count} messages (${size} octets)`);
  }

  /** A login that did not succeed; the login flow has logged and counted it already. */
  async loginFailed(kind: 'failed' | 'blocked' | 'busy'): Promise<void> {
    if (kind === 'blocked') return this.reply('-ERR [SYS/TEMP] Too many failed logins from your address; try again later');
    if (kind === 'busy') return this.reply('-ERR [SYS/TEMP] Login temporarily unavailable; try again later');
    this.authFailures++;
    this.reply('-ERR [AUTH] Authentication failed');
    if (this.authFailures >= MAX_AUTH_FAILURES) {
      this.reply('-ERR Too many failed logins; closing connection');
      await this.end();
    }
  }

  /** Close after the replies written so far are sent. */
  async end(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    await this.finish(false);
    this.conn.end();
  }

  /** Server shutdown: tell the client and drop the connection without UPDATE. */
  shutdown(): void {
    if (!this.closed) this.reply('-ERR [SYS/TEMP] Server shutting down');
    this.end().catch(this.failed);
  }

  private idle(): void {
    if (this.busy) {
      // the server is still working on a command (e.g. waiting for the maildrop lock): not the client's idleness
      this.conn.setIdle(this.deps.config.pop3.idle_timeout);
      return;
    }
    this.log('info', 'idle-timeout', { ip: this.ip });
    this.reply('-ERR Autologout; idle for too long');
    this.end().catch(this.failed);
  }

  /** Work started from a socket event failed (a bug, or I/O such as a full disk): drop this client, not the server. */
  private readonly failed = (e: unknown): void => {
    this.closed = true;
    this.queue = [];
    this.conn.destroy(); // its close runs closedByPeer(), which releases the maildrop if nothing has yet
    this.log('error', 'internal-error', { error: (e as Error).message });
  };

  private async closedByPeer(): Promise<void> {
    this.closed = true;
    // during UPDATE the QUIT handler finishes (and releases the maildrop) once the deletions are done
    if (this.state !== 'UPDATE') await this.finish(false);
  }

  private finished = false;
  /** Release the maildrop once; retrieved messages keep their \Seen even without QUIT. */
  async finish(updated: boolean): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const drop = this.drop;
    if (drop) {
      try {
        if (!updated) await drop.flushSeen();
      } catch (e) {
        this.log('error', 'flag-update-failed', { error: (e as Error).message });
      } finally {
        drop.release();
      }
    }
    this.log('info', 'disconnect', { ip: this.ip, user: this.user?.address, errors: this.errors, ms: Date.now() - this.started });
  }
}
