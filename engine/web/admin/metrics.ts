// GET /api/v1/metrics on the admin listener: the same Prometheus text as [listen] metrics, for a system admin
// (session or API token) who can reach only this listener, e.g. a scraper outside the machine over HTTPS.
// It never serves anyone else: the metrics listener itself stays on loopback by default.
import type { FastifyInstance } from 'fastify';
import { apiRoute } from './common.js';
import type { AdminServices } from './services.js';

export function registerMetrics(app: FastifyInstance, svc: AdminServices): void {
  app.get('/api/v1/metrics', { config: apiRoute('system-admin') }, async (_req, reply) => {
    if (!svc.metrics) return reply.code(404).send({ error: 'not-found', message: 'no metrics in this server' });
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(await svc.metrics());
  });
}
