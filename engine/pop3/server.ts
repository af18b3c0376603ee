// The POP3 listeners `pop3` (110, STLS) and `pop3s` (995, implicit TLS): accept connections, bound their
// number, hand each to a Pop3Session, and close them all on shutdown. It decides nothing about a login.
import net from 'node:net';
import tls from 'node:tls';
import { AuthThrottle } from '../policy/auth-throttle.js';
import { Pop3Session } from './session.js';
import type { MailboxListenerOptions } from '../mailbox-listener.js';

export interface Pop3Options extends MailboxListenerOptions {
  /** Loopback clients may use USER/PASS and AUTH PLAIN without TLS (default true). */
  trustLoopback?: boolean;
}

/** Connections at once, in all and per client IP. */
const MAX_CONNECTIONS = 1000;
const MAX_PER_IP = 50;

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`bad listen address: ${listen}`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

export async function startPop3(opts: Pop3Options): Promise<{ port: number; close(): Promise<void> }> {
  const { host, port } = parseListen(opts.listen);
  const secureContext = tls.createSecureContext({ key: opts.tls.key, cert: opts.tls.cert });
  const deps = {
    store: opts.store,
    directory: opts.directory,
    config: opts.config,
    logger: opts.logger,
    throttle: opts.throttle ?? AuthThrottle.fromConfig(opts.config.auth),
    secureContext,
    trustLoopback: opts.trustLoopback ?? true,
  };
  const sessions = new Set<Pop3Session>();
  const perIp = new Map<string, number>();

  const accept = (socket: net.Socket) => {
    const ip = socket.remoteAddress ?? '';
    const n = perIp.get(ip) ?? 0;
    if (sessions.size >= MAX_CONNECTIONS || n >= MAX_PER_IP) {
      opts.logger.warn('pop3', 'connection-refused', { ip, reason: 'too many connections' });
      socket.on('error', () => undefined);
      socket.end('-ERR [SYS/TEMP] Too many connections\r\n');
      return;
    }
    perIp.set(ip, n + 1);
    socket.setNoDelay(true);
    const session = new Pop3Session(socket, deps, opts.implicitTls);
    sessions.add(session);
    socket.once('close', () => {
      sessions.delete(session);
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
    });
    session.start();
  };

  const server: net.Server = opts.implicitTls
    ? tls.createServer({ key: opts.tls.key, cert: opts.tls.cert, handshakeTimeout: 30_000 }, accept)
    : net.createServer(accept);
  server.on('tlsClientError', (e: Error, s: tls.TLSSocket) => {
    opts.logger.debug('pop3', 'tls-handshake-failed', { ip: s?.remoteAddress, error: e.message });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => opts.logger.error('pop3', 'listener-error', { error: e.message }));
  const bound = (server.address() as net.AddressInfo).port;
  opts.logger.info('pop3', 'listening', { address: host, port: bound, tls: opts.implicitTls });
  return {
    port: bound,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) s.shutdown();
      await closed;
    },
  };
}
