// The SMTP policy hooks: AUTH (the shared login flow's SASL exchange, engine/net/login.ts), MAIL FROM
// (submission, sender ownership, queue bound, connection-level spam checks), RCPT TO (relay), DATA (spool →
// queue). The session layer (protocol/) calls these; every refusal is a Verdict turned into a reply in one place
// (policy/verdict.ts). The login lives in session.user alone, which STARTTLS clears (RFC 3207 §4.2).
import { HeaderLineCount, MAX_HEADER_FIELD_OCTETS, MAX_HEADER_LINES, MAX_HOPS } from '../mime/header-lines.js';
import dns from 'node:dns';
import type { SmtpAddress } from './protocol/address.js';
import type { MessageStream } from './protocol/message.js';
import type { SaslExchange, SaslReply, SmtpSession } from './protocol/types.js';
import { protocolName, tlsDescription } from './received.js';
import type { LoadedConfig } from '../config/load.js';
import type { AccountDirectory, User } from '../accounts/directory.js';
import { SqliteDirectory } from '../accounts/sqlite-directory.js';
import { cachedDirectory, readCacheFor, type ReadCache } from '../db/read-cache.js';
import type { Logger } from '../log/logger.js';
import { plaintextAllowed, type LoginContext, type LoginFlow, type SaslStep } from '../net/login.js';
import { unmapV4 } from '../policy/cidr.js';
import { parseAddress } from '../policy/address.js';
import { judgeRecipient, RelayPolicy } from '../policy/relay.js';
import { Refusals, reject, tempfail, toSmtpError, type Refusal } from '../policy/verdict.js';
import type { Queue } from '../queue/queue.js';
import { DeadlineExceeded } from './deadlines.js';
import { screenHeaderFrom } from './header-from.js';
import { newQueueId, type Envelope, type RecipientEntry } from '../spool/envelope.js';
import { declaredSize, rcptQuotaRefusal, type UsageOf } from '../accounts/rcpt-quota.js';
import { refuseOnVirtualHost, virtualHostsOf } from '../accounts/virtual-hosts.js';
import type { GateSnapshot, SendGate } from '../submission/send-gate.js';
import type { ClientMemo } from '../spam/connection.js';
import { ReverseMemo } from '../dns/reverse-memo.js';

export type ListenerKind = 'smtp' | 'submission' | 'submissions';

/** Connection-level checks (DNSBL, SPF, rDNS, HELO), provided by engine/spam when present. */
export interface ConnectionCheck {
  /** `client`: where the connection keeps what the checks found of its client and HELO, for its next transactions. */
  check(input: { ip: string; helo: string; mailFrom: string; authenticated: boolean; hostname: string }, client?: { memo?: ClientMemo }): Promise<{
    tags: string[];
    headers: string[];
    authResults: string[];
    reject?: { code: number; status: string; text: string };
  }>;
}

interface ConnState {
  ip: string;
  ptr?: string;
  /** The reverse lookup while it runs (dropped when done: an idle session keeps no settled promise). */
  ptrLookup?: Promise<void>;
  listener: ListenerKind;
  /** Recipients of the transaction, made at the first accepted RCPT (an idle session has none). */
  rcpt?: Map<string, RecipientEntry>;
  connection?: Envelope['connection'];
  /** The logged-in account's sending counts as MAIL read them (RCPT's limit checks). */
  sending?: GateSnapshot;
  /** What the connection checks found of this client and its HELO, for its next transactions (made at the first MAIL). */
  memo?: ClientMemo;
  /** Recipients refused since the connection's last accepted message ([smtp] max_rcpt_errors). */
  refused?: number;
}

/** The user the session is logged in as: session.user, forgotten at STARTTLS. */
export function sessionUser(session: SmtpSession): User | undefined {
  const u = session.user as unknown;
  return u && typeof u === 'object' && 'address' in u ? (u as User) : undefined;
}

type Cb = (err?: Error | null) => void;

export interface SessionDeps {
  config: LoadedConfig;
  directory: AccountDirectory;
  logger: Logger;
  queue: Queue;
  /** The login flow shared with POP3 and IMAP (one throttle for all). */
  login: LoginFlow;
  relay: RelayPolicy;
  connectionCheck?: ConnectionCheck;
  resolver?: { reverse(ip: string): Promise<string[]> };
  /**
   * False while the directory is a copy that cannot be checked against its database (PostgreSQL away): an
   * address the copy does not know then gets 451 4.3.0 instead of 550 (it may be an account added meanwhile).
   */
  directoryCurrent?: () => boolean;
  /**
   * False while the shared queue (PostgreSQL) cannot be reached: a remote recipient then gets 451 4.3.0, so no
   * 250 is given for mail this node could only keep in its own spool (local recipients: `storeUp` below).
   */
  queueUp?: () => boolean;
  /**
   * The shared mailbox store (PostgreSQL): false while its database cannot be reached, so a local recipient gets
   * 451 4.3.0 (the 250 means the worker can store it); `mailUsage` is its quota usage. Absent: the local Maildir.
   */
  storeUp?: () => boolean;
  mailUsage?: UsageOf;
  /** Per-account sending limits ([limits] send_*): a logged-in session's MAIL, RCPT and DATA go through it. */
  sendGate?: SendGate;
}

export class SmtpSessionPolicy {
  private conns = new Map<string, ConnState>();
  /** RCPT's reads of the account (relay judgement, quota) from a cache checked against tegami.db per RCPT (SQLite directory). */
  private readonly rcptDirectory: AccountDirectory;
  private readonly rcptReads: ReadCache | null;

  constructor(
    private readonly deps: SessionDeps,
    private readonly listener: ListenerKind,
  ) {
    const d = deps.directory;
    this.rcptReads = d instanceof SqliteDirectory ? readCacheFor(d.database) : null;
    this.rcptDirectory = d instanceof SqliteDirectory ? cachedDirectory(d, this.rcptReads!) : d;
    const resolver = deps.resolver;
    this.reverse = new ReverseMemo(resolver ? (ip) => resolver.reverse(ip) : (ip) => dns.promises.reverse(ip));
  }

  /** The client's name for the Received: line, kept per address for a minute (a connection per message asks once). */
  private readonly reverse: ReverseMemo;

  private state(session: SmtpSession): ConnState {
    let st = this.conns.get(session.id);
    if (!st) {
      st = { ip: unmapV4(session.remoteAddress), listener: this.listener };
      this.conns.set(session.id, st);
    }
    return st;
  }

  /** Every mechanism any session may be offered (504 for anything else). */
  get allMechanisms(): string[] {
    return this.deps.login.mechanisms(true);
  }

  /** Which AUTH mechanisms this session may use: PLAIN/LOGIN only over TLS, on loopback, or with [auth] allow_insecure_auth. */
  authMethodsFor = (session: SmtpSession, secure: boolean): string[] => {
    const ip = unmapV4(session.remoteAddress ?? '');
    return this.deps.login.mechanisms(plaintextAllowed({ secure, ip, allowInsecure: this.deps.config.auth.allow_insecure_auth }));
  };

  onConnect = (session: SmtpSession, cb: Cb): void => {
    const st = this.state(session);
    this.deps.logger.info('smtp', 'connect', { sid: session.id, ip: st.ip, listener: this.listener });
    // reverse DNS for the Received header, without holding the greeting back
    st.ptrLookup = this.reverse
      .reverse(st.ip)
      .then(
        (names) => {
          st.ptr = names[0];
        },
        () => {},
      )
      .then(() => {
        st.ptrLookup = undefined;
      });
    cb();
  };

  /** TLS is on (implicit, or after STARTTLS, where the session has already forgotten the login and the transaction). */
  onSecure = (session: SmtpSession): void => {
    const st = this.state(session);
    st.rcpt = undefined;
    st.connection = undefined;
  };

  onClose = (session: SmtpSession): void => {
    const st = this.conns.get(session.id);
    if (!st) return;
    this.conns.delete(session.id);
    this.deps.logger.info('smtp', 'disconnect', { sid: session.id, ip: st.ip });
  };

  /** AUTH <mechanism> [initial-response] (RFC 4954), run by the shared login flow; the session layer only carries the lines. */
  onSaslStart = (method: string, session: SmtpSession): SaslExchange => {
    const ctx: LoginContext = { protocol: 'smtp', session: session.id, ip: this.state(session).ip, local: session.localAddress };
    const x = this.deps.login.sasl(ctx, method, this.authMethodsFor(session, !!session.secure));
    if (!x) {
      const refused = async (): Promise<SaslReply> => ({ code: 504, message: '5.5.4 Unrecognized authentication type' });
      return { start: refused, respond: refused };
    }
    return { start: async (initial) => saslReply(await x.start(initial)), respond: async (line) => saslReply(await x.respond(line)) };
  };

  onMailFrom = (address: SmtpAddress, session: SmtpSession, cb: Cb): void => {
    void this.mailFrom(address, session).then((v) => cb(v ? toSmtpError(v) : null), (e: Error) => {
      this.deps.logger.error('smtp', 'mail-error', { sid: session.id, error: e.message });
      cb(toSmtpError(Refusals.localError()));
    });
  };

  private async mailFrom(address: SmtpAddress, session: SmtpSession): Promise<Refusal | null> {
    const st = this.state(session);
    st.rcpt = undefined;
    st.connection = undefined;
    st.sending = undefined;
    const { logger, config, directory } = this.deps;
    const user = sessionUser(session);
    const sender = address.address ?? '';
    const log = (verdict: string, reason?: string) =>
      logger.info('smtp', 'mail-from', { sid: session.id, ip: st.ip, helo: session.hostNameAppearsAs, tls: session.secure || undefined, user: user?.address, from: sender, verdict, reason });
    const unknownParam = unknownParams(address, MAIL_PARAMS);
    if (unknownParam) {
      log('reject', `unknown parameter ${unknownParam}`);
      return reject(555, '5.5.4', `MAIL FROM parameter ${unknownParam} not recognized`);
    }
    if (this.deps.queue.isFull()) {
      log('tempfail', 'queue full');
      return Refusals.queueFull();
    }
    if (this.listener !== 'smtp' && !user) {
      log('reject', 'authentication required');
      return Refusals.authRequired();
    }
    const restricted = !!user && config.smtp.restrict_sender && !(user.systemAdmin && config.smtp.admins_may_send_as_anyone);
    if (sender === '' && restricted) {
      // the null sender is no one's address: a logged-in user may not send bounces in nobody's name
      log('reject', 'null sender from an authenticated user');
      return Refusals.senderNotOwned('');
    }
    if (sender !== '') {
      const p = parseAddress(sender);
      if (!p.ok) {
        log('reject', p.reason);
        return reject(501, '5.1.7', `Bad sender address syntax: ${p.reason}`);
      }
      if (user && restricted) {
        const canonicalDomain = directory.localDomain(p.value.domain);
        const candidate = canonicalDomain ? `${p.value.local.toLowerCase()}@${canonicalDomain}` : p.value.normalized;
        const own = directory.senderAddresses(user);
        if (!own.has(candidate) && !own.has(p.value.normalized)) {
          log('reject', 'sender not owned');
          return Refusals.senderNotOwned(sender);
        }
      }
    }
    if (user && this.deps.sendGate) {
      const g = await this.deps.sendGate.atMail(user.address, session.id, this.listener);
      st.sending = g.snapshot;
      if (g.refusal) {
        log('tempfail', 'sending limit');
        return g.refusal;
      }
    }
    const check = this.deps.connectionCheck;
    const trusted = !!user && !config.spam.filter_authenticated;
    if (check && config.spam.enabled && !trusted) {
      const r = await check.check({ ip: st.ip, helo: session.hostNameAppearsAs || '', mailFrom: sender, authenticated: !!user, hostname: config.hostname }, st);
      st.connection = r as ConnState['connection'];
      if (r.reject) {
        log('reject', r.reject.text);
        return reject(r.reject.code, r.reject.status, r.reject.text);
      }
    }
    log('accept');
    return null;
  }

  onRcptTo = (address: SmtpAddress, session: SmtpSession, cb: Cb): void => {
    const st = this.state(session);
    const { logger, config, relay } = this.deps;
    this.rcptReads?.revalidate();
    const directory = this.rcptDirectory;
    const unknownParam = unknownParams(address, RCPT_PARAMS);
    if (unknownParam) return cb(toSmtpError(reject(555, '5.5.4', `RCPT TO parameter ${unknownParam} not recognized`)));
    if ((st.rcpt?.size ?? 0) >= config.smtp.max_recipients) {
      return cb(toSmtpError(reject(452, '4.5.3', 'Too many recipients')));
    }
    const sender = sessionUser(session);
    const overSending = sender && st.sending ? this.deps.sendGate?.atRcpt(st.sending, sender.address, session.id, st.rcpt?.size ?? 0, this.listener) : null;
    if (overSending) return cb(toSmtpError(overSending));
    const nullSender = !!session.envelope.mailFrom && session.envelope.mailFrom.address === '';
    const j = judgeRecipient(address.address, { ip: st.ip, authenticated: !!sessionUser(session), nullSender }, directory, relay);
    if (j.verdict.kind === 'reject' && /User unknown$/.test(j.verdict.text) && this.deps.directoryCurrent?.() === false) {
      const v = Refusals.recipientUnverifiable(address.address);
      logger.info('smtp', 'rcpt-to', { sid: session.id, ip: st.ip, to: address.address, verdict: 'tempfail', reason: 'directory unavailable', reply: `${v.code} ${v.status}` });
      return cb(toSmtpError(v));
    }
    if (j.verdict.kind !== 'accept') {
      logger.info('smtp', 'rcpt-to', { sid: session.id, ip: st.ip, to: address.address, verdict: 'reject', reply: `${j.verdict.code} ${j.verdict.status}` });
      return cb(toSmtpError(this.pastRefusals(st, session) ?? j.verdict));
    }
    const ok = j as Extract<typeof j, { kind: 'local' | 'remote' }>;
    const accepted = () => {
      const dsn = address.dsn;
      (st.rcpt ??= new Map()).set(ok.address, { address: ok.address, kind: ok.kind, notify: dsn?.notify, orcpt: dsn?.orcpt });
      logger.info('smtp', 'rcpt-to', { sid: session.id, ip: st.ip, to: ok.address, kind: ok.kind, verdict: 'accept' });
      cb();
    };
    if (ok.kind !== 'local') {
      if (this.deps.queueUp?.() === false) {
        const v = tempfail(451, '4.3.0', 'Local error in processing (queue database unavailable), try again later');
        logger.info('smtp', 'rcpt-to', { sid: session.id, ip: st.ip, to: ok.address, verdict: 'tempfail', reason: 'queue unavailable', reply: `${v.code} ${v.status}` });
        return cb(toSmtpError(v));
      }
      return accepted();
    }
    // a per-IP virtual host that takes mail only for its own domains ([[domains.virtual_host]] only_own_domains)
    const elsewhere = refuseOnVirtualHost(virtualHostsOf(config), session.localAddress, ok.address, (d) => directory.localDomain(d));
    if (elsewhere) {
      logger.info('smtp', 'rcpt-to', { sid: session.id, ip: st.ip, to: ok.address, verdict: 'reject', reason: 'virtual host', reply: `${elsewhere.code} ${elsewhere.status}` });
      return cb(toSmtpError(this.pastRefusals(st, session) ?? elsewhere));
    }
    if (this.deps.storeUp?.() === false) {
      const v = tempfail(451, '4.3.0', 'Local error in processing (mailbox database unavailable), try again later');
      logger.info('smtp', 'rcpt-to', { sid: session.id, ip: st.ip, to: ok.address, verdict: 'tempfail', reason: 'mailbox store unavailable', reply: `${v.code} ${v.status}` });
      return cb(toSmtpError(v));
    }
    // a mailbox already over its quota: 452 4.2.2 now, while the client can still keep the message for it
    rcptQuotaRefusal(directory, config.data_dir, ok.address, declaredSize(session.envelope.mailFrom), this.deps.mailUsage).then((full) => {
      if (!full) return accepted();
      logger.info('smtp', 'rcpt-to', { sid: session.id, ip: st.ip, to: ok.address, verdict: 'reject', reason: 'quota', reply: `${full.code} ${full.status}` });
      cb(toSmtpError(full));
    }, accepted);
  };

  /** One more refused recipient; past [smtp] max_rcpt_errors since the last accepted message, 421 and the close. */
  private pastRefusals(st: ConnState, session: SmtpSession): Refusal | null {
    const limit = this.deps.config.smtp.max_rcpt_errors;
    if (limit === 0 || (st.refused = (st.refused ?? 0) + 1) <= limit) return null;
    this.deps.logger.warn('smtp', 'too-many-refusals', { sid: session.id, ip: st.ip, refused: st.refused });
    return tempfail(421, '4.7.0', 'Too many refused recipients, closing connection');
  }

  onData = (stream: MessageStream, session: SmtpSession, cb: (err?: Error | null, message?: string) => void): void => {
    void this.data(stream, session).then(
      (r) => (typeof r === 'string' ? ((this.state(session).refused = 0), cb(null, r)) : cb(toSmtpError(r))),
      (e: Error) => {
        if (stream.errored instanceof DeadlineExceeded) {
          // the deadline already answered 421 and closed; the partial message was discarded, never acknowledged
          this.deps.logger.info('smtp', 'data', { sid: session.id, verdict: 'discarded', reason: 'data timeout' });
          return cb(toSmtpError(tempfail(421, '4.4.2', 'Error: timeout exceeded')));
        }
        this.deps.logger.error('smtp', 'data-error', { sid: session.id, error: e.message });
        stream.resume();
        cb(toSmtpError(Refusals.localError()));
      },
    );
  };

  private async data(stream: MessageStream, session: SmtpSession): Promise<string | Refusal> {
    const st = this.state(session);
    const { queue, logger, config } = this.deps;
    const done = queue.beginReceive();
    try {
      await st.ptrLookup;
      const mf = session.envelope.mailFrom;
      const dsn = session.envelope.dsn;
      const author = await screenHeaderFrom(stream as AsyncIterable<Buffer>, { sid: session.id, ip: st.ip, user: sessionUser(session) }, this.deps);
      const env: Envelope = {
        id: newQueueId(),
        time: Date.now(),
        mailFrom: mf ? mf.address : '',
        rcptTo: [...(st.rcpt?.values() ?? [])],
        dsn: dsn.ret || dsn.envid ? { ret: (dsn.ret as 'FULL' | 'HDRS' | null) ?? undefined, envid: dsn.envid ?? undefined } : undefined,
        smtputf8: !!(mf && mf.args && mf.args.SMTPUTF8),
        client: {
          ip: st.ip,
          ptr: st.ptr,
          helo: session.hostNameAppearsAs || '',
          protocol: protocolName(session, !!sessionUser(session)),
          tls: session.secure ? tlsDescription(session) : undefined,
          user: sessionUser(session)?.address,
          listener: this.listener,
          host: virtualHostsOf(config).hostFor(session.localAddress)?.hostname,
        },
        connection: st.connection,
        origin: author.origin,
      };
      const w = await queue.spool.create(env);
      let handedOver = false;
      const headerLines = new HeaderLineCount();
      try {
        for await (const chunk of author.message) {
          headerLines.feed(chunk);
          w.write(chunk);
          if (w.bodyBytes % (512 * 1024) < chunk.length) await w.drained();
        }
        if (stream.sizeExceeded) {
          logger.info('smtp', 'data', { sid: session.id, id: env.id, verdict: 'reject', reason: 'message too big', size: w.bodyBytes, limit: config.max_message_size });
          return reject(552, '5.3.4', `Message size exceeds fixed limit of ${config.max_message_size} bytes`);
        }
        if (headerLines.fieldTooBig) {
          logger.info('smtp', 'data', { sid: session.id, id: env.id, verdict: 'reject', reason: 'header field too big', limit: MAX_HEADER_FIELD_OCTETS });
          return Refusals.headerFieldTooBig(MAX_HEADER_FIELD_OCTETS);
        }
        if (headerLines.over) {
          logger.info('smtp', 'data', { sid: session.id, id: env.id, verdict: 'reject', reason: 'header too long', lines: headerLines.lines, limit: MAX_HEADER_LINES });
          return Refusals.headerTooLong(MAX_HEADER_LINES);
        }
        if (headerLines.received >= MAX_HOPS) {
          logger.info('smtp', 'data', { sid: session.id, id: env.id, verdict: 'reject', reason: 'too many hops', hops: headerLines.received, limit: MAX_HOPS });
          return Refusals.tooManyHops(headerLines.received);
        }
        if (author.refusal) return author.refusal; // From:/Sender: not the sender's own (logged by header-from)
        const hand = () => {
          handedOver = true;
          return queue.receive(w, env);
        };
        const user = sessionUser(session);
        const gated = user && this.deps.sendGate ? await this.deps.sendGate.counted(user.address, env.id, env.rcptTo.length, session.id, hand, this.listener) : { outcome: await hand() };
        if ('refusal' in gated) return gated.refusal;
        const outcome = gated.outcome;
        if (outcome.kind === 'accepted') {
          logger.info('smtp', 'queued', { sid: session.id, id: env.id, from: env.mailFrom, rcpts: env.rcptTo.length, size: w.bodyBytes, delivered: outcome.delivered });
          return `2.0.0 Ok: queued as ${env.id}`;
        }
        logger.info('smtp', 'data', { sid: session.id, id: env.id, verdict: outcome.kind, reply: `${outcome.code} ${outcome.status} ${outcome.text}` });
        return outcome.kind === 'rejected' ? reject(outcome.code, outcome.status, outcome.text) : { ...outcome, kind: 'tempfail' };
      } finally {
        if (!handedOver) {
          await w.finish().catch(() => {});
          await queue.spool.discard(w);
        }
      }
    } finally {
      done();
    }
  }
}

/** One step of the shared SASL exchange as an SMTP reply (RFC 4954 §4, §6). */
function saslReply(step: SaslStep): SaslReply {
  switch (step.kind) {
    case 'challenge':
      return { code: 334, message: step.data, more: true };
    case 'cancelled':
      return { code: 501, message: '5.0.0 Authentication cancelled' };
    case 'malformed':
      return { code: 501, message: `5.5.2 ${step.text}` };
    case 'done': {
      const r = step.result;
      if (r.kind === 'ok') return { code: 235, message: '2.7.0 Authentication successful', user: r.user };
      if (r.kind === 'failed') return { code: 535, message: '5.7.8 Authentication credentials invalid' };
      if (r.kind === 'blocked') return { code: 454, message: '4.7.0 Too many authentication failures from your address; try again later' };
      return { code: 454, message: '4.7.0 Login temporarily unavailable; try again later' };
    }
  }
}

/** ESMTP parameters we implement (RFC 1870 SIZE, 6152 BODY, 6531 SMTPUTF8, 3461 DSN, 4954 AUTH). */
const MAIL_PARAMS = new Set(['SIZE', 'BODY', 'SMTPUTF8', 'RET', 'ENVID', 'AUTH']);
const RCPT_PARAMS = new Set(['NOTIFY', 'ORCPT']);

function unknownParams(address: SmtpAddress, known: Set<string>): string | null {
  const args = address.args;
  if (!args) return null;
  for (const k of Object.keys(args)) if (!known.has(k.toUpperCase())) return k.toUpperCase();
  return null;
}
