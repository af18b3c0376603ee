// The POP3 listeners `pop3` (110, STLS) and `pop3s` (995, implicit TLS), on the shared listener (connection
// caps, TLS floor, handshake deadline): hand each connection to a Pop3Session and close them all on shutdown.
// It decides nothing about a login (engine/net/login.ts does).
import type { MailboxListenerOptions } from '../mailbox-listener.js';
import { handshakeDeadline, limitsFor, startListener } from '../net/listener.js';
import { LoginFlow } from '../net/login.js';
import { serverContext } from '../net/tls.js';
import { Pop3Session, type SessionDeps } from './session.js';

export interface Pop3Options extends MailboxListenerOptions {
  /** Loopback clients may use USER/PASS and AUTH PLAIN without TLS (default true). */
  trustLoopback?: boolean;
}

export async function startPop3(opts: Pop3Options): Promise<{ port: number; close(): Promise<void> }> {
  const { config, logger } = opts;
  const secureContext = serverContext(opts.tls);
  const deps: SessionDeps = {
    store: opts.store,
    config,
    logger,
    login: opts.login ?? LoginFlow.shared(config, opts.directory, logger),
    secureContext,
    trustLoopback: opts.trustLoopback ?? true,
  };
  const sessions = new Set<Pop3Session>();
  const listener = await startListener({
    protocol: 'pop3',
    name: opts.implicitTls ? 'pop3s' : 'pop3',
    listen: opts.listen,
    implicitTls: opts.implicitTls,
    context: secureContext,
    limits: opts.limits ?? limitsFor(config, 'pop3'),
    handshakeMs: handshakeDeadline(config.pop3.command_timeout, config.pop3.idle_timeout),
    logger,
    refusal: () => '-ERR [SYS/TEMP] Too many connections',
    onConnection: (socket, secure) => {
      const session = new Pop3Session(socket, deps, secure);
      sessions.add(session);
      socket.once('close', () => sessions.delete(session));
      session.start();
    },
  });
  return {
    port: listener.port,
    async close() {
      const closed = listener.close();
      for (const s of sessions) s.shutdown();
      await closed;
    },
  };
}
