// One IMAP connection: reads framed commands, checks state and argument shape (from each command file's
// declaration), runs the handler, sends pending mailbox updates and the tagged reply. Owns the socket
// (STARTTLS upgrade, idle timeout, backpressure); never parses messages or touches Maildir itself.
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { AccountDirectory, User } from '../accounts/directory.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { AuthThrottle } from '../policy/auth-throttle.js';
import type { MailboxStore } from '../store/mailbox-store.js';
import { validateArgs, type Result, type SessionState } from './command.js';
import { commandTable } from './commands/index.js';
import { MailboxView } from './mailbox-view.js';
import { readerLimits, spillLiteral } from './literal-spool.js';
import { CommandReader, discardSpooled, type ReaderEvent, type ReadMode } from './protocol/reader.js';
import { Response } from './protocol/response.js';
import { parseCommand } from './protocol/tokens.js';

export interface ServerShared {
  store: MailboxStore;
  directory: AccountDirectory;
  config: LoadedConfig;
  logger: Logger;
  throttle: AuthThrottle;
  secureContext: tls.SecureContext;
  implicitTls: boolean;
  /** Sessions open on this listener, for shutdown. */
  sessions: Set<Session>;
}

const MAX_ERRORS = 20;
const HIGH_WATER = 256 * 1024;

export class Session {
  readonly id = crypto.randomBytes(5).toString('hex');
  state: SessionState = 'not-authenticated';
  user: User | null = null;
  selected: MailboxView | null = null;
  /** ENABLEd extensions (CONDSTORE). */
  enabled = new Set<string>();
  secure: boolean;
  readonly remoteAddress: string;
  readonly localAddress: string;
  private reader: CommandReader;
  private wake: (() => void) | null = null;
  private closed = false;
  private errors = 0;
  /** STARTTLS answered OK: switch to TLS right after the tagged reply. */
  tlsPending = false;
  /** Set while IDLE waits: called when the selected mailbox changes. */
  private idleNotify: (() => void) | null = null;
  /** The deadline of the line or literal being awaited (slowloris): see timeWait(). */
  private clock: { kind: 'line' | 'literal'; seq: number; start: number; timer: NodeJS.Timeout } | null = null;

  constructor(
    public socket: net.Socket,
    readonly shared: ServerShared,
  ) {
    this.secure = shared.implicitTls;
    this.remoteAddress = normaliseIp(socket.remoteAddress ?? '');
    this.localAddress = normaliseIp(socket.localAddress ?? '');
    // small literals before login; after it, a large APPEND message is streamed to a file (literal-spool.ts)
    this.reader = new CommandReader({
      limits: () => readerLimits(this.config.imap, this.state !== 'not-authenticated'),
      spill: (first, size, again) => spillLiteral(this, first, size, again, () => this.wake?.()),
    });
    this.attach(socket);
  }

  get store(): MailboxStore {
    return this.shared.store;
  }
  get config(): LoadedConfig {
    return this.shared.config;
  }
  get owner(): string {
    return this.user!.address;
  }

  log(event: string, fields: Record<string, unknown> = {}, level: 'info' | 'warn' | 'debug' = 'info'): void {
    this.shared.logger.log('imap', event, { session: this.id, ip: this.remoteAddress, user: this.user?.address, ...fields }, level);
  }

  private onData = (chunk: Buffer) => {
    this.reader.push(chunk);
    if (this.reader.bufferedBytes > HIGH_WATER) this.socket.pause();
    this.wake?.();
  };
  private onClose = () => {
    this.closed = true;
    this.wake?.();
    this.idleNotify?.();
  };
  private onTimeout = () => {
    this.log('timeout');
    this.writeRaw('* BYE Autologout; idle for too long\r\n');
    this.end();
  };

  private attach(sock: net.Socket): void {
    sock.on('data', this.onData);
    sock.on('close', this.onClose);
    sock.on('error', () => this.onClose());
    sock.setTimeout(this.timeoutMs(), this.onTimeout);
  }

  /** Before login a shorter autologout (at most 2 minutes) keeps idle anonymous connections from piling up. */
  private timeoutMs(): number {
    const idle = this.config.imap.idle_timeout;
    return this.state === 'not-authenticated' ? Math.min(idle, 120_000) : idle;
  }

  private detach(sock: net.Socket): void {
    sock.off('data', this.onData);
    sock.off('close', this.onClose);
    sock.setTimeout(0);
  }

  /** Authenticated with `user` (LOGIN/AUTHENTICATE succeeded). */
  authenticated(user: User): void {
    this.user = user;
    this.state = 'authenticated';
    this.socket.setTimeout(this.timeoutMs());
  }

  /** Switch the connection to TLS now (after the tagged OK for STARTTLS has been written). */
  startTls(): void {
    const plain = this.socket;
    this.detach(plain);
    this.reader.discardBuffered(); // nothing sent before the handshake may be read as a command
    this.stopClock();
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: this.shared.secureContext });
    this.socket = secure;
    this.secure = true;
    this.attach(secure);
    secure.on('secure', () => this.log('tls', { protocol: secure.getProtocol(), cipher: secure.getCipher()?.name }));
  }

  writeRaw(data: string | Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(data);
  }

  send(r: Response | string): void {
    if (typeof r === 'string') this.writeRaw(r.endsWith('\r\n') ? r : r + '\r\n');
    else {
      r.raw('\r\n');
      this.writeRaw(r.toBuffer());
    }
  }

  /** Wait while the socket's send buffer is full (big FETCH responses). */
  async drain(): Promise<void> {
    const s = this.socket;
    if (!s.writableNeedDrain || this.closed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    });
  }

  end(): void {
    this.stopClock();
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.wake?.();
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Next reader event (a command, or a raw line in 'line' mode), or null once the connection is gone. */
  async next(mode: ReadMode): Promise<ReaderEvent | null> {
    for (;;) {
      const ev = this.reader.take(mode);
      if (ev) {
        this.stopClock();
        return ev;
      }
      if (this.closed) return null;
      if (this.reader.continuationWanted) {
        this.reader.continuationWanted = false;
        this.writeRaw('+ Ready for literal data\r\n');
      }
      this.timeWait();
      // while a literal's file sink is full the reader leaves input unconsumed: stay paused until it catches up
      if (this.socket.isPaused() && this.reader.bufferedBytes <= HIGH_WATER) this.socket.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /**
   * Deadlines against clients that drip (slowloris), which the idle timeout cannot bound since every byte resets
   * it: a line must arrive whole within [imap] command_timeout of the moment its first byte is seen, an announced
   * literal within literal_timeout of the moment the server waits for it. Only timed while the session waits for
   * input (never while a command runs; IDLE itself is not timed, the DONE line is).
   */
  private timeWait(): void {
    const w = this.reader.waitingFor();
    const limit = !w ? 0 : w.kind === 'line' ? this.config.imap.command_timeout : this.config.imap.literal_timeout;
    if (!w || limit <= 0) return this.stopClock();
    if (this.clock && this.clock.kind === w.kind && this.clock.seq === w.seq) return;
    this.stopClock();
    const timer = setTimeout(() => this.clockExpired(), limit);
    timer.unref();
    this.clock = { kind: w.kind, seq: w.seq, start: Date.now(), timer };
  }

  private stopClock(): void {
    if (this.clock) clearTimeout(this.clock.timer);
    this.clock = null;
  }

  private clockExpired(): void {
    const c = this.clock;
    this.clock = null;
    const w = this.reader.waitingFor();
    if (!c || this.closed || !w || w.kind !== c.kind || w.seq !== c.seq) return;
    const limit = c.kind === 'line' ? this.config.imap.command_timeout : this.config.imap.literal_timeout;
    this.log('command-timeout', { phase: c.kind, ms: Date.now() - c.start, limit }, 'warn');
    this.writeRaw(`* BYE Timeout: ${c.kind === 'line' ? 'command line' : 'literal'} not received in time\r\n`);
    this.end();
  }

  /** IDLE: wait for either a line from the client or a mailbox change. */
  async waitIdle(): Promise<'line' | 'change' | 'closed'> {
    if (this.reader.bufferedBytes) return 'line';
    if (this.selected?.dirty) return 'change';
    if (this.socket.isPaused()) this.socket.resume();
    return new Promise((resolve) => {
      const done = (v: 'line' | 'change' | 'closed') => {
        this.wake = null;
        this.idleNotify = null;
        resolve(v);
      };
      this.wake = () => done(this.closed ? 'closed' : 'line');
      this.idleNotify = () => done(this.closed ? 'closed' : 'change');
    });
  }

  /** Open a mailbox view (SELECT/EXAMINE); the old one is closed first. */
  async select(folder: string, readOnly: boolean): Promise<MailboxView> {
    this.unselect();
    const view = await MailboxView.open(this.store, this.owner, folder, readOnly, () => this.idleNotify?.());
    this.selected = view;
    this.state = 'selected';
    return view;
  }

  unselect(): void {
    this.selected?.close();
    this.selected = null;
    if (this.state === 'selected') this.state = 'authenticated';
  }

  /** Send pending EXISTS/EXPUNGE/FETCH updates for the selected mailbox. */
  async sendUpdates(allowExpunge: boolean, withUid = false): Promise<void> {
    if (!this.selected) return;
    const lines = await this.selected.update({ allowExpunge, withUid, withModseq: this.enabled.has('CONDSTORE') });
    if (lines.length) this.writeRaw(lines.join('\r\n') + '\r\n');
  }

  /** The session loop: greeting, then one command at a time until LOGOUT or the connection ends. */
  async run(): Promise<void> {
    this.log('connect', { local: this.localAddress, tls: this.secure });
    this.send(`* OK [CAPABILITY ${capabilities(this).join(' ')}] tegami IMAP4rev1 ready`);
    try {
      while (!this.closed && this.state !== 'logout') {
        const ev = await this.next('command');
        if (!ev) break;
        try {
          await this.dispatch(ev);
        } finally {
          discardSpooled(ev);
        }
        await this.drain();
      }
    } catch (e) {
      this.log('error', { error: (e as Error).message }, 'warn');
    } finally {
      this.reader.discardBuffered(); // a half-received literal's file goes too
      this.unselect();
      this.end();
      this.log('disconnect');
    }
  }

  private async dispatch(ev: ReaderEvent): Promise<void> {
    if (ev.kind === 'line') return;
    if (ev.kind === 'error') {
      this.send(`${ev.tag ?? '*'} BAD ${ev.code ? `[${ev.code}] ` : ''}${respText(ev.text)}`);
      if (ev.fatal) {
        this.send('* BYE Closing connection');
        this.end();
      }
      this.countError();
      return;
    }
    const parsed = parseCommand(ev.segments);
    if (!parsed.ok) {
      this.send(`${parsed.tag ?? '*'} BAD ${respText(parsed.text)}`);
      this.countError();
      return;
    }
    const { tag } = parsed.cmd;
    let name = parsed.cmd.name;
    let tokens = parsed.cmd.args;
    let uid = false;
    if (name === 'UID') {
      const sub = tokens[0];
      if (!sub || sub.t !== 'atom') return this.reply(tag, { status: 'BAD', text: 'UID needs a command' }, true);
      name = `UID ${sub.v.toUpperCase()}`;
      tokens = tokens.slice(1);
      uid = true;
    }
    const def = commandTable.get(name);
    if (!def) return this.reply(tag, { status: 'BAD', text: `Unknown command ${name.slice(0, 40)}` }, true);
    if (!def.states.includes(this.state)) {
      const why =
        this.state === 'not-authenticated' ? 'Log in first' : def.states.includes('not-authenticated') ? 'Already logged in' : 'Select a mailbox first';
      return this.reply(tag, { status: 'BAD', text: `${name} not allowed in this state: ${why}` }, true);
    }
    const checked = validateArgs(def.args, tokens);
    if (!checked.ok) return this.reply(tag, { status: 'BAD', text: `${name}: ${checked.text}` }, true);
    const secretArgs = name === 'LOGIN' || name === 'AUTHENTICATE';
    this.log('command', { tag: tag.slice(0, 20), command: name, bytes: secretArgs ? undefined : ev.bytes }, 'debug');
    let result: Result;
    try {
      result = await def.handle(this, checked.args, { tag, name, uid });
    } catch (e) {
      this.log('command.error', { command: name, error: (e as Error).message }, 'warn');
      result = { status: 'NO', code: 'SERVERBUG', text: 'Internal error' };
    }
    if (this.closed) return;
    if (this.state === 'selected' && result.status !== 'BAD') await this.sendUpdates(uid || !def.holdsExpunges, uid);
    this.reply(tag, result, result.status === 'BAD');
    if (this.tlsPending) {
      this.tlsPending = false;
      this.startTls();
    }
    if (this.state === 'logout') this.end();
  }

  private reply(tag: string, r: Result, isError: boolean): void {
    this.send(`${tag} ${r.status} ${r.code ? `[${r.code}] ` : ''}${respText(r.text)}`);
    if (isError) this.countError();
    else this.errors = 0;
  }

  private countError(): void {
    if (++this.errors >= MAX_ERRORS) {
      this.log('too-many-errors', {}, 'warn');
      this.send('* BYE Too many invalid commands');
      this.end();
    }
  }
}

/** resp-text as it may go on the wire (RFC 3501 TEXT-CHAR: 7-bit, no CR/LF/controls): client bytes echoed in it are masked. */
function respText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** What the server offers now (STARTTLS only before TLS; LOGINDISABLED when plain logins are refused). */
export function capabilities(s: Session): string[] {
  const caps = ['IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UIDPLUS', 'MOVE', 'UNSELECT', 'SPECIAL-USE', 'CONDSTORE', 'CHILDREN', 'QUOTA', 'QUOTA=RES-STORAGE', 'QUOTA=RES-MESSAGE'];
  if (s.state === 'not-authenticated') {
    if (!s.secure) caps.push('STARTTLS');
    if (loginAllowed(s)) caps.push('AUTH=PLAIN');
    else caps.push('LOGINDISABLED');
  }
  return caps;
}

/** Plaintext passwords only over TLS, on loopback, or when the config allows it. */
export function loginAllowed(s: Session): boolean {
  return s.secure || isLoopback(s.remoteAddress) || s.config.imap.allow_insecure_auth;
}

export function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.');
}

function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export { Response };
