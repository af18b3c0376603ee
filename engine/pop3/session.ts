// One POP3 connection: framing (bounded lines), the AUTHORIZATION → TRANSACTION → UPDATE state machine,
// the checks common to every command (state, error count, idle timeout) and the STLS upgrade. What each
// command does lives in commands.ts. It never logs a password or an AUTH/APOP/PASS argument.
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { AccountDirectory, User } from '../accounts/directory.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { AuthThrottle } from '../policy/auth-throttle.js';
import type { MailboxStore } from '../store/mailbox-store.js';
import { domainForLocalAddress, makeChallenge, type AuthContext } from './auth.js';
import { COMMANDS } from './commands.js';
import { LineReader, type Line } from './line-reader.js';
import type { Maildrop } from './maildrop.js';

export type State = 'AUTHORIZATION' | 'TRANSACTION' | 'UPDATE';

export interface SessionDeps {
  store: MailboxStore;
  directory: AccountDirectory;
  config: LoadedConfig;
  logger: Logger;
  throttle: AuthThrottle;
  secureContext: tls.SecureContext | null;
  /** Treat loopback clients as safe for plaintext logins (default); tests turn it off to see the refusal. */
  trustLoopback: boolean;
}

/** Errors (unknown commands, bad syntax, garbage) a session may make before it is closed. */
export const MAX_ERRORS = 20;
/** Failed logins in one session before it is closed. */
export const MAX_AUTH_FAILURES = 3;
/** Lines queued unanswered (pipelining) before reading pauses. */
const MAX_QUEUED = 64;
/** Time a client has to finish the TLS handshake after STLS (at most the idle timeout). */
const TLS_HANDSHAKE_MS = 30_000;
/** Reply octets gathered from pipelined commands before they are written. */
const BATCH_OUTPUT = 64 * 1024;
/** Reply octets queued for the client after which a multi-line reply waits for it to read. */
const OUTPUT_HIGH_WATER = 256 * 1024;
/** Reply octets waiting for a client that does not read, before we stop answering until it does. */
const MAX_UNREAD_OUTPUT = 1024 * 1024;

export class Pop3Session {
  state: State = 'AUTHORIZATION';
  secure: boolean;
  readonly id = crypto.randomBytes(5).toString('hex');
  readonly ip: string;
  readonly loopback: boolean;
  /** The APOP timestamp of this greeting; empty when APOP is off. */
  readonly timestamp: string;
  /** Name given by USER, waiting for PASS. */
  userName?: string;
  user?: User;
  drop?: Maildrop;
  errors = 0;
  authFailures = 0;
  /** Set while a SASL exchange waits for the client's next line. */
  saslContinuation?: (line: string) => Promise<void>;
  readonly auth: AuthContext;
  readonly reader = new LineReader();

  private socket: net.Socket;
  private readonly raw: net.Socket;
  private queue: Line[] = [];
  private busy = false;
  private closed = false;
  private readonly started = Date.now();
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onTimeout = () => this.idle();
  /** When the first byte of the line now arriving came; null between lines (slowloris deadline). */
  private lineStart: number | null = null;
  private lineTimer: NodeJS.Timeout | null = null;

  constructor(
    socket: net.Socket,
    readonly deps: SessionDeps,
    implicitTls: boolean,
  ) {
    this.socket = socket;
    this.raw = socket;
    this.secure = implicitTls;
    this.ip = normaliseIp(socket.remoteAddress ?? '');
    this.loopback = deps.trustLoopback && (/^127\./.test(this.ip) || this.ip === '::1');
    this.timestamp = this.apopEnabled ? makeChallenge(deps.config.hostname) : '';
    this.auth = {
      directory: deps.directory,
      throttle: deps.throttle,
      ip: this.ip,
      defaultDomain: domainForLocalAddress(deps.config.domains.by_ip, socket.localAddress),
    };
  }

  get config(): LoadedConfig {
    return this.deps.config;
  }

  /** APOP is offered when configured and the directory keeps recoverable secrets. */
  get apopEnabled(): boolean {
    return this.deps.config.pop3.apop && this.deps.config.auth.recoverable_secrets;
  }

  /** USER/PASS and AUTH PLAIN: over TLS, on loopback, or when the operator allowed plaintext. */
  get plaintextAllowed(): boolean {
    return this.secure || this.loopback || this.deps.config.pop3.allow_insecure_auth;
  }

  get canStartTls(): boolean {
    return !this.secure && this.deps.secureContext !== null && this.state === 'AUTHORIZATION';
  }

  /** SASL mechanisms offered now. */
  mechanisms(): string[] {
    const m: string[] = [];
    const allowed = this.deps.config.auth.mechanisms;
    if (allowed.includes('PLAIN') && this.plaintextAllowed) m.push('PLAIN');
    if (allowed.includes('CRAM-MD5') && this.deps.config.auth.recoverable_secrets) m.push('CRAM-MD5');
    return m;
  }

  start(): void {
    this.raw.on('error', (e) => this.log('debug', 'socket-error', { error: e.message }));
    this.raw.on('close', () => void this.closedByPeer());
    this.attach(this.socket);
    this.log('info', 'connect', { ip: this.ip, port: this.raw.remotePort, local: this.raw.localAddress, tls: this.secure });
    this.reply(`+OK ${this.deps.config.hostname} POP3 server ready${this.timestamp ? ' ' + this.timestamp : ''}`);
  }

  // ---- output ----

  reply(line: string): void {
    if (this.closed) return;
    this.socket.write(line + '\r\n');
  }

  /** A multi-line reply: status line, then body parts (already dot-stuffed and terminated). */
  async replyMulti(status: string, parts: Buffer[]): Promise<void> {
    if (this.closed) return;
    this.socket.cork();
    this.socket.write(status + '\r\n');
    for (const p of parts) this.socket.write(p);
    this.socket.uncork();
    // wait for the client only when a good amount is queued: waiting at the stream's 16 KB mark would cost an
    // event-loop round trip per message when the client pipelines
    if (this.socket.writableLength > OUTPUT_HIGH_WATER && !this.closed) await this.drained();
  }

  private drained(): Promise<void> {
    // nothing drains while corked
    while (this.socket.writableCorked) this.socket.uncork();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.raw.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.raw.once('close', done);
    });
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

  private attach(sock: net.Socket): void {
    sock.on('data', this.onData);
    sock.setTimeout(this.deps.config.pop3.idle_timeout);
    sock.on('timeout', this.onTimeout);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    const lines = this.reader.push(chunk);
    this.timeLine(lines.length > 0);
    this.queue.push(...lines);
    if (this.queue.length > MAX_QUEUED) this.socket.pause();
    void this.pump();
  }

  /**
   * The line deadline ([pop3] command_timeout): a line must arrive whole within it of its first byte, however
   * slowly it trickles; the idle timeout, which every byte resets, cannot bound a client that drips.
   */
  private timeLine(lineEnded: boolean): void {
    const limit = this.deps.config.pop3.command_timeout;
    if (limit <= 0) return;
    if (lineEnded) this.lineStart = null;
    if (!this.reader.partial || this.lineStart !== null) return;
    this.lineStart = Date.now();
    if (!this.lineTimer) this.armLineTimer(limit);
  }

  private armLineTimer(ms: number): void {
    this.lineTimer = setTimeout(() => this.checkLine(), ms);
    this.lineTimer.unref();
  }

  private checkLine(): void {
    this.lineTimer = null;
    if (this.closed || this.lineStart === null) return;
    const limit = this.deps.config.pop3.command_timeout;
    const elapsed = Date.now() - this.lineStart;
    if (elapsed < limit) return this.armLineTimer(limit - elapsed);
    this.log('warn', 'command-timeout', { ip: this.ip, ms: elapsed, limit, user: this.user?.address });
    this.queue = [];
    this.reply('-ERR Timeout: command line not received in time; closing connection');
    void this.end();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    // while the client has more commands queued (pipelining), replies are gathered into fewer, larger writes
    let corked = false;
    try {
      while (this.queue.length && !this.closed) {
        if (!corked && this.queue.length > 1) {
          this.socket.cork();
          corked = true;
        }
        await this.handle(this.queue.shift()!);
        if (corked && (this.queue.length === 0 || this.socket.writableLength > BATCH_OUTPUT)) {
          this.socket.uncork();
          corked = false;
        }
        // a client that pipelines without reading our replies must not make us buffer them without end
        if (this.socket.writableLength > MAX_UNREAD_OUTPUT && !this.closed) await this.drained();
        if (this.errors >= MAX_ERRORS && !this.closed) {
          this.reply('-ERR too many errors; closing connection');
          this.log('info', 'too-many-errors', { ip: this.ip });
          await this.end();
        }
      }
    } finally {
      if (corked) this.socket.uncork();
      this.busy = false;
    }
    if (!this.closed) this.socket.resume();
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
      this.log('error', 'internal-error', { error: (e as Error).message });
      this.reply('-ERR [SYS/TEMP] Internal error, try again later');
    }
  }

  // ---- TLS, login, end ----

  /** STLS (RFC 2595): anything the client pipelined after STLS is dropped; the session starts over unauthenticated. */
  async startTls(): Promise<void> {
    this.queue = [];
    this.reader.reset();
    this.lineStart = null;
    this.userName = undefined;
    const plain = this.socket;
    while (plain.writableCorked) plain.uncork(); // "+OK Begin TLS" must go out in plaintext now
    plain.off('data', this.onData);
    plain.off('timeout', this.onTimeout);
    plain.setTimeout(0);
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: this.deps.secureContext! });
    this.socket = secure;
    this.secure = true;
    secure.on('error', (e) => {
      this.log('info', 'tls-failed', { error: e.message });
      this.raw.destroy();
    });
    this.attach(secure);
    await new Promise<void>((resolve) => {
      // a client that sends STLS and then nothing must not hold the session (the idle timer waits for us)
      const timer = setTimeout(() => {
        this.log('info', 'tls-timeout', { ip: this.ip });
        this.raw.destroy();
      }, Math.min(TLS_HANDSHAKE_MS, this.deps.config.pop3.idle_timeout));
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      secure.once('secure', done);
      this.raw.once('close', done);
    });
    if (!this.closed) this.log('info', 'tls', { protocol: secure.getProtocol(), cipher: secure.getCipher()?.name });
  }

  /** Successful authentication: lock the maildrop and enter TRANSACTION; false when it is locked elsewhere. */
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
    this.log('info', 'login', { user: user.address, mechanism, ip: this.ip, messages: count, tls: this.secure });
    this.reply(`+OK Logged in, ${count} messages (${size} octets)`);
  }

  async loginFailed(login: string, mechanism: string, blocked: boolean): Promise<void> {
    if (blocked) {
      this.log('warn', 'login-blocked', { login: login.slice(0, 128), mechanism, ip: this.ip });
      this.reply('-ERR [SYS/TEMP] Too many failed logins from your address; try again later');
      return;
    }
    this.authFailures++;
    this.log('warn', 'login-failed', { login: login.slice(0, 128), mechanism, ip: this.ip });
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
    this.socket.end();
    setTimeout(() => this.raw.destroy(), 2000).unref();
  }

  /** Server shutdown: tell the client and drop the connection without UPDATE. */
  shutdown(): void {
    if (!this.closed) this.reply('-ERR [SYS/TEMP] Server shutting down');
    void this.end();
  }

  private idle(): void {
    if (this.busy) {
      // the server is still working on a command (e.g. waiting for the maildrop lock): not the client's idleness
      this.socket.setTimeout(this.deps.config.pop3.idle_timeout);
      return;
    }
    this.log('info', 'idle-timeout', { ip: this.ip });
    this.reply('-ERR Autologout; idle for too long');
    void this.end();
  }

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

function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
