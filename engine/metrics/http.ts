// The metrics listener ([listen] metrics, plain HTTP, default 127.0.0.1:9425): GET /metrics (Prometheus
// text format), /healthz (the process answers; no I/O) and /readyz (readiness.ts: 200 or 503, with a JSON
// body naming each check). It carries no secrets and accepts nothing but GET and HEAD on these three paths.
// Its connections are capped as the web listeners' are ([web] max_connections, max_connections_per_ip).
import http from 'node:http';
import type { Logger } from '../log/logger.js';
import { ConnectionLimits, type LimitOptions } from '../net/conn-limits.js';
import { refusalLog } from '../net/refusal-log.js';
import { unmapV4 } from '../policy/cidr.js';
import type { Metrics } from './metrics.js';
import type { Readiness } from './readiness.js';

export interface MetricsListener {
  name: 'metrics';
  host: string;
  port: number;
  listening(): boolean;
  close(): Promise<void>;
}

export interface MetricsHttpDeps {
  metrics: Metrics;
  ready: () => Promise<Readiness>;
  logger: Logger;
  /** The web listeners' caps (engine/web/limits.ts webLimits); absent: no cap. */
  limits?: LimitOptions;
}

function send(res: http.ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}

export async function startMetricsListener(host: string, port: number, deps: MetricsHttpDeps): Promise<MetricsListener> {
  let lastReady: boolean | null = null;
  const server = http.createServer((req, res) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
    }
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n', head);
    if (url === '/metrics') {
      deps.metrics
        .text()
        .then((text) => send(res, 200, deps.metrics.registry.contentType, text, head))
        .catch((e: Error) => send(res, 500, 'text/plain; charset=utf-8', `metrics failed: ${e.message}\n`, head));
      return;
    }
    if (url === '/readyz') {
      deps
        .ready()
        .then((r) => {
          if (r.ok !== lastReady) {
            if (r.ok) deps.logger.emit('system.ready', {});
            else deps.logger.emit('system.not-ready', { failed: Object.keys(r.checks).filter((k) => !r.checks[k].ok) });
            lastReady = r.ok;
          }
          send(res, r.ok ? 200 : 503, 'application/json', JSON.stringify({ status: r.ok ? 'ready' : 'not ready', checks: r.checks }) + '\n', head);
        })
        .catch((e: Error) => send(res, 503, 'application/json', JSON.stringify({ status: 'not ready', error: e.message }) + '\n', head));
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz or /readyz\n', head);
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.maxHeadersCount = 50;
  server.on('clientError', (_e, socket) => socket.destroy());
  // each open connection costs the process that runs SMTP and IMAP a descriptor: one client holding
  // thousands of half-sent scrapes would starve them, loopback or not (security review 3, follow-up)
  if (deps.limits) {
    const limits = new ConnectionLimits(deps.limits);
    server.on('connection', (socket) => {
      const ip = unmapV4(socket.remoteAddress ?? '');
      const a = limits.admit(ip);
      if (!a.ok) {
        refusalLog(deps.logger).refused('web', { listener: 'metrics', ip, reason: a.reason, open: a.open });
        socket.destroy();
        return;
      }
      socket.once('close', a.release);
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => deps.logger.emit('system.listener-error', { listener: 'metrics', error: e.message }));
  const addr = server.address();
  return {
    name: 'metrics',
    host,
    port: typeof addr === 'object' && addr ? addr.port : port,
    listening: () => server.listening,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
