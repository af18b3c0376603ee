// SMTP listeners (smtp 25, submission 587 with STARTTLS, submissions 465 implicit TLS): the shared listener
// (engine/net: connection caps, TLS 1.2 floor, implicit TLS handshake deadline) accepts, and each connection is
// handed to smtp-server, which speaks SMTP with our policy hooks and runs AUTH through the shared login flow.
// No policy decisions here.
import crypto from 'node:crypto';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { handshakeDeadline, limitsFor, startListener, type Listener } from '../net/listener.js';
import { serverContext, serverTlsOptions, type CertPair } from '../net/tls.js';
import { Refusals } from '../policy/verdict.js';
import { SmtpDeadlines } from './deadlines.js';
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

export async function startSmtpListener(kind: ListenerKind, listen: string, tls: CertPair, deps: SessionDeps): Promise<RunningListener> {
  const policy = new SmtpSessionPolicy(deps, kind);
  /** Session id → give the connection's slot back (smtp-server strips the accepted socket's listeners at STARTTLS). */
  const ended = new Map<string, () => void>();
  const { config } = deps;
  const deadlines = new SmtpDeadlines({
    commandMs: config.smtp.command_timeout,
    dataMs: config.smtp.data_timeout,
    hostname: config.hostname,
    logger: deps.logger,
    listener: kind,
  });
  const options: SMTPServerOptions & Record<string, unknown> = {
    name: config.hostname,
    banner: config.smtp.banner,
    ...serverTlsOptions(tls), // the TLS floor of every listener, also for smtp-server's own STARTTLS
    secure: kind === 'submissions',
    size: config.max_message_size,
    authMethods: policy.allMechanisms,
    authOptional: kind === 'smtp',
    allowInsecureAuth: true, // narrowed per session by authMethodsFor (PLAIN/LOGIN need TLS unless loopback)
    authMethodsFor: policy.authMethodsFor,
    onSaslStart: policy.onSaslStart,
    disableReverseLookup: true, // done asynchronously by the policy, never before the greeting
    greetingDelay: config.smtp.greeting_delay,
    socketTimeout: config.smtp.socket_timeout,
    closeTimeout: CLOSE_GRACE_MS,
    logger: false,
    useXClient: false,
    useXForward: false,
    hidePIPELINING: false,
    hide8BITMIME: false,
    hideSMTPUTF8: false,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: false,
    hideREQUIRETLS: true,
    onConnect: (session, cb) => {
      deadlines.watch(server, session);
      policy.onConnect(session, cb);
    },
    onSecure: (socket, session, cb) => {
      policy.onSecure(session);
      cb(); // smtp-server pipes the TLS socket into its parser here; the deadline watch attaches after it
      deadlines.socketChanged(session, socket);
    },
    onClose: (session) => {
      deadlines.unwatch(session);
      policy.onClose(session);
      ended.get(session.id)?.();
      ended.delete(session.id);
    },
    onMailFrom: policy.onMailFrom,
    onRcptTo: policy.onRcptTo,
    onData: (stream, session, cb) => {
      deadlines.dataStarted(session, stream);
      policy.onData(stream, session, cb);
    },
  };
  type Reply = (code: number, text: string) => void;
  if (config.smtp.vrfy) {
    options.onVrfy = (arg: string, _s: unknown, reply: Reply) => {
      const target = arg.replace(/^<|>$/g, '');
      const local = target.includes('@') ? target : `${target}@${deps.directory.primaryDomain()}`;
      const r = deps.directory.resolve(local);
      // a disabled mailbox answers like an unknown one: outsiders never learn an account's state
      if (r.kind === 'mailbox' && !r.user.disabled) reply(250, `2.1.5 ${r.user.fullName ? `${r.user.fullName} ` : ''}<${r.user.address}>`);
      else if (r.kind === 'unknown' || r.kind === 'mailbox') reply(550, `5.1.1 <${target}>: no such user here`);
      else reply(252, '2.1.5 Cannot VRFY user, but will accept message and attempt delivery');
    };
  } else {
    options.onVrfy = (_arg: string, _s: unknown, reply: Reply) => reply(252, '2.1.5 Cannot VRFY user, but will accept message and attempt delivery');
  }
  if (config.smtp.expn) {
    options.onExpn = (arg: string, _s: unknown, reply: Reply) => {
      const target = arg.replace(/^<|>$/g, '');
      const r = deps.directory.resolve(target.includes('@') ? target : `${target}@${deps.directory.primaryDomain()}`);
      if (r.kind === 'alias') reply(250, `2.1.5 ${r.targets.map((t) => `<${t}>`).join(', ')}`);
      else if (r.kind === 'mailbox' && !r.user.disabled) reply(250, `2.1.5 <${r.user.address}>`);
      else reply(550, `5.1.1 <${target}>: no such list`);
    };
  }
  const server = new SMTPServer(options);
  server.on('error', (e: Error) => deps.logger.error('smtp', 'server-error', { listener: kind, error: e.message }));
  const listener = await startListener({
    protocol: 'smtp',
    name: kind,
    listen,
    implicitTls: kind === 'submissions',
    context: serverContext(tls),
    limits: limitsFor(config, 'smtp'),
    handshakeMs: handshakeDeadline(config.smtp.command_timeout, config.smtp.socket_timeout),
    logger: deps.logger,
    refusal: (reason) => {
      const v = reason === 'total' ? Refusals.tooManyClients() : Refusals.tooManyConnections();
      return `${v.code} ${v.status} ${config.hostname} ${v.text}`;
    },
    // smtp-server's own net.Server never listens: it gets connections from here, TLS already done on 465
    onConnection: (socket, _secure, done) => {
      const id = crypto.randomBytes(10).toString('hex');
      ended.set(id, done);
      server.connect(socket, { id } as never);
    },
  });
  return {
    name: kind,
    host: listener.host,
    port: listener.port,
    close: () => closeGracefully(server, listener),
  };
}

/**
 * Stop: new connections are refused at once, and every new command gets "421 Server shutting down" (smtp-server
 * does that once close() was called); sessions get CLOSE_GRACE_MS to finish what is under way (a message being
 * received), then 421 and the close. smtp-server's own grace timer cannot see our connections, hence this.
 */
async function closeGracefully(server: SMTPServer, listener: Listener): Promise<void> {
  const gone = listener.close().then(() => 'gone' as const);
  server.close(() => {});
  if ((await within(gone, CLOSE_GRACE_MS)) === 'gone') return;
  type Conn = { send(code: number, text: string): void; close(): void };
  for (const c of server.connections as Set<unknown> as Set<Conn>) {
    c.send(421, 'Server shutting down');
    c.close();
  }
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
