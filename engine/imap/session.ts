// One IMAP connection: reads framed commands, checks state and argument shape (from each command file's
// declaration), runs the handler, sends pending mailbox updates and the tagged reply. The socket, its
// deadlines, idle timeout and STARTTLS are the shared FramedSocket's (engine/net), logins the shared login
// flow's; never parses messages or touches Maildir itself.
import crypto from 'node:crypto';
import type net from 'node:net';
import type { ServerTls } from '../net/tls.js';
import type { AccountDirectory, User } from '../accounts/directory.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { FramedSocket } from '../net/framed-socket.js';
import { handshakeDeadline } from '../net/listener.js';
import { plaintextAllowed, type LoginContext, type LoginFlow } from '../net/login.js';
import { unmapV4 } from '../policy/cidr.js';
import type { MailboxStore } from '../store/mailbox-store.js';
import { isUnavailable, StoreError } from '../store/store-error.js';
import type { ListArchives } from './list-archives.js';
import { no, validateArgs, type Result, type SessionState } from './command.js';
import { commandTable } from './commands/index.js';
import { MailboxView } from './mailbox-view.js';
import { readerLimits, spillLiteral } from './literal-spool.js';
import { CommandReader, discardSpooled, type ReaderEvent, type ReadMode } from './protocol/reader.js';
import { Response } from './protocol/response.js';
import { parseCommand } from './protocol/tokens.js';

export interface ServerShared {
  store: MailboxStore;
  config: LoadedConfig;
  logger: Logger;
  login: LoginFlow;
  /** The account directory (quota limits for GETQUOTA, APPEND and COPY). */
  directory: AccountDirectory;
  /** One context, or the per-domain certificates (chosen by local address and SNI). */
  secureContext: ServerTls;
  implicitTls: boolean;
  /** Sessions open on this listener, for shutdown. */
  sessions: Set<Session>;
  /** The shared "#lists/" namespace (list archives), when the server has lists; absent in protocol tests. */
  archives?: ListArchives;
}

const MAX_ERRORS = 20;
const HIGH_WATER = 256 * 1024;
/** The autologout before login (RFC 3501 asks for at least 30 minutes only once authenticated). */
const PRE_AUTH_IDLE_MS = 120_000;

export class Session {
  readonly id = crypto.randomBytes(5).toString('hex');
  state: SessionState = 'not-authenticated';
  user: User | null = null;
  selected: MailboxView | null = null;
  /** ENABLEd extensions (CONDSTORE). */
  enabled = new Set<string>();
  readonly remoteAddress: string;
  readonly localAddress: string;
  private reader: CommandReader;
  private readonly conn: FramedSocket;
  private wake: (() => void) | null = null;
  private closed = false;
  private errors = 0;
  /** STARTTLS answered OK: switch to TLS right after the tagged reply. */
  tlsPending = false;
  /** Set while IDLE waits: called when the selected mailbox changes. */
  private idleNotify: (() => void) | null = null;

  constructor(
    socket: net.Socket,
    readonly shared: ServerShared,
  ) {
    this.remoteAddress = unmapV4(socket.remoteAddress ?? '');
    this.localAddress = unmapV4(socket.localAddress ?? '');
    // small literals before login; after it, a large APPEND message is streamed to a file (literal-spool.ts)
    this.reader = new CommandReader({
      limits: () => readerLimits(this.config.imap, this.state !== 'not-authenticated'),
      spill: (first, size, again) => spillLiteral(this, first, size, again, () => this.wake?.()),
    });
    const c = shared.config.imap;
    // deadlines against clients that drip (slowloris), which the idle timeout cannot bound since every byte resets
    // it: a line within command_timeout, an announced literal within literal_timeout, of the moment the session
    // waits for it; never while a command runs (IDLE itself is not timed, its DONE line is)
    this.conn = new FramedSocket({
      socket,
      secure: shared.implicitTls,
      pending: () => this.reader.waitingFor(),
      lineMs: c.command_timeout,
      literalMs: c.literal_timeout,
      handshakeMs: handshakeDeadline(c.command_timeout, Math.min(c.idle_timeout, PRE_AUTH_IDLE_MS)),
      idleMs: this.timeoutMs(),
      onData: (chunk) => {
        this.reader.push(chunk);
        if (this.reader.bufferedBytes > HIGH_WATER) this.conn.pause();
        this.wake?.();
      },
      onClose: () => {
        this.closed = true;
        this.wake?.();
        this.idleNotify?.();
      },
      onIdle: () => {
        this.log('timeout');
        this.writeRaw('* BYE Autologout; idle for too long\r\n');
        this.end();
      },
      onDeadline: (phase, ms, limit) => {
        this.log('command-timeout', { phase, ms, limit }, 'warn');
        this.writeRaw(`* BYE Timeout: ${phase === 'line' ? 'command line' : 'literal'} not received in time\r\n`);
        this.end();
      },
    });
  }

  /** The stream replies go to now (plain, or TLS after STARTTLS). */
  get socket(): net.Socket {
    return this.conn.socket;
  }

  get secure(): boolean {
    return this.conn.secure;
  }

  /** Who logs in, where (for the login flow). */
  get loginContext(): LoginContext {
    return { protocol: 'imap', session: this.id, ip: this.remoteAddress, local: this.localAddress };
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

  /** Before login a shorter autologout (at most 2 minutes) keeps idle anonymous connections from piling up. */
  private timeoutMs(): number {
    const idle = this.config.imap.idle_timeout;
    return this.state === 'not-authenticated' ? Math.min(idle, PRE_AUTH_IDLE_MS) : idle;
  }

  /** Authenticated with `user` (LOGIN/AUTHENTICATE succeeded). */
  authenticated(user: User): void {
    this.user = user;
    this.state = 'authenticated';
    this.conn.setIdle(this.timeoutMs());
  }

  /** Switch the connection to TLS now (after the tagged OK for STARTTLS has been written). */
  async startTls(): Promise<void> {
    // nothing sent before the handshake may be read as a command
    const r = await this.conn.startTls(this.shared.secureContext, () => this.reader.discardBuffered());
    if (r.ok) this.log('tls', { protocol: r.protocol, cipher: r.cipher });
    else this.log(r.reason === 'timeout' ? 'timeout' : 'tls-failed', { phase: 'tls', error: r.error }, 'warn');
  }

  writeRaw(data: string | Buffer): void {
    if (this.closed) return;
    this.conn.write(data);
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
    if (!this.closed) await this.conn.drained();
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.end();
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
        this.conn.working();
        return ev;
      }
      if (this.closed) return null;
      if (this.reader.continuationWanted) {
        this.reader.continuationWanted = false;
        this.writeRaw('+ Ready for literal data\r\n');
      }
      this.conn.waiting();
      // while a literal's file sink is full the reader leaves input unconsumed: stay paused until it catches up
      if (this.reader.bufferedBytes <= HIGH_WATER) this.conn.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** IDLE: wait for either a line from the client or a mailbox change. */
  async waitIdle(): Promise<'line' | 'change' | 'closed'> {
    if (this.reader.bufferedBytes) return 'line';
    if (this.selected?.dirty) return 'change';
    this.conn.resume();
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

  /**
   * Open a mailbox view (SELECT/EXAMINE); the old one is closed first. `archive` (a list address the caller
   * checked with ListArchives.resolve) opens that list's archive under `folder` as its name (MailboxView makes it read-only).
   */
  async select(folder: string, readOnly: boolean, archive?: string): Promise<MailboxView> {
    this.unselect();
    const notify = () => this.idleNotify?.();
    const view =
      archive && this.shared.archives
        ? await MailboxView.open(this.shared.archives.store, archive, 'INBOX', readOnly, notify, { name: folder })
        : await MailboxView.open(this.store, this.owner, folder, readOnly, notify);
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
        // the client is still sending what it announced (a literal we refused): stop reading it at all, so
        // the bytes wait in the kernel's buffers until the socket is destroyed instead of being read into
        // memory and thrown away during the close's grace period
        this.conn.pause();
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
      // the mail store's database is away: a temporary refusal, the session stays (RFC 5530 UNAVAILABLE)
      // a refusal of the store that a command did not map itself (a folder name it does not allow: RFC 5530 CANNOT)
      // answers with its own code and words, not as an internal error
      result = isUnavailable(e)
        ? no('Mail store temporarily unavailable; try again later', 'UNAVAILABLE')
        : e instanceof StoreError
          ? no(e.message.replace(/[\r\n]+/g, ' ').slice(0, 200), e.code)
          : { status: 'NO', code: 'SERVERBUG', text: 'Internal error' };
    }
    if (this.closed) return;
    if (this.state === 'selected' && result.status !== 'BAD') {
      try {
        await this.sendUpdates(uid || !def.holdsExpunges, uid);
      } catch (e) {
        if (!isUnavailable(e)) throw e; // the updates come with a later command, once the store is back
      }
    }
    this.reply(tag, result, result.status === 'BAD');
    if (this.tlsPending) {
      this.tlsPending = false;
      await this.startTls();
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

/** What the server offers now: STARTTLS only before TLS; the SASL mechanisms of the login flow; LOGINDISABLED when plaintext logins are refused. */
export function capabilities(s: Session): string[] {
  const caps = ['IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UIDPLUS', 'MOVE', 'UNSELECT', 'SPECIAL-USE', 'CONDSTORE', 'CHILDREN', 'QUOTA', 'QUOTA=RES-STORAGE', 'QUOTA=RES-MESSAGE'];
  if (s.state === 'not-authenticated') {
    if (!s.secure) caps.push('STARTTLS');
    const plain = loginAllowed(s);
    for (const m of s.shared.login.mechanisms(plain)) caps.push(`AUTH=${m}`);
    if (!plain) caps.push('LOGINDISABLED');
  }
  return caps;
}

/** Plaintext passwords (LOGIN, AUTHENTICATE PLAIN/LOGIN) only over TLS, on loopback, or when [imap] allow_insecure_auth allows it. */
export function loginAllowed(s: Session): boolean {
  return plaintextAllowed({ secure: s.secure, ip: s.remoteAddress, allowInsecure: s.config.imap.allow_insecure_auth });
}

export { Response };
