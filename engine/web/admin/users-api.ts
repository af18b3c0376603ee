// /api/v1/users: list (one domain, or every domain for a system admin; 403 for a domain outside the caller's
// rights, never a filtered 200), add, read, change, set a password, delete, import CSV (preview, all or good
// lines only) and export CSV. The pages call the same UserOps, so the rules are the same on both.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../accounts/directory.js';
import type { Guard } from '../roles.js';
import type { WebDeps } from '../types.js';
import { apiRoute, domainAdminGuard, errorSchema, fieldMessage, me, pageOf, sendOutcomeError } from './common.js';
import type { AdminServices } from './services.js';
import { accountUsage } from './usage.js';
import { csvHeader, csvRow, previewImport, runImport, type ImportLine } from './users-csv.js';
import { FLAG_FIELDS, type UserFields, type UserOps } from './users-ops.js';
import type { UserQuery } from './user-query.js';

/** An account as the API shows it; `quotaBytes`/`quotaMessages` are its own override (null: the domain's). */
export const userJson = (u: User, own?: { bytes: number | null; messages: number | null }) => ({
  address: u.address,
  fullName: u.fullName,
  replyTo: u.replyTo,
  forward: u.forward,
  keepCopy: u.keepCopy,
  disabled: u.disabled,
  cannotChangePassword: u.cannotChangePassword,
  webAccess: u.webAccess,
  hostAdmin: u.hostAdmin,
  listAdmin: u.listAdmin,
  systemAdmin: u.systemAdmin,
  hostAdminOf: u.hostAdminOf,
  listAdminOf: u.listAdminOf,
  quota: u.quota,
  quotaBytes: own?.bytes ?? null,
  quotaMessages: own?.messages ?? null,
});

const userSchema = {
  type: 'object',
  properties: {
    address: { type: 'string' },
    fullName: { type: 'string' },
    replyTo: { type: 'string' },
    forward: { type: 'array', items: { type: 'string' } },
    ...Object.fromEntries(FLAG_FIELDS.map((f) => [f, { type: 'boolean' }])),
    hostAdminOf: { type: 'array', items: { type: 'string' } },
    listAdminOf: { type: 'array', items: { type: 'string' } },
    quota: { type: 'object', properties: { bytes: { type: 'integer' }, messages: { type: 'integer' } } },
    quotaBytes: { type: ['integer', 'null'] },
    quotaMessages: { type: ['integer', 'null'] },
  },
} as const;

/** One account's API view with its mailbox usage (GET /api/v1/users/:address only: a list would read every mailbox). */
const userWithUsageSchema = {
  ...userSchema,
  properties: {
    ...userSchema.properties,
    usage: { type: ['object', 'null'], properties: { messages: { type: 'integer' }, bytes: { type: 'integer' } } },
  },
} as const;

const fieldProps = {
  fullName: { type: 'string', maxLength: 1000 },
  replyTo: { type: 'string', maxLength: 1000 },
  forward: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 1000 } },
  ...Object.fromEntries(FLAG_FIELDS.map((f) => [f, { type: 'boolean' }])),
  hostAdminOf: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 320 } },
  listAdminOf: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 320 } },
  quotaBytes: { type: ['integer', 'null'], minimum: 0 },
  quotaMessages: { type: ['integer', 'null'], minimum: 0 },
};

const addressParam = { type: 'object', required: ['address'], properties: { address: { type: 'string', minLength: 3, maxLength: 320 } } } as const;

export const domainOfAddress = (a: string | undefined): string | undefined => {
  const at = a?.lastIndexOf('@') ?? -1;
  return a && at > 0 ? a.slice(at + 1).toLowerCase() : undefined;
};

/** GET /users?domain=D: D must be the caller's; without D, only a system admin lists every domain. */
export const usersListGuard: Guard = {
  name: 'users-domain',
  allows: (u, req, roles) => {
    const d = (req.query as { domain?: string }).domain;
    return d ? roles.canAdminDomain(u, d) : roles.isSystemAdmin(u);
  },
};

export const addressGuard: Guard = {
  name: 'domain-admin',
  allows: (u, req, roles) => {
    const d = domainOfAddress((req.params as { address?: string }).address);
    return !!d && roles.canAdminDomain(u, d);
  },
};

/** The domains a users listing covers: the one asked for (canonical), or every one (system admin). */
export function listDomains(deps: WebDeps, req: FastifyRequest): string[] {
  const d = (req.query as { domain?: string }).domain;
  if (!d) return [];
  return [deps.directory.localDomain(d) ?? d.toLowerCase()];
}

const importLineJson = (req: FastifyRequest, l: ImportLine) => ({
  line: l.line,
  address: l.address,
  errors: l.errors.map((e) => ({ field: e.field, code: e.code, message: fieldMessage(req.t, e) })),
});

export function registerUsersApi(app: FastifyInstance, deps: WebDeps, svc: AdminServices, ops: UserOps, query: UserQuery): void {
  app.get<{ Querystring: { domain?: string; q?: string; page?: number; per_page?: number } }>('/api/v1/users', {
    config: apiRoute(usersListGuard),
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { domain: { type: 'string', maxLength: 253 }, q: { type: 'string', maxLength: 200 }, page: { type: 'integer', minimum: 1 }, per_page: { type: 'integer', minimum: 1, maximum: 500 } },
      },
      response: {
        200: { type: 'object', properties: { users: { type: 'array', items: userSchema }, total: { type: 'integer' }, page: { type: 'integer' }, pages: { type: 'integer' } } },
        '4xx': errorSchema,
      },
    },
  }, async (req) => {
    const domains = listDomains(deps, req);
    const search = (req.query.q ?? '').trim();
    const size = req.query.per_page ?? 50;
    const total = query.count({ domains, search });
    const p = pageOf(req.query.page, size, total);
    const users = query.page({ domains, search, offset: p.offset, limit: size }).map((a) => svc.accounts.user(a)).filter((u): u is User => !!u);
    return { users: users.map((u) => userJson(u, svc.accounts.quotaOverride(u.address))), total, page: p.page, pages: p.pages };
  });

  app.post<{ Body: { address: string; password: string } & UserFields }>('/api/v1/users', {
    config: apiRoute(domainAdminGuard(deps.directory)),
    schema: {
      body: { type: 'object', additionalProperties: false, required: ['address', 'password'], properties: { address: { type: 'string', maxLength: 320 }, password: { type: 'string', maxLength: 1024 }, ...fieldProps } },
      response: { 201: userSchema, '4xx': errorSchema },
    },
  }, async (req, reply) => {
    const r = await ops.add(me(req), req.body);
    req.audit = { action: 'user.add', detail: { address: req.body.address } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return reply.code(201).send(userJson(r.value, svc.accounts.quotaOverride(r.value.address)));
  });

  app.get<{ Params: { address: string } }>('/api/v1/users/:address', {
    config: apiRoute(addressGuard),
    schema: { params: addressParam, response: { 200: userWithUsageSchema, '4xx': errorSchema } },
  }, async (req, reply) => {
    const u = svc.accounts.user(req.params.address);
    if (!u) return reply.code(404).send({ error: 'not-found', message: req.t('field.not-found') });
    const usage = await accountUsage(svc, u.address, svc.accounts.quotaOf(u.address));
    return { ...userJson(u, svc.accounts.quotaOverride(u.address)), usage: usage && { messages: usage.messages, bytes: usage.bytes } };
  });

  app.patch<{ Params: { address: string }; Body: UserFields }>('/api/v1/users/:address', {
    config: apiRoute(addressGuard),
    schema: { params: addressParam, body: { type: 'object', additionalProperties: false, minProperties: 1, properties: fieldProps }, response: { 200: userSchema, '4xx': errorSchema } },
  }, async (req, reply) => {
    const r = await ops.update(me(req), req.params.address, req.body);
    req.audit = { action: 'user.update', detail: { address: req.params.address, fields: Object.keys(req.body).join(',') } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return userJson(r.value, svc.accounts.quotaOverride(r.value.address));
  });

  app.post<{ Params: { address: string }; Body: { password: string } }>('/api/v1/users/:address/password', {
    config: apiRoute(addressGuard),
    schema: { params: addressParam, body: { type: 'object', additionalProperties: false, required: ['password'], properties: { password: { type: 'string', maxLength: 1024 } } }, response: { '4xx': errorSchema } },
  }, async (req, reply) => {
    const r = await ops.setPassword(me(req), req.params.address, req.body.password);
    req.audit = { action: 'user.password', detail: { address: req.params.address } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return reply.code(204).send();
  });

  app.delete<{ Params: { address: string } }>('/api/v1/users/:address', {
    config: apiRoute(addressGuard),
    schema: { params: addressParam, response: { 200: { type: 'object', properties: { orphan: { type: ['string', 'null'] } } }, '4xx': errorSchema } },
  }, async (req, reply) => {
    const r = await ops.delete(me(req), req.params.address);
    req.audit = { action: 'user.delete', detail: { address: req.params.address, orphan: r.ok ? (r.value.orphan ?? '') : undefined } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return { orphan: r.value.orphan };
  });

  app.post<{ Body: { csv: string; mode?: 'preview' | 'all' | 'good-only' } }>('/api/v1/users/import', {
    config: apiRoute(domainAdminGuard(deps.directory)),
    bodyLimit: deps.uploadLimit ?? 4 * 1024 * 1024,
    schema: {
      body: { type: 'object', additionalProperties: false, required: ['csv'], properties: { csv: { type: 'string' }, mode: { type: 'string', enum: ['preview', 'all', 'good-only'] } } },
    },
  }, async (req, reply) => {
    const mode = req.body.mode ?? 'preview';
    const caller = me(req);
    if (mode === 'preview') {
      const p = previewImport(req.body.csv, caller, ops);
      if (p.fileError) return reply.code(400).send({ error: 'invalid', message: fieldMessage(req.t, p.fileError), fields: [{ ...p.fileError, message: fieldMessage(req.t, p.fileError) }] });
      return { good: p.good, bad: p.bad, lines: p.lines.filter((l) => l.errors.length).map((l) => importLineJson(req, l)) };
    }
    const r = await runImport(req.body.csv, caller, ops, mode === 'good-only');
    req.audit = { action: 'user.import', detail: { mode, created: r.ok ? r.created.length : 0 } };
    if (!r.ok) {
      const fe = r.preview.fileError;
      const bad = r.failed ? [r.failed] : r.preview.lines.filter((l) => l.errors.length);
      const status = bad.some((l) => l.errors.some((e) => e.code === 'not-your-domain' || e.code === 'cannot-grant')) ? 403 : r.reason === 'failed' ? 409 : 400;
      return reply.code(status).send({
        error: status === 403 ? 'forbidden' : 'invalid',
        message: fe ? fieldMessage(req.t, fe) : req.t('users.import.nothing', { count: bad.length }),
        created: 0,
        lines: bad.map((l) => importLineJson(req, l)),
      });
    }
    return { created: r.created.length, addresses: r.created, skipped: r.skipped.map((l) => importLineJson(req, l)) };
  });

  app.get<{ Querystring: { domain?: string } }>('/api/v1/users/export', {
    config: apiRoute(usersListGuard),
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { domain: { type: 'string', maxLength: 253 } } } },
  }, async (req, reply) => sendExport(reply, svc, query, listDomains(deps, req)));
}

/** The CSV export, streamed a batch of users at a time. */
export function sendExport(reply: FastifyReply, svc: AdminServices, query: UserQuery, domains: string[]) {
  async function* body(): AsyncGenerator<string> {
    yield '\uFEFF' + csvHeader();
    for (const batch of query.all(domains)) {
      let chunk = '';
      for (const a of batch) {
        const u = svc.accounts.user(a);
        if (u) chunk += csvRow(u, svc.accounts.quotaOverride(a) ?? { bytes: null, messages: null });
      }
      yield chunk;
    }
  }
  const name = domains.length === 1 ? `users-${domains[0]}.csv` : 'users.csv';
  reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name.replace(/[^a-z0-9.@_-]/gi, '_')}"`);
  return reply.send(Readable.from(body()));
}
