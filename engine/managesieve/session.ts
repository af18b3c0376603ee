// One ManageSieve connection (RFC 5804): capabilities then OK as the greeting; framed commands (reader.ts) checked
// for state and argument shape (each command file's declaration) before the handler runs; OK/NO/BYE replies.
// The socket, its deadlines, idle timeout and STARTTLS are the shared FramedSocket's (engine/net), logins the
// shared login flow's (same mechanisms and throttle as IMAP). It never logs a password or an AUTHENTICATE argument.
import crypto from 'node:crypto';
import type net from 'node:net';
import type tls from 'node:tls';
import type { AccountDirectory, User } from '../accounts/directory.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { FramedSocket } from '../net/framed-socket.js';
import { handshakeDeadline } from '../net/listener.js';
import { plaintextAllowed, type LoginContext, type LoginFlow } from '../net/login.js';
import { unmapV4 } from '../policy/cidr.js';
import type { RulesStore } from '../rules/store.js';
import { sieveOptions } from '../rules/scripts.js';
import { sieveCapabilityString } from '../sieve/index.js';
import { formatResponse, sieveString, validateArgs, type Response, type SessionState } from './command.js';
import { commandTable } from './commands/index.js';
import { SieveReader, type ReaderEvent } from './reader.js';

export interface SessionShared {
  config: LoadedConfig;
  logger: Logger;
  login: LoginFlow;
  directory: AccountDirectory;
  store: RulesStore;
  secureContext: tls.SecureContext;
  sessions: Set<Session>;
}

/** Errors (unknown commands, bad syntax) a session may make in a row before it is closed. */
const MAX_ERRORS = 20;
/** Failed logins in one session before it is closed. */
const MAX_AUTH_FAILURES = 3;
const HIGH_WATER = 256 * 1024;
/** Lines before login are short; after it they carry no script either (scripts are literals). */
const MAX_LINE = 8 * 1024;

export class Session {
  readonly id = crypto.randomBytes(5).toString('hex');
  state: SessionState = 'nonauth';
  user: User | null = null;
  readonly remoteAddress: string;
  readonly localAddress: string;
  authFailures = 0;
  /** STARTTLS answered OK: switch to TLS right after the reply. */
  tlsPending = false;
  /** LOGOUT answered: close after the reply. */
  closing = false;
  private readonly reader: SieveReader;
  private readonly conn: FramedSocket;
  private wake: (() => void) | null = null;
  private closed = false;
  private errors = 0;

  constructor(
    socket: net.Socket,
    readonly shared: SessionShared,
  ) {
    this.remoteAddress = unmapV4(socket.remoteAddress ?? '');
    this.localAddress = unmapV4(socket.localAddress ?? '');
    const c = shared.config.managesieve;
    const maxScript = shared.config.sieve.max_script_size;
    this.reader = new SieveReader(() =>
      this.state === 'nonauth'
        ? { maxLine: MAX_LINE, maxLiteral: c.max_literal_preauth, maxCommand: c.max_literal_preauth + MAX_LINE, skipOversized: false }
        : { maxLine: MAX_LINE, maxLiteral: maxScript, maxCommand: maxScript + 4 * MAX_LINE, skipOversized: true },
    );
    this.conn = new FramedSocket({
      socket,
      secure: false,
      pending: () => this.reader.waitingFor(),
      lineMs: c.command_timeout,
      literalMs: c.literal_timeout,
      handshakeMs: handshakeDeadline(c.command_timeout, c.idle_timeout),
      idleMs: c.idle_timeout,
      onData: (chunk) => {
        this.reader.push(chunk);
        if (this.reader.bufferedBytes > HIGH_WATER) this.conn.pause();
        this.wake?.();
      },
      onClose: () => {
        this.closed = true;
        this.wake?.();
      },
      onIdle: () => {
        this.log('timeout');
        this.bye('Idle for too long');
      },
      onDeadline: (phase, ms, limit) => {
        this.log('command-timeout', { phase, ms, limit }, 'warn');
        this.bye(`Timeout: ${phase === 'line' ? 'command line' : 'literal'} not received in time`);
      },
    });
  }

  get secure(): boolean {
    return this.conn.secure;
  }

  get loginContext(): LoginContext {
    return { protocol: 'managesieve', session: this.id, ip: this.remoteAddress, local: this.localAddress };
  }

  get config(): LoadedConfig {
    return this.shared.config;
  }

  /** The owner key of the logged-in user's scripts. */
  get owner(): string {
    return this.user!.address.toLowerCase();
  }

  /** PLAIN and LOGIN only over TLS, on loopback, or when [managesieve] allow_insecure_auth allows it. */
  get plaintextOk(): boolean {
    return plaintextAllowed({ secure: this.secure, ip: this.remoteAddress, allowInsecure: this.config.managesieve.allow_insecure_auth });
  }

  log(event: string, fields: Record<string, unknown> = {}, level: 'debug' | 'info' | 'warn' = 'info'): void {
    this.shared.logger.log('managesieve', event, { session: this.id, ip: this.remoteAddress, user: this.user?.address, ...fields }, level);
  }

  write(data: string): void {
    if (!this.closed) this.conn.write(data);
  }

  /** The capability lines (RFC 5804 §1.7), without the OK. */
  capabilities(): string {
    const s = this.config.sieve;
    const lines: [string, string?][] = [
      ['IMPLEMENTATION', 'tegami'],
      ['SIEVE', sieveCapabilityString(sieveOptions(this.config).extensions)],
    ];
    if (this.state === 'nonauth') {
      lines.push(['SASL', this.shared.login.mechanisms(this.plaintextOk).join(' ')]);
      if (!this.secure) lines.push(['STARTTLS']);
    } else lines.push(['OWNER', this.owner]);
    lines.push(['MAXREDIRECTS', String(s.max_redirects)], ['UNAUTHENTICATE'], ['VERSION', '1.0']);
    return lines.map(([k, v]) => `${sieveString(k)}${v !== undefined ? ` ${sieveString(v)}` : ''}\r\n`).join('');
  }

  authenticated(user: User): void {
    this.user = user;
    this.state = 'auth';
    this.authFailures = 0;
  }

  unauthenticate(): void {
    this.user = null;
    this.state = 'nonauth';
  }

  /** The next framed event, or null once the connection is gone. */
  async next(): Promise<ReaderEvent | null> {
    for (;;) {
      const ev = this.reader.take();
      if (ev) {
        this.conn.working();
        return ev;
      }
      if (this.closed) return null;
      this.conn.waiting();
      if (this.reader.bufferedBytes <= HIGH_WATER) this.conn.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  bye(text: string, code?: string): void {
    this.write(formatResponse({ status: 'BYE', text, code }));
    this.end();
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.end();
    this.wake?.();
  }

  async run(): Promise<void> {
    this.log('connect', { local: this.localAddress });
    this.write(this.capabilities() + formatResponse({ status: 'OK', text: 'tegami ManageSieve ready' }));
    try {
      while (!this.closed) {
        const ev = await this.next();
        if (!ev) break;
        await this.dispatch(ev);
        await this.conn.drained();
      }
    } catch (e) {
      this.log('error', { error: (e as Error).message }, 'warn');
    } finally {
      this.reader.discardBuffered();
      this.end();
      this.log('disconnect');
    }
  }

  private reply(r: Response, isError: boolean): void {
    this.write(formatResponse(r));
    if (!isError) this.errors = 0;
    else if (++this.errors >= MAX_ERRORS) {
      this.log('too-many-errors', {}, 'warn');
      this.bye('Too many invalid commands');
    }
  }

  private async dispatch(ev: ReaderEvent): Promise<void> {
    if (ev.kind === 'error') {
      if (ev.fatal) return this.bye(ev.text, ev.code);
      return this.reply({ status: 'NO', text: ev.text, code: ev.code }, true);
    }
    const [first, ...rest] = ev.tokens;
    if (!first) return; // an empty line (a client's extra CRLF after a literal) is no command: nothing to answer
    if (first.t !== 'atom') return this.reply({ status: 'NO', text: 'Expected a command name' }, true);
    const name = first.v.toUpperCase();
    const def = commandTable.get(name);
    if (!def) return this.reply({ status: 'NO', text: `Unknown command ${name.slice(0, 30)}` }, true);
    if (!def.states.includes(this.state)) {
      return this.reply({ status: 'NO', text: this.state === 'nonauth' ? `${name}: authenticate first` : `${name}: already authenticated` }, true);
    }
    const checked = validateArgs(def.args, rest);
    if (!checked.ok) return this.reply({ status: 'NO', text: `${name}: ${checked.text}` }, true);
    this.log('command', { command: name, bytes: name === 'AUTHENTICATE' ? undefined : ev.bytes }, 'debug');
    let r: Response;
    try {
      r = await def.handle(this, checked.args);
    } catch (e) {
      this.log('command-error', { command: name, error: (e as Error).message }, 'warn');
      r = { status: 'NO', code: 'TRYLATER', text: 'Internal error; try again later' };
    }
    if (this.closed) return;
    if (r.status === 'BYE') return this.bye(r.text ?? 'Closing', r.code);
    this.reply(r, r.status === 'NO');
    if (this.tlsPending) {
      this.tlsPending = false;
      await this.startTls();
    }
    if (this.closing) this.end();
  }

  /** After STARTTLS's OK: the handshake; then the capabilities again and OK (RFC 5804 §2.2). */
  private async startTls(): Promise<void> {
    const r = await this.conn.startTls(this.shared.secureContext, () => this.reader.discardBuffered());
    if (!r.ok) {
      this.log(r.reason === 'timeout' ? 'timeout' : 'tls-failed', { phase: 'tls', error: r.error }, 'warn');
      this.closed = true;
      return;
    }
    this.log('tls', { protocol: r.protocol, cipher: r.cipher });
    this.write(this.capabilities() + formatResponse({ status: 'OK', text: 'TLS negotiation successful' }));
  }
}
