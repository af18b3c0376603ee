// The IMAP listeners: plain (STARTTLS offered) on `imap`, implicit TLS on `imaps`, on the shared listener
// (connection caps, TLS floor, handshake deadline). Hands each connection to a Session; close() stops listening
// and ends open sessions. It never reads commands itself and decides nothing about a login.
import type { MailboxListenerOptions } from '../mailbox-listener.js';
import { handshakeDeadline, limitsFor, startListener } from '../net/listener.js';
import { LoginFlow } from '../net/login.js';
import { serverContext } from '../net/tls.js';
import { prepareJapaneseDecoders } from '../mime/charset.js';
import type { ListArchives } from './list-archives.js';
import { Session, type ServerShared } from './session.js';

export type ImapOptions = MailboxListenerOptions & {
  /** The shared "#lists/" namespace of list archives; without it NAMESPACE has no shared part. */
  archives?: ListArchives;
};

export interface ImapServer {
  port: number;
  close(): Promise<void>;
}

export async function startImap(opts: ImapOptions): Promise<ImapServer> {
  const { config, logger } = opts;
  const shared: ServerShared = {
    store: opts.store,
    config,
    logger,
    login: opts.login ?? LoginFlow.shared(config, opts.directory, logger),
    directory: opts.directory,
    secureContext: opts.certificates ?? serverContext(opts.tls),
    implicitTls: opts.implicitTls,
    sessions: new Set(),
    archives: opts.archives,
  };
  const listener = await startListener({
    protocol: 'imap',
    name: opts.implicitTls ? 'imaps' : 'imap',
    listen: opts.listen,
    implicitTls: opts.implicitTls,
    context: shared.secureContext,
    limits: opts.limits ?? limitsFor(config, 'imap'),
    handshakeMs: handshakeDeadline(config.imap.command_timeout, Math.min(config.imap.idle_timeout, 120_000)),
    logger,
    refusal: (reason) => (reason === 'total' ? '* BYE Too many connections; try again later' : '* BYE Too many connections from your address'),
    onConnection: (socket) => {
      const session = new Session(socket, shared);
      shared.sessions.add(session);
      // run() catches what its commands throw; anything escaping its clean-up ends this session, not the server
      session
        .run()
        .catch((e: Error) => logger.error('imap', 'session-failed', { session: session.id, error: e.message }))
        .finally(() => shared.sessions.delete(session));
    },
  });
  // SEARCH and ENVELOPE decode Japanese text on this thread: its tables are built once now, not in a user's command
  setImmediate(prepareJapaneseDecoders);
  return {
    port: listener.port,
    async close() {
      const closed = listener.close();
      for (const s of shared.sessions) {
        s.send('* BYE Server shutting down');
        s.end();
      }
      await closed;
    },
  };
}
