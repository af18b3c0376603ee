// An account's sending limits in the admin: the page /users/:address/send-limit (what it sent in the last hour
// and 24 hours against each cap, where each cap comes from, a form for its own override) and the JSON API
// GET|PUT /api/v1/users/:address/send-limit and /api/v1/domains/:domain/send-limit (a domain's default). The same
// rule as quotas: a domain admin never raises its own limits, nor sets one above its own (0, no limit, is above
// every limit). The counts and overrides are the SendLedger the SMTP and JMAP sessions use.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../accounts/directory.js';
import { html } from '../html.js';
import { formatNumber } from '../i18n.js';
import { sendDenied } from '../errors.js';
import { requireRole } from '../roles.js';
import type { WebDeps } from '../types.js';
import { apiRoute, errorFor, errorSchema, formBody, me, page, pageRoute, sendOutcomeError, type FieldError, type Outcome } from './common.js';
import { errorSummary, form, input, notice } from './forms.js';
import type { AdminServices } from './services.js';
import { addressGuard } from './users-api.js';
import { SqliteSendLedger } from '../../submission/send-ledger.js';
import { configLimits, LIMIT_NAMES, limitsFor, NO_OVERRIDE, usageFigures, type LimitName, type LimitOverride, type SendLedger, type SendLimits } from '../../submission/send-limit.js';

const addressParam = { type: 'object', required: ['address'], properties: { address: { type: 'string', minLength: 3, maxLength: 320 } } } as const;
const domainParam = { type: 'object', required: ['domain'], properties: { domain: { type: 'string', minLength: 1, maxLength: 253 } } } as const;
const numbers = (nullable: boolean) => Object.fromEntries(LIMIT_NAMES.map((k) => [k, { type: nullable ? ['integer', 'null'] : 'integer' }]));
const patchSchema = { type: 'object', additionalProperties: false, minProperties: 1, properties: Object.fromEntries(LIMIT_NAMES.map((k) => [k, { type: ['integer', 'null'], minimum: 0, maximum: 999_999_999 }])) } as const;
const accountSchema = {
  type: 'object',
  properties: {
    address: { type: 'string' },
    override: { type: 'object', properties: numbers(true) },
    limits: { type: 'object', properties: numbers(false) },
    usage: { type: 'object', properties: Object.fromEntries(['messagesHour', 'messagesDay', 'recipientsHour', 'recipientsDay'].map((k) => [k, { type: 'integer' }])) },
  },
} as const;
const domainSchema = { type: 'object', properties: { domain: { type: 'string' }, override: accountSchema.properties.override, limits: accountSchema.properties.limits } } as const;
const domainGuard = requireRole({ domain: (req) => (req.params as { domain?: string }).domain });

export function registerSendLimits(app: FastifyInstance, deps: WebDeps, svc: AdminServices): void {
  const ledger: SendLedger = svc.sendLedger ?? new SqliteSendLedger(svc.db);
  const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1);

  const view = async (address: string) => ({
    address,
    override: await ledger.override(address),
    limits: await limitsFor(ledger, svc.config, address),
    usage: await ledger.usage(address, Date.now()),
  });

  /** Who may set what: nobody but a system admin changes its own; a domain admin stays within its own limits. */
  const change = async (caller: User, key: string, patch: Partial<LimitOverride>, isOwn: boolean): Promise<Outcome<LimitOverride>> => {
    const sys = deps.roles.isSystemAdmin(caller);
    if (!sys && isOwn) return { ok: false, status: 403, errors: [{ field: 'address', code: 'forbidden' }] };
    const next = { ...(await ledger.override(key)), ...patch };
    if (!sys) {
      const mine = await limitsFor(ledger, svc.config, caller.address);
      const dom = key.startsWith('@') ? NO_OVERRIDE : await ledger.override(`@${domainOf(key)}`);
      const cfg = configLimits(svc.config);
      const wanted = Object.fromEntries(LIMIT_NAMES.map((k) => [k, next[k] ?? dom[k] ?? cfg[k]])) as unknown as SendLimits;
      const errors: FieldError[] = Object.keys(patch)
        .map((k) => k as LimitName)
        .filter((k) => mine[k] > 0 && (wanted[k] === 0 || wanted[k] > mine[k]))
        .map((k) => ({ field: k, code: 'above-own-quota', values: { max: String(mine[k]) } }));
      if (errors.length) return { ok: false, status: 403, errors };
    }
    await ledger.setOverride(key, next);
    return { ok: true, value: next };
  };

  const limitPage = async (req: FastifyRequest, reply: FastifyReply, target: User, o: { errors?: FieldError[]; body?: Record<string, string>; status?: number; done?: boolean } = {}) => {
    const v0 = await view(target.address);
    const dom = await ledger.override(`@${target.domain}`);
    const base = configLimits(svc.config);
    const used = usageFigures(v0.usage, v0.limits);
    return page(req, reply, req.t('sendLimit.title', { address: target.address }), (v) => html`<h1>${v.t('sendLimit.title', { address: target.address })}</h1>
      ${notice(o.done ? v.t('sendLimit.saved') : null)}${errorSummary(v, o.errors)}
      <p><a href="/users/${encodeURIComponent(target.address)}">${v.t('sendLimit.back')}</a></p>
      <p>${v.t('sendLimit.intro')}</p>
      <table id="send-usage"><thead><tr><th scope="col">${v.t('sendLimit.limit')}</th><th scope="col">${v.t('sendLimit.used')}</th><th scope="col">${v.t('sendLimit.max')}</th><th scope="col">${v.t('sendLimit.from')}</th></tr></thead>
        <tbody>${used.map((f) => html`<tr data-limit="${f.limit}" data-used="${String(f.used)}" data-max="${String(f.max)}"><th scope="row">${v.t(`sendLimit.name.${f.limit}`)}</th><td>${formatNumber(f.used, v.locale)}</td><td>${f.max ? formatNumber(f.max, v.locale) : v.t('sendLimit.none')}</td>
          <td>${v.t(v0.override[f.limit] !== null ? 'sendLimit.fromUser' : dom[f.limit] !== null ? 'sendLimit.fromDomain' : 'sendLimit.fromConfig', { domain: target.domain })}</td></tr>`)}</tbody></table>
      <h2>${v.t('sendLimit.override')}</h2>
      ${form(v, `/users/${encodeURIComponent(target.address)}/send-limit`, html`${LIMIT_NAMES.map((k) => input(v, {
        name: k, label: v.t(`sendLimit.name.${k}`), value: o.body?.[k] ?? (v0.override[k] === null ? '' : String(v0.override[k])), maxlength: 12, error: errorFor(o.errors, k),
        hint: v.t('sendLimit.hint', { value: (dom[k] ?? base[k]) ? formatNumber(dom[k] ?? base[k], v.locale) : v.t('sendLimit.none') }),
      }))}`, { submit: v.t('form.save') })}`, o.status ?? 200);
  };

  const found = (req: FastifyRequest<{ Params: { address: string } }>, reply: FastifyReply): User | null => {
    const u = svc.accounts.user(req.params.address);
    if (!u) void sendOutcomeError(req, reply, { ok: false, status: 404, errors: [{ field: 'address', code: 'not-found' }] });
    return u ?? null;
  };

  app.get<{ Params: { address: string }; Querystring: { done?: string } }>('/users/:address/send-limit', { config: pageRoute(addressGuard), schema: { params: addressParam } }, async (req, reply) => {
    const u = found(req, reply);
    return u ? limitPage(req, reply, u, { done: req.query.done === 'saved' }) : reply;
  });

  app.post<{ Params: { address: string }; Body: Record<string, string> }>('/users/:address/send-limit', {
    config: pageRoute(addressGuard),
    schema: { params: addressParam, body: formBody(Object.fromEntries(LIMIT_NAMES.map((k) => [k, 12]))) },
  }, async (req, reply) => {
    const target = found(req, reply);
    if (!target) return reply;
    req.audit = { action: 'user.send-limit', detail: { address: target.address } };
    const patch: Partial<LimitOverride> = {};
    const errors: FieldError[] = [];
    for (const k of LIMIT_NAMES) {
      const t = (req.body[k] ?? '').trim();
      if (t === '') patch[k] = null;
      else if (/^\d{1,9}$/.test(t)) patch[k] = Number(t);
      else errors.push({ field: k, code: 'not-count', values: { value: t } });
    }
    if (errors.length) return limitPage(req, reply, target, { errors, body: req.body, status: 400 });
    const r = await change(me(req), target.address, patch, target.address === me(req).address);
    if (!r.ok) {
      const reason = r.errors.map((e) => e.code).join(',');
      if (r.errors.every((e) => e.code === 'above-own-quota')) {
        req.audit = { ...req.audit, result: 'denied', detail: { ...req.audit.detail, reason } };
        return limitPage(req, reply, target, { errors: r.errors, body: req.body, status: 403 });
      }
      return sendDenied(req, reply, 'admin', 403, req.routeOptions.config.access, reason);
    }
    return reply.redirect(`/users/${encodeURIComponent(target.address)}/send-limit?done=saved`, 303);
  });

  app.get<{ Params: { address: string } }>('/api/v1/users/:address/send-limit', {
    config: apiRoute(addressGuard),
    schema: { params: addressParam, response: { 200: accountSchema, '4xx': errorSchema } },
  }, async (req, reply) => {
    const u = found(req, reply);
    return u ? view(u.address) : reply;
  });

  app.put<{ Params: { address: string }; Body: Partial<LimitOverride> }>('/api/v1/users/:address/send-limit', {
    config: apiRoute(addressGuard),
    schema: { params: addressParam, body: patchSchema, response: { 200: accountSchema, '4xx': errorSchema } },
  }, async (req, reply) => {
    const u = found(req, reply);
    if (!u) return reply;
    req.audit = { action: 'user.send-limit', detail: { address: u.address, fields: Object.keys(req.body).join(',') } };
    const r = await change(me(req), u.address, req.body, u.address === me(req).address);
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return view(u.address);
  });

  const domainView = async (domain: string) => {
    const override = await ledger.override(`@${domain}`);
    const base = configLimits(svc.config);
    return { domain, override, limits: Object.fromEntries(LIMIT_NAMES.map((k) => [k, override[k] ?? base[k]])) };
  };

  app.get<{ Params: { domain: string } }>('/api/v1/domains/:domain/send-limit', {
    config: apiRoute(domainGuard),
    schema: { params: domainParam, response: { 200: domainSchema, '4xx': errorSchema } },
  }, async (req, reply) => {
    const name = deps.directory.localDomain(req.params.domain);
    if (!name) return sendOutcomeError(req, reply, { ok: false, status: 404, errors: [{ field: 'domain', code: 'not-found' }] });
    return domainView(name);
  });

  app.put<{ Params: { domain: string }; Body: Partial<LimitOverride> }>('/api/v1/domains/:domain/send-limit', {
    config: apiRoute(domainGuard),
    schema: { params: domainParam, body: patchSchema, response: { 200: domainSchema, '4xx': errorSchema } },
  }, async (req, reply) => {
    const name = deps.directory.localDomain(req.params.domain);
    if (!name) return sendOutcomeError(req, reply, { ok: false, status: 404, errors: [{ field: 'domain', code: 'not-found' }] });
    req.audit = { action: 'domain.send-limit', detail: { domain: name, fields: Object.keys(req.body).join(',') } };
    const r = await change(me(req), `@${name}`, req.body, false);
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return domainView(name);
  });
}
