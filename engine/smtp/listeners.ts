// SMTP listeners (smtp 25, submission 587 with STARTTLS, submissions 465 implicit TLS): the shared listener
// (engine/net: connection caps, TLS 1.2 floor, implicit TLS handshake deadline) accepts, and each connection gets
// tegami's own SMTP session layer (protocol/connection.ts) with our policy hooks; AUTH runs through the shared
// login flow. A local address with a virtual host or a certificate of its own (A6) gets options of its own: its
// host name in the greeting and the EHLO reply, its certificate for STARTTLS (SNI still chooses first).
import { sessionId } from '../net/session-id.js';
import tls from 'node:tls';
import { handshakeDeadline, limitsFor, startListener, type Listener } from '../net/listener.js';
import { serverContext, serverTlsOptions, type CertPair } from '../net/tls.js';
import { canonicalIp } from '../config/schema.js';
import { virtualHostsOf } from '../accounts/virtual-hosts.js';
import type { CertificateSelector } from '../tls/select.js';
import { Refusals } from '../policy/verdict.js';
import { SmtpDeadlines } from './deadlines.js';
import { SmtpConnection } from './protocol/connection.js';
import type { Reply, SmtpOptions } from './protocol/types.js';
import { SmtpSessionPolicy, type ListenerKind, type SessionDeps } from './session.js';

export interface RunningListener {
  name: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** How long sessions may finish their work after a stop before they get 421 (a message in flight, mostly). */
const CLOSE_GRACE_MS = 30_000;
/** How long after that 421 a client may keep its side open. */
const GOODBYE_MS = 2000;

/** The longest command line (RFC 5321 §4.5.3.1.4 says 512; AUTH lines and long addresses need more). */
const MAX_LINE = 16 * 1024;

export async function startSmtpListener(kind: ListenerKind, listen: string, tls_: CertPair, deps: SessionDeps, certificates?: CertificateSelector): Promise<RunningListener> {
  const policy = new SmtpSessionPolicy(deps, kind);
  const { config } = deps;
  const deadlines = new SmtpDeadlines({
    commandMs: config.smtp.command_timeout,
    dataMs: config.smtp.data_timeout,
    hostname: config.hostname,
    logger: deps.logger,
    listener: kind,
  });
  const vhosts = virtualHostsOf(config);
  const connections = new Set<SmtpConnection>();
  let stopping = false;
  /** One set of options per local address with a name or certificate of its own, one ('*') for every other. */
  const optionsByAddress = new Map<string, SmtpOptions>();
  /** The same by the socket's local address as Node spells it (a few per listener), so a connection spells nothing out. */
  const optionsByRaw = new Map<string, SmtpOptions>();
  const optionsFor = (localAddress: string | undefined): SmtpOptions => {
    const raw = optionsByRaw.get(localAddress ?? '');
    if (raw) return raw;
    const o = optionsForAddress(localAddress);
    if (optionsByRaw.size < 256) optionsByRaw.set(localAddress ?? '', o);
    return o;
  };
  const optionsForAddress = (localAddress: string | undefined): SmtpOptions => {
    const ip = localAddress ? canonicalIp(localAddress) : '';
    const own = ip !== '' && (vhosts.hostFor(ip) !== undefined || !!certificates?.boundTo(ip));
    const key = own ? ip : '*';
    let o = optionsByAddress.get(key);
    if (!o) optionsByAddress.set(key, (o = makeOptions(own ? ip : undefined)));
    return o;
  };
  const vrfy = (arg: string, _s: unknown, reply: Reply): void => {
    if (!config.smtp.vrfy) return reply(252, '2.1.5 Cannot VRFY user, but will accept message and attempt delivery');
    const target = arg.replace(/^<|>$/g, '');
    const local = target.includes('@') ? target : `${target}@${deps.directory.primaryDomain()}`;
    const r = deps.directory.resolve(local);
    // a disabled mailbox answers like an unknown one: outsiders never learn an account's state
    if (r.kind === 'mailbox' && !r.user.disabled) reply(250, `2.1.5 ${r.user.fullName ? `${r.user.fullName} ` : ''}<${r.user.address}>`);
    else if (r.kind === 'unknown' || r.kind === 'mailbox') reply(550, `5.1.1 <${target}>: no such user here`);
    else reply(252, '2.1.5 Cannot VRFY user, but will accept message and attempt delivery');
  };
  const expn = (arg: string, _s: unknown, reply: Reply): void => {
    const target = arg.replace(/^<|>$/g, '');
    const r = deps.directory.resolve(target.includes('@') ? target : `${target}@${deps.directory.primaryDomain()}`);
    if (r.kind === 'alias') reply(250, `2.1.5 ${r.targets.map((t) => `<${t}>`).join(', ')}`);
    else if (r.kind === 'mailbox' && !r.user.disabled) reply(250, `2.1.5 <${r.user.address}>`);
    else reply(550, `5.1.1 <${target}>: no such list`);
  };
  const makeOptions = (ip: string | undefined): SmtpOptions => ({
    name: vhosts.hostnameFor(ip),
    banner: config.smtp.banner,
    secure: kind === 'submissions',
    // STARTTLS: the certificate the client names by SNI, else this address's ([[tls.domain]])
    tls:
      kind === 'submissions'
        ? undefined
        : {
            secureContext: tls.createSecureContext(serverTlsOptions(certificates?.pairFor(ip) ?? tls_)), // the TLS floor of every listener
            ...(certificates?.perDomain ? { SNICallback: (name: string, cb: (e: Error | null, c?: tls.SecureContext) => void) => cb(null, certificates.certificateFor({ localAddress: ip, servername: name })) } : {}),
          },
    size: config.max_message_size,
    authMethods: policy.allMechanisms,
    authOptional: kind === 'smtp',
    authMethodsFor: policy.authMethodsFor, // PLAIN/LOGIN need TLS unless loopback
    onSaslStart: policy.onSaslStart,
    greetingDelay: config.smtp.greeting_delay,
    socketTimeout: config.smtp.socket_timeout,
    maxLineLength: MAX_LINE,
    closing: () => stopping,
    onConnect: policy.onConnect,
    onSecure: (_socket, session) => policy.onSecure(session),
    onClose: policy.onClose,
    onMailFrom: policy.onMailFrom,
    onRcptTo: policy.onRcptTo,
    onData: policy.onData,
    onVrfy: vrfy,
    onExpn: config.smtp.expn ? expn : undefined,
    onError: (session, e) => deps.logger.error('smtp', 'server-error', { listener: kind, sid: session.id, error: e.message }),
    watcher: deadlines.enabled ? deadlines : undefined,
  });
  optionsFor(undefined); // the default one now: a bad TLS option fails at start
  const listener = await startListener({
    protocol: 'smtp',
    name: kind,
    listen,
    implicitTls: kind === 'submissions',
    context: certificates ?? serverContext(tls_),
    limits: limitsFor(config, 'smtp'),
    handshakeMs: handshakeDeadline(config.smtp.command_timeout, config.smtp.socket_timeout),
    logger: deps.logger,
    refusal: (reason) => {
      const v = reason === 'total' ? Refusals.tooManyClients() : Refusals.tooManyConnections();
      return `${v.code} ${v.status} ${config.hostname} ${v.text}`;
    },
    // the slot is given back when the accepted socket closes (the listener's own 'close' listener)
    onConnection: (socket) => {
      const c = new SmtpConnection(socket, optionsFor(socket.localAddress), sessionId(10));
      connections.add(c);
      socket.once('close', () => connections.delete(c));
    },
  });
  return {
    name: kind,
    host: listener.host,
    port: listener.port,
    close: () => {
      stopping = true;
      return closeGracefully(connections, listener);
    },
  };
}

/**
 * Stop: new connections are refused at once, and every new command gets "421 Server shutting down"; sessions
 * get CLOSE_GRACE_MS to finish what is under way (a message being received), then 421 and the close.
 */
async function closeGracefully(connections: Set<SmtpConnection>, listener: Listener): Promise<void> {
  const gone = listener.close().then(() => 'gone' as const);
  if ((await within(gone, CLOSE_GRACE_MS)) === 'gone') return;
  for (const c of connections) c.fail(421, 'Server shutting down');
  // a client that does not close its side after the 421 loses the socket shortly after
  if ((await within(gone, GOODBYE_MS)) !== 'gone') listener.destroyAll();
  await gone;
}

/** `p`'s value, or 'late' once `ms` have passed. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
