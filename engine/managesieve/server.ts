// The ManageSieve listener (RFC 5804, port 4190; STARTTLS, no implicit TLS port) on the shared listener
// (connection caps, TLS floor, handshake deadlines): hands each connection to a Session and ends them all at
// shutdown. It decides nothing about a login (engine/net/login.ts does) nor about a script (engine/rules).
import type { AccountDirectory } from '../accounts/directory.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { ConnectionLimits } from '../net/conn-limits.js';
import { handshakeDeadline, limitsFor, startListener } from '../net/listener.js';
import { LoginFlow } from '../net/login.js';
import { serverContext } from '../net/tls.js';
import type { RulesStore } from '../rules/store.js';
import { formatResponse } from './command.js';
import { Session, type SessionShared } from './session.js';

export interface ManageSieveOptions {
  listen: string;
  tls: { key: Buffer; cert: Buffer };
  directory: AccountDirectory;
  store: RulesStore;
  config: LoadedConfig;
  logger: Logger;
  login?: LoginFlow;
  limits?: ConnectionLimits;
}

export async function startManageSieve(o: ManageSieveOptions): Promise<{ port: number; close(): Promise<void> }> {
  const { config, logger } = o;
  const shared: SessionShared = {
    config,
    logger,
    login: o.login ?? LoginFlow.shared(config, o.directory, logger),
    directory: o.directory,
    store: o.store,
    secureContext: serverContext(o.tls),
    sessions: new Set(),
  };
  const c = config.managesieve;
  const listener = await startListener({
    protocol: 'managesieve',
    name: 'managesieve',
    listen: o.listen,
    implicitTls: false,
    context: shared.secureContext,
    limits: o.limits ?? limitsFor(config, 'managesieve'),
    handshakeMs: handshakeDeadline(c.command_timeout, c.idle_timeout),
    logger,
    refusal: (reason) => formatResponse({ status: 'BYE', code: 'TRYLATER', text: reason === 'total' ? 'Too many connections' : 'Too many connections from your address' }).trimEnd(),
    onConnection: (socket) => {
      const session = new Session(socket, shared);
      shared.sessions.add(session);
      session
        .run()
        .catch((e: Error) => logger.error('managesieve', 'session-failed', { error: e.message }))
        .finally(() => shared.sessions.delete(session));
    },
  });
  return {
    port: listener.port,
    async close() {
      const closed = listener.close();
      for (const s of shared.sessions) s.bye('Server shutting down', 'TRYLATER');
      await closed;
    },
  };
}
