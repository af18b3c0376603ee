// The admin JSON API under /api/v1/ (the operations the pages use, scriptable with a token): status,
// domains (role-filtered, 403 for a list admin and for a domain outside the caller's rights) and the caller's own API
// tokens. Every route has JSON schemas for its input and output: unknown fields are refused, and only
// the fields declared in the response schema ever leave the server.
import type { FastifyInstance } from 'fastify';
import { domainAdminGuard } from '../admin/common.js';
import { visibleDomains } from '../domains.js';
import { requireRole, type Guard } from '../roles.js';
import { serverStatus } from '../status.js';
import type { WebDeps } from '../types.js';

const api = (guard: Guard) => ({ access: { guard, api: true } });
const anyAdmin = requireRole('any-admin');

const errorSchema = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' }, detail: { type: 'string' }, fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } } } } as const;
const domainSchema = { type: 'object', required: ['name'], properties: { name: { type: 'string' }, aliasOf: { type: 'string' } } } as const;
const tokenSchema = {
  type: 'object',
  properties: { id: { type: 'integer' }, label: { type: 'string' }, created: { type: 'string' }, lastUsed: { type: ['string', 'null'] } },
} as const;
const domainParam = { type: 'object', required: ['domain'], properties: { domain: { type: 'string', minLength: 1, maxLength: 253 } } } as const;
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function registerApiV1(app: FastifyInstance, deps: WebDeps): void {
  app.get('/api/v1/status', {
    config: api(anyAdmin),
    schema: {
      response: {
        200: { type: 'object', properties: { version: { type: 'string' }, startedAt: { type: 'string' }, uptimeSeconds: { type: 'integer' } } },
        '4xx': errorSchema,
      },
    },
  }, async () => serverStatus(deps));

  // like the domain pages: a list admin administers no domain, so it is refused (403), not shown an empty list
  app.get('/api/v1/domains', {
    config: api(domainAdminGuard(deps.directory)),
    schema: { response: { 200: { type: 'object', properties: { domains: { type: 'array', items: domainSchema } } }, '4xx': errorSchema } },
  }, async (req) => ({ domains: visibleDomains(deps.directory, deps.roles, req.caller!.user) }));

  app.get<{ Params: { domain: string } }>('/api/v1/domains/:domain', {
    config: api(requireRole({ domain: (req) => (req.params as { domain?: string }).domain })),
    schema: {
      params: domainParam,
      response: { 200: { type: 'object', properties: { name: { type: 'string' }, aliases: { type: 'array', items: { type: 'string' } } } }, '4xx': errorSchema },
    },
  }, async (req, reply) => {
    const name = deps.directory.localDomain(req.params.domain);
    if (!name) return reply.code(404).send({ error: 'not-found', message: `${req.params.domain} is not a local domain` });
    const aliases = deps.directory.domains().filter((d) => d.aliasOf === name).map((d) => d.name);
    return { name, aliases };
  });

  app.get('/api/v1/tokens', {
    config: api(anyAdmin),
    schema: { response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: tokenSchema } } }, '4xx': errorSchema } },
  }, async (req) => ({
    tokens: deps.tokens.list(req.caller!.user.address).map((t) => ({ id: t.id, label: t.label, created: iso(t.created), lastUsed: iso(t.lastUsed) })),
  }));

  app.post<{ Body: { label?: string } }>('/api/v1/tokens', {
    config: api(anyAdmin),
    schema: {
      body: { type: 'object', additionalProperties: false, properties: { label: { type: 'string', maxLength: 100 } } },
      response: { 201: { type: 'object', properties: { id: { type: 'integer' }, token: { type: 'string' }, label: { type: 'string' } } }, '4xx': errorSchema },
    },
  }, async (req, reply) => {
    const { token, info } = deps.tokens.create(req.caller!.user.address, req.body?.label ?? '');
    req.audit = { action: 'token.create', detail: { token_id: info.id } };
    return reply.code(201).send({ id: info.id, token, label: info.label });
  });

  app.delete<{ Params: { id: number } }>('/api/v1/tokens/:id', {
    config: api(anyAdmin),
    schema: { params: idParam, response: { '4xx': errorSchema } },
  }, async (req, reply) => {
    const ok = deps.tokens.revoke(req.params.id, req.caller!.user.address);
    req.audit = { action: 'token.revoke', detail: { token_id: req.params.id } };
    if (!ok) return reply.code(404).send({ error: 'not-found', message: 'no such token of yours' });
    return reply.code(204).send();
  });
}
