// Puts a web application (app.ts) on an HTTPS listener: the certificate the mail listeners use, TLS 1.2
// at least, HTTP/1.1, bounded handshake, header and request times, and bounded connections (in all and per
// client, counted at accept, before TLS). There is no plain-HTTP listener and no redirect: plain HTTP on the port
// fails the TLS handshake and gets no HTTP answer at all.
import https from 'node:https';
import type { FastifyInstance } from 'fastify';
import { ConnectionLimits, type LimitOptions } from '../net/conn-limits.js';
import { listenAddress } from '../net/host-port.js';
import { refusalLog } from '../net/refusal-log.js';
import { unmapV4 } from '../policy/cidr.js';
import type { CertPair } from '../tls/certificate.js';
import { buildWebApp } from './app.js';
import type { WebDeps, WebKind } from './types.js';

export interface WebServerOptions {
  /** "host:port"; port 0 picks a free port (read it back from the result). */
  listen: string;
  tls: CertPair;
  kind: WebKind;
  deps: WebDeps;
  /** More routes (later rounds' pages). */
  routes?: (app: FastifyInstance) => void | Promise<void>;
  /** The webmail's signed-in shell at / (default on); off when the routes bring the mail pages. */
  shell?: boolean;
  /** [web] max_connections, max_connections_per_ip and [auth] ipv6_prefix; absent: no cap (tests of the app alone). */
  limits?: LimitOptions;
}

export interface RunningWebServer {
  kind: WebKind;
  host: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export const SESSION_SWEEP_MS = 3_600_000;

export async function startWebServer(o: WebServerOptions): Promise<RunningWebServer> {
  const { host, port } = listenAddress(o.listen);
  const app = await buildWebApp({
    kind: o.kind,
    deps: o.deps,
    routes: o.routes,
    shell: o.shell,
    serverFactory: (handler) => {
      const server = https.createServer(
        { key: o.tls.key, cert: o.tls.cert, minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'], handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS },
        handler,
      );
      // slow clients: headers within 20 s, a whole request within 60 s, idle keep-alive 5 s
      server.headersTimeout = 20_000;
      server.requestTimeout = 60_000;
      server.keepAliveTimeout = 5_000;
      server.on('tlsClientError', () => {}); // plain HTTP, scanners, aborted handshakes: the socket is just closed
      // every connection costs a descriptor and ~60 KB of the one process that also runs SMTP and IMAP: one
      // client holding thousands of half-sent requests would starve them all (security review 3)
      if (o.limits) {
        const limits = new ConnectionLimits(o.limits);
        server.on('connection', (socket: import('node:net').Socket) => {
          const ip = unmapV4(socket.remoteAddress ?? '');
          const a = limits.admit(ip);
          if (!a.ok) {
            if (o.deps.logger) refusalLog(o.deps.logger).refused('web', { listener: o.kind, ip, reason: a.reason, open: a.open });
            socket.destroy();
            return;
          }
          socket.once('close', a.release);
        });
      }
      return server;
    },
  });
  try {
    await app.listen({ host, port });
  } catch (e) {
    await app.close();
    throw e;
  }
  const addr = app.server.address();
  const realPort = addr && typeof addr === 'object' ? addr.port : port;
  // expired sessions also go when next presented; the sweep keeps the table from holding abandoned ones
  const sweep = setInterval(() => {
    const failed = (e: unknown) => o.deps.logger?.warn('web', 'web.session-sweep', { error: (e as Error).message });
    try {
      // the shared store (PostgreSQL) answers later; a database away is only logged, as a SQLite error is
      void Promise.resolve(o.deps.sessions.sweep()).catch(failed);
    } catch (e) {
      failed(e);
    }
  }, SESSION_SWEEP_MS);
  sweep.unref();
  return {
    kind: o.kind,
    host,
    port: realPort,
    app,
    close: async () => {
      clearInterval(sweep);
      await app.close();
      await o.deps.audit.close();
    },
  };
}
