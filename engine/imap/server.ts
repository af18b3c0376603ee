// The IMAP listener: plain (STARTTLS offered) on `imap`, implicit TLS on `imaps`. Accepts connections and hands
// each to a Session; close() stops listening and ends open sessions. It never reads commands itself.
import net from 'node:net';
import tls from 'node:tls';
import type { LoadedConfig } from '../config/load.js';
import { AuthThrottle } from '../policy/auth-throttle.js';
import { Session, type ServerShared } from './session.js';
import type { MailboxListenerOptions } from '../mailbox-listener.js';

export type ImapOptions = MailboxListenerOptions;

export interface ImapServer {
  port: number;
  close(): Promise<void>;
}

/** One failed-login throttle per loaded config, so the imap and imaps listeners count failures together. */
const throttles = new WeakMap<LoadedConfig, AuthThrottle>();

function sharedThrottle(config: LoadedConfig): AuthThrottle {
  let t = throttles.get(config);
  if (!t) {
    t = AuthThrottle.fromConfig(config.auth);
    throttles.set(config, t);
  }
  return t;
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  if (!m) throw new Error(`bad listen address: ${listen}`);
  return { host: m[1], port: Number(m[2]) };
}

export async function startImap(opts: ImapOptions): Promise<ImapServer> {
  const secureContext = tls.createSecureContext({ key: opts.tls.key, cert: opts.tls.cert, minVersion: 'TLSv1.2' });
  const shared: ServerShared = {
    store: opts.store,
    directory: opts.directory,
    config: opts.config,
    logger: opts.logger,
    throttle: opts.throttle ?? sharedThrottle(opts.config),
    secureContext,
    implicitTls: opts.implicitTls,
    sessions: new Set(),
  };
  const perIp = new Map<string, number>();
  const onSocket = (socket: net.Socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const ip = socket.remoteAddress ?? '';
    const open = perIp.get(ip) ?? 0;
    if (open >= opts.config.imap.max_connections_per_ip) {
      opts.logger.warn('imap', 'too-many-connections', { ip, open });
      socket.end('* BYE Too many connections from your address\r\n');
      return;
    }
    perIp.set(ip, open + 1);
    const session = new Session(socket, shared);
    shared.sessions.add(session);
    session.run().finally(() => {
      shared.sessions.delete(session);
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n > 0) perIp.set(ip, n);
      else perIp.delete(ip);
    });
  };
  const server = opts.implicitTls
    ? tls.createServer({ key: opts.tls.key, cert: opts.tls.cert, minVersion: 'TLSv1.2', handshakeTimeout: 30_000 }, onSocket)
    : net.createServer(onSocket);
  server.on('tlsClientError', () => {});
  server.on('error', (e) => opts.logger.error('imap', 'listener.error', { error: e.message }));
  const { host, port } = splitHostPort(opts.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host || undefined, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as net.AddressInfo).port;
  opts.logger.info('imap', 'listening', { address: host, port: actual, tls: opts.implicitTls });
  return {
    port: actual,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of shared.sessions) {
        s.send('* BYE Server shutting down');
        s.end();
      }
      await closed;
    },
  };
}
