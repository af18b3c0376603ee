// The SMTP policy hooks: connection limits, AUTH (with failure throttling), MAIL FROM (submission,
// sender ownership, queue bound, connection-level spam checks), RCPT TO (relay), DATA (spool → queue).
// smtp-server calls these; every refusal is a Verdict turned into a reply in one place (policy/verdict.ts).
import dns from 'node:dns';
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerDataStream, SMTPServerSession, SMTPServerAddress } from 'smtp-server';
import type { LoadedConfig } from '../config/load.js';
import type { AccountDirectory, User } from '../accounts/directory.js';
import type { Logger } from '../log/logger.js';
import { AuthThrottle, sleep } from '../policy/auth-throttle.js';
import { isLoopback, unmapV4 } from '../policy/cidr.js';
import { parseAddress } from '../policy/address.js';
import { judgeRecipient, RelayPolicy } from '../policy/relay.js';
import { Refusals, reject, tempfail, toSmtpError, type Refusal } from '../policy/verdict.js';
import type { Queue } from '../queue/queue.js';
import { DeadlineExceeded } from './deadlines.js';
import { screenHeaderFrom } from './header-from.js';
import { newQueueId, type Envelope, type RecipientEntry } from '../spool/envelope.js';
import { declaredSize, rcptQuotaRefusal } from '../accounts/rcpt-quota.js';
import { refuseOnVirtualHost, virtualHostsOf } from '../accounts/virtual-hosts.js';

export type ListenerKind = 'smtp' | 'submission' | 'submissions';

/** Connection-level checks (DNSBL, SPF, rDNS, HELO), provided by engine/spam when present. */
export interface ConnectionCheck {
  check(input: { ip: string; helo: string; mailFrom: string; authenticated: boolean; hostname: string }): Promise<{
    tags: string[];
    headers: string[];
    authResults: string[];
    reject?: { code: number; status: string; text: string };
  }>;
}

interface ConnState {
  ip: string;
  ptr?: string;
  ptrLookup?: Promise<void>;
  listener: ListenerKind;
  user?: User;
  rcpt: Map<string, RecipientEntry>;
  connection?: Envelope['connection'];
}

type Cb = (err?: Error | null) => void;

export interface SessionDeps {
  config: LoadedConfig;
  directory: AccountDirectory;
  logger: Logger;
  queue: Queue;
  throttle: AuthThrottle;
  relay: RelayPolicy;
  connectionCheck?: ConnectionCheck;
  resolver?: { reverse(ip: string): Promise<string[]> };
}

export class SmtpSessionPolicy {
  private conns = new Map<string, ConnState>();
  private perIp = new Map<string, number>();

  constructor(
    private readonly deps: SessionDeps,
    private readonly listener: ListenerKind,
  ) {}

  private state(session: SMTPServerSession): ConnState {
    let st = this.conns.get(session.id);
    if (!st) {
      st = { ip: unmapV4(session.remoteAddress), listener: this.listener, rcpt: new Map() };
      this.conns.set(session.id, st);
    }
    return st;
  }

  /** Which AUTH mechanisms this session may use: PLAIN/LOGIN only over TLS, on loopback, or when allowed. */
  authMethodsFor = (session: SMTPServerSession, secure: boolean): string[] => {
    const mechs = this.deps.config.auth.mechanisms;
    if (secure || this.deps.config.auth.allow_insecure_auth || isLoopback(session.remoteAddress ?? '')) return mechs;
    return mechs.filter((m) => m === 'CRAM-MD5');
  };

  onConnect = (session: SMTPServerSession, cb: Cb): void => {
    const st = this.state(session);
    const n = (this.perIp.get(st.ip) ?? 0) + 1;
    this.perIp.set(st.ip, n);
    this.deps.logger.info('smtp', 'connect', { sid: session.id, ip: st.ip, listener: this.listener });
    if (n > this.deps.config.smtp.max_connections_per_ip) {
      this.deps.logger.warn('smtp', 'refused', { sid: session.id, ip: st.ip, reason: 'too many connections from this address' });
      return cb(toSmtpError(Refusals.tooManyConnections()));
    }
    // reverse DNS for the Received header, without holding the greeting back
    const resolver = this.deps.resolver;
    st.ptrLookup = (resolver ? resolver.reverse(st.ip) : dns.promises.reverse(st.ip))
      .then((names) => {
        st.ptr = names[0];
      })
      .catch(() => {});
    cb();
  };

  onClose = (session: SMTPServerSession): void => {
    const st = this.conns.get(session.id);
    if (!st) return;
    this.conns.delete(session.id);
    const n = (this.perIp.get(st.ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(st.ip);
    else this.perIp.set(st.ip, n);
    this.deps.logger.info('smtp', 'disconnect', { sid: session.id, ip: st.ip });
  };

  onAuth = (auth: SMTPServerAuthentication, session: SMTPServerSession, cb: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void): void => {
    void this.authenticate(auth, session).then(
      (r) => (r.ok ? cb(null, { user: r.user }) : cb(toSmtpError(r.refusal))),
      (e: Error) => cb(toSmtpError(reject(454, '4.7.0', `Temporary authentication failure`)), void this.deps.logger.error('smtp', 'auth-error', { error: e.message })),
    );
  };

  private async authenticate(auth: SMTPServerAuthentication, session: SMTPServerSession): Promise<{ ok: true; user: User } | { ok: false; refusal: Refusal }> {
    const st = this.state(session);
    const { throttle, directory, logger } = this.deps;
    const decision = throttle.check(st.ip);
    if (decision.kind === 'blocked') {
      logger.warn('smtp', 'auth-blocked', { sid: session.id, ip: st.ip, until: new Date(decision.untilMs).toISOString() });
      return { ok: false, refusal: reject(454, '4.7.0', 'Too many authentication failures from your address; try again later') };
    }
    if (decision.delayMs) await sleep(decision.delayMs);
    const defaultDomain = this.deps.config.domains.by_ip[unmapV4(session.localAddress)];
    let user: User | undefined;
    if (auth.method === 'CRAM-MD5') {
      const address = directory.loginAddress(auth.username ?? '', defaultDomain);
      const secret = address ? directory.secret(address) : null;
      const u = address ? directory.user(address) : undefined;
      if (secret && u && !u.disabled && auth.validatePassword(secret)) user = u;
    } else {
      user = await directory.authenticate(auth.username ?? '', auth.password ?? '', defaultDomain);
    }
    if (!user) {
      const blocked = throttle.fail(st.ip);
      logger.warn('smtp', 'auth-failed', { sid: session.id, ip: st.ip, method: auth.method, user: auth.username, failures: throttle.failures(st.ip), blocked });
      return { ok: false, refusal: reject(535, '5.7.8', 'Authentication credentials invalid') };
    }
    st.user = user;
    logger.info('smtp', 'auth', { sid: session.id, ip: st.ip, method: auth.method, user: user.address });
    return { ok: true, user };
  }

  onMailFrom = (address: SMTPServerAddress, session: SMTPServerSession, cb: Cb): void => {
    void this.mailFrom(address, session).then((v) => cb(v ? toSmtpError(v) : null), (e: Error) => {
      this.deps.logger.error('smtp', 'mail-error', { sid: session.id, error: e.message });
      cb(toSmtpError(Refusals.localError()));
    });
  };

  private async mailFrom(address: SMTPServerAddress, session: SMTPServerSession): Promise<Refusal | null> {
    const st = this.state(session);
    st.rcpt.clear();
    st.connection = undefined;
    const { logger, config, directory } = this.deps;
    const sender = address.address ?? '';
    const log = (verdict: string, reason?: string) =>
      logger.info('smtp', 'mail-from', { sid: session.id, ip: st.ip, helo: session.hostNameAppearsAs, tls: session.secure || undefined, user: st.user?.address, from: sender, verdict, reason });
    const unknownParam = unknownParams(address, MAIL_PARAMS);
    if (unknownParam) {
      log('reject', `unknown parameter ${unknownParam}`);
      return reject(555, '5.5.4', `MAIL FROM parameter ${unknownParam} not recognized`);
    }
    if (this.deps.queue.isFull()) {
      log('tempfail', 'queue full');
      return Refusals.queueFull();
    }
    if (this.listener !== 'smtp' && !st.user) {
      log('reject', 'authentication required');
      return Refusals.authRequired();
    }
    if (sender !== '') {
      const p = parseAddress(sender);
      if (!p.ok) {
        log('reject', p.reason);
        return reject(501, '5.1.7', `Bad sender address syntax: ${p.reason}`);
      }
      if (st.user && config.smtp.restrict_sender && !(st.user.systemAdmin && config.smtp.admins_may_send_as_anyone)) {
        const canonicalDomain = directory.localDomain(p.value.domain);
        const candidate = canonicalDomain ? `${p.value.local.toLowerCase()}@${canonicalDomain}` : p.value.normalized;
        const own = directory.senderAddresses(st.user);
        if (!own.has(candidate) && !own.has(p.value.normalized)) {
          log('reject', 'sender not owned');
          return Refusals.senderNotOwned(sender);
        }
      }
    }
    const check = this.deps.connectionCheck;
    const trusted = !!st.user && !config.spam.filter_authenticated;
    if (check && config.spam.enabled && !trusted) {
      const r = await check.check({ ip: st.ip, helo: session.hostNameAppearsAs ?? '', mailFrom: sender, authenticated: !!st.user, hostname: config.hostname });
      st.connection = r as ConnState['connection'];
      if (r.reject) {
        log('reject', r.reject.text);
        return reject(r.reject.code, r.reject.status, r.reject.text);
      }
    }
    log('accept');
    return null;
  }

  onRcptTo = (address: SMTPServerAddress, session: SMTPServerSession, cb: Cb): void => {
    const st = this.state(session);
    const { logger, config, directory, relay } = this.deps;
    const unknownParam = unknownParams(address, RCPT_PARAMS);
    if (unknownParam) return cb(toSmtpError(reject(555, '5.5.4', `RCPT TO parameter ${unknownParam} not recognized`)));
    if (st.rcpt.size >= config.smtp.max_recipients) {
      return cb(toSmtpError(reject(452, '4.5.3', 'Too many recipients')));
    }
    const j = judgeRecipient(address.address, { ip: st.ip, authenticated: !!st.user }, directory, relay);
    if (j.verdict.kind !== 'accept') {
      logger.info('smtp', 'rcpt-to', { sid: session.id, ip: st.ip, to: address.address, verdict: 'reject', reply: `${j.verdict.code} ${j.verdict.status}` });
      return cb(toSmtpError(j.verdict));
    }
    const ok = j as Extract<typeof j, { kind: 'local' | 'remote' }>;
    const accepted = () => {
      const dsn = (address as unknown as { dsn?: { notify?: string[]; orcpt?: string } }).dsn;
      st.rcpt.set(ok.address, { address: ok.address, kind: ok.kind, notify: dsn?.notify, orcpt: dsn?.orcpt });
      logger.info('smtp', 'rcpt-to', { sid: session.id, ip: st.ip, to: ok.address, kind: ok.kind, verdict: 'accept' });
      cb();
    };
    if (ok.kind !== 'local') return accepted();
    // a per-IP virtual host that takes mail only for its own domains ([[domains.virtual_host]] only_own_domains)
    const elsewhere = refuseOnVirtualHost(virtualHostsOf(config), session.localAddress, ok.address, (d) => directory.localDomain(d));
    if (elsewhere) {
      logger.info('smtp', 'rcpt-to', { sid: session.id, ip: st.ip, to: ok.address, verdict: 'reject', reason: 'virtual host', reply: `${elsewhere.code} ${elsewhere.status}` });
      return cb(toSmtpError(elsewhere));
    }
    // a mailbox already over its quota: 452 4.2.2 now, while the client can still keep the message for it
    rcptQuotaRefusal(directory, config.data_dir, ok.address, declaredSize(session.envelope.mailFrom)).then((full) => {
      if (!full) return accepted();
      logger.info('smtp', 'rcpt-to', { sid: session.id, ip: st.ip, to: ok.address, verdict: 'reject', reason: 'quota', reply: `${full.code} ${full.status}` });
      cb(toSmtpError(full));
    }, accepted);
  };

  onData = (stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void): void => {
    void this.data(stream, session).then(
      (r) => (typeof r === 'string' ? cb(null, r) : cb(toSmtpError(r))),
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

  private async data(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string | Refusal> {
    const st = this.state(session);
    const { queue, logger, config } = this.deps;
    const done = queue.beginReceive();
    try {
      await st.ptrLookup;
      const mf = session.envelope.mailFrom;
      const dsn = (session.envelope as unknown as { dsn?: { ret?: 'FULL' | 'HDRS'; envid?: string } }).dsn;
      const author = await screenHeaderFrom(stream as AsyncIterable<Buffer>, { sid: session.id, ip: st.ip, user: st.user }, this.deps);
      const env: Envelope = {
        id: newQueueId(),
        time: Date.now(),
        mailFrom: mf ? mf.address : '',
        rcptTo: [...st.rcpt.values()],
        dsn: dsn && (dsn.ret || dsn.envid) ? { ret: dsn.ret, envid: dsn.envid } : undefined,
        smtputf8: !!(mf && (mf.args as Record<string, unknown> | false) && (mf.args as Record<string, unknown>).SMTPUTF8),
        client: {
          ip: st.ip,
          ptr: st.ptr,
          helo: session.hostNameAppearsAs ?? '',
          protocol: protocolName(session, !!st.user),
          tls: session.secure ? tlsDescription(session) : undefined,
          user: st.user?.address,
          listener: this.listener,
        },
        connection: st.connection,
        origin: author.origin,
      };
      const w = await queue.spool.create(env);
      let handedOver = false;
      try {
        for await (const chunk of author.message) {
          w.write(chunk);
          if (w.bodyBytes % (512 * 1024) < chunk.length) await w.drained();
        }
        if (stream.sizeExceeded) {
          logger.info('smtp', 'data', { sid: session.id, id: env.id, verdict: 'reject', reason: 'message too big', size: w.bodyBytes, limit: config.max_message_size });
          return reject(552, '5.3.4', `Message size exceeds fixed limit of ${config.max_message_size} bytes`);
        }
        if (author.refusal) return author.refusal; // From:/Sender: not the sender's own (logged by header-from)
        handedOver = true;
        const outcome = await queue.receive(w, env);
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

/** ESMTP parameters we implement (RFC 1870 SIZE, 6152 BODY, 6531 SMTPUTF8, 3461 DSN, 4954 AUTH). */
const MAIL_PARAMS = new Set(['SIZE', 'BODY', 'SMTPUTF8', 'RET', 'ENVID', 'AUTH']);
const RCPT_PARAMS = new Set(['NOTIFY', 'ORCPT']);

function unknownParams(address: SMTPServerAddress, known: Set<string>): string | null {
  const args = address.args as Record<string, unknown> | false;
  if (!args) return null;
  for (const k of Object.keys(args)) if (!known.has(k.toUpperCase())) return k.toUpperCase();
  return null;
}

function protocolName(session: SMTPServerSession, authed: boolean): string {
  const esmtp = session.openingCommand !== 'HELO';
  if (!esmtp) return 'SMTP';
  return `ESMTP${session.secure ? 'S' : ''}${authed ? 'A' : ''}`;
}

function tlsDescription(session: SMTPServerSession): string {
  const t = session.tlsOptions as { name?: string; version?: string; standardName?: string } | false | undefined;
  return t ? `${t.version ?? 'TLS'} with cipher ${t.standardName ?? t.name ?? 'unknown'}` : 'TLS';
}
