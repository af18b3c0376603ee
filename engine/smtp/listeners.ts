// SMTP listeners (smtp 25, submission 587 with STARTTLS, submissions 465 implicit TLS) built on
// smtp-server: one SMTPServer per listener, all sharing the policy deps. No policy decisions here.
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { splitHostPort } from '../config/load.js';
import type { CertPair } from '../tls/certificate.js';
import { SmtpDeadlines } from './deadlines.js';
import { SmtpSessionPolicy, type ListenerKind, type SessionDeps } from './session.js';

export interface RunningListener {
  name: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startSmtpListener(kind: ListenerKind, listen: string, tls: CertPair, deps: SessionDeps): Promise<RunningListener> {
  const { host, port } = splitHostPort(listen);
  const policy = new SmtpSessionPolicy(deps, kind);
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
    key: tls.key,
    cert: tls.cert,
    secure: kind === 'submissions',
    size: config.max_message_size,
    authMethods: config.auth.mechanisms,
    authOptional: kind === 'smtp',
    allowInsecureAuth: true, // narrowed per session by authMethodsFor (PLAIN/LOGIN need TLS unless loopback)
    authMethodsFor: policy.authMethodsFor,
    disableReverseLookup: true, // done asynchronously by the policy, never before the greeting
    greetingDelay: config.smtp.greeting_delay,
    maxClients: config.smtp.max_connections,
    socketTimeout: config.smtp.socket_timeout,
    closeTimeout: 30_000,
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
      cb(); // smtp-server pipes the TLS socket into its parser here; the deadline watch attaches after it
      deadlines.socketChanged(session, socket);
    },
    onClose: (session) => {
      deadlines.unwatch(session);
      policy.onClose(session);
    },
    onAuth: policy.onAuth,
    onMailFrom: policy.onMailFrom,
    onRcptTo: policy.onRcptTo,
    onData: (stream, session, cb) => {
      deadlines.dataStarted(session, stream);
      policy.onData(stream, session, cb);
    },
  };
  if (config.smtp.vrfy) {
    options.onVrfy = (arg: string, _s: unknown, reply: (code: number, text: string) => void) => {
      const target = arg.replace(/^<|>$/g, '');
      const local = target.includes('@') ? target : `${target}@${deps.directory.primaryDomain()}`;
      const r = deps.directory.resolve(local);
      if (r.kind === 'mailbox') reply(250, `2.1.5 ${r.user.fullName ? `${r.user.fullName} ` : ''}<${r.user.address}>`);
      else if (r.kind === 'unknown') reply(550, `5.1.1 <${target}>: no such user here`);
      else reply(252, '2.1.5 Cannot VRFY user, but will accept message and attempt delivery');
    };
  } else {
    options.onVrfy = (_arg: string, _s: unknown, reply: (code: number, text: string) => void) =>
      reply(252, '2.1.5 Cannot VRFY user, but will accept message and attempt delivery');
  }
  if (config.smtp.expn) {
    options.onExpn = (arg: string, _s: unknown, reply: (code: number, text: string) => void) => {
      const target = arg.replace(/^<|>$/g, '');
      const r = deps.directory.resolve(target.includes('@') ? target : `${target}@${deps.directory.primaryDomain()}`);
      if (r.kind === 'alias') reply(250, `2.1.5 ${r.targets.map((t) => `<${t}>`).join(', ')}`);
      else if (r.kind === 'mailbox') reply(250, `2.1.5 <${r.user.address}>`);
      else reply(550, `5.1.1 <${target}>: no such list`);
    };
  }
  const server = new SMTPServer(options);
  server.on('error', (e: Error) => deps.logger.error('smtp', 'server-error', { listener: kind, error: e.message }));
  await new Promise<void>((resolve, reject) => {
    const onErr = (e: Error) => reject(e);
    server.server.once('error', onErr);
    server.listen(port, host, () => {
      server.server.off('error', onErr);
      resolve();
    });
  });
  const addr = server.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  return {
    name: kind,
    host,
    port: actualPort,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
