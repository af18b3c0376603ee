// A domain's defaults for new accounts (engine/accounts/domain-defaults.ts; the fields of `tegami domain set
// --default-…`): the section of the domain page, its form, and GET|PATCH /api/v1/domains/:domain/defaults.
// Every value is checked before anything is written; a host admin sets them for its own domains only and never
// a quota above its own (the domain's quota is its own limit too when it has none of its own).
import type { FastifyInstance } from 'fastify';
import type { User } from '../../accounts/directory.js';
import type { DomainDefaultSettings } from '../../accounts/domain-defaults.js';
import { html, type SafeHtml } from '../html.js';
import type { View } from '../layout.js';
import { requireRole, type Roles } from '../roles.js';
import type { WebDeps } from '../types.js';
import { apiRoute, errorFor, errorSchema, invalid, lines, me, ok, sendOutcomeError, type FieldError, type Outcome } from './common.js';
import { form, input, select, textarea } from './forms.js';
import { aboveOwnLimits, checkQuotaValue, quotaFromText, quotaText, type QuotaField } from './limits.js';
import type { AdminServices } from './services.js';
import { isAddress } from './users-ops.js';

/** The yes/no defaults; null = not set (the built-in value, named here for the form). */
const SWITCHES = { keepCopy: true, cannotChangePassword: false, disabled: false, webAccess: true } as const;
type Switch = keyof typeof SWITCHES;
const QUOTA_FIELDS: QuotaField[] = ['quotaBytes', 'quotaMessages'];

export type DefaultsPatch = Partial<DomainDefaultSettings>;

export class DefaultsOps {
  constructor(private readonly svc: AdminServices, private readonly roles: Roles) {}

  get(domain: string): DomainDefaultSettings {
    return this.svc.accounts.defaults.get(domain);
  }

  /** Change some defaults of `raw` (a domain or host alias); everything is checked first, nothing half-written. */
  set(caller: User, raw: string, patch: DefaultsPatch): Outcome<DomainDefaultSettings> {
    const domain = this.svc.accounts.localDomain(raw);
    if (!domain) return { ok: false, status: this.roles.isSystemAdmin(caller) ? 404 : 403, errors: [{ field: 'domain', code: this.roles.isSystemAdmin(caller) ? 'not-found' : 'not-your-domain' }] };
    if (!this.roles.canAdminDomain(caller, domain)) return { ok: false, status: 403, errors: [{ field: 'domain', code: 'not-your-domain' }] };
    const p: DefaultsPatch = { ...patch };
    const errors: FieldError[] = [];
    if (p.replyTo !== undefined) {
      p.replyTo = p.replyTo === null || p.replyTo.trim() === '' ? null : p.replyTo.trim().toLowerCase();
      if (p.replyTo !== null && !isAddress(p.replyTo)) errors.push({ field: 'replyTo', code: 'not-address', values: { value: p.replyTo } });
    }
    if (p.forward !== undefined && p.forward !== null) {
      p.forward = [...new Set(p.forward.map((a) => a.trim().toLowerCase()).filter(Boolean))];
      const bad = p.forward.find((a) => !isAddress(a));
      if (bad !== undefined) errors.push({ field: 'forward', code: 'not-address', values: { value: bad } });
      if (p.forward.length > 50) errors.push({ field: 'forward', code: 'too-many', values: { max: 50 } });
      if (!p.forward.length) p.forward = null;
    }
    for (const q of QUOTA_FIELDS) errors.push(...checkQuotaValue(q, p[q]));
    if (errors.length) return invalid(errors);
    const before = this.get(domain);
    const next = { ...before, ...p };
    const changed = QUOTA_FIELDS.filter((q) => p[q] !== undefined && p[q] !== before[q]);
    const above = aboveOwnLimits(caller.quota, this.roles.isSystemAdmin(caller), { bytes: next.quotaBytes, messages: next.quotaMessages }, changed);
    if (above.length) return { ok: false, status: 403, errors: above };
    return ok(this.svc.accounts.defaults.set(domain, p));
  }
}

/** The form's text → a patch of every field (the form always shows them all); quota errors as FieldErrors. */
export function defaultsFromForm(body: Record<string, string>): { patch: DefaultsPatch; errors: FieldError[] } {
  const patch: DefaultsPatch = { replyTo: (body.replyTo ?? '').trim() || null, forward: lines(body.forward) };
  const errors: FieldError[] = [];
  for (const s of Object.keys(SWITCHES) as Switch[]) {
    const v = body[s] ?? '';
    if (v === 'yes' || v === 'no') patch[s] = v === 'yes';
    else if (v === '') patch[s] = null;
    else errors.push({ field: s, code: 'not-yes-no', values: { value: v } });
  }
  for (const q of QUOTA_FIELDS) {
    const r = quotaFromText(q, body[q], 0);
    if ('error' in r) errors.push(r.error);
    else patch[q] = r.value ?? 0;
  }
  return { patch, errors };
}

export const DEFAULTS_FORM_FIELDS = { replyTo: 1000, forward: 20_000, keepCopy: 5, cannotChangePassword: 5, disabled: 5, webAccess: 5, quotaBytes: 40, quotaMessages: 40 };

/** The domain page's section: the defaults in a form (`body`: what was typed, after a refusal). */
export function defaultsSection(v: View, domain: string, d: DomainDefaultSettings, errors?: FieldError[], body?: Record<string, string>): SafeHtml {
  const t = v.t;
  const sw = (s: Switch) => {
    const cur = body ? (body[s] ?? '') : d[s] === null ? '' : d[s] ? 'yes' : 'no';
    return select(v, {
      name: s, label: t(`domains.field.${s}`), value: cur, error: errorFor(errors, s),
      options: [{ value: '', label: t(SWITCHES[s] ? 'domains.default.unsetYes' : 'domains.default.unsetNo') }, { value: 'yes', label: t('domains.default.yes') }, { value: 'no', label: t('domains.default.no') }],
    });
  };
  return html`<section aria-labelledby="defaults-h" id="defaults"><h2 id="defaults-h">${t('domains.defaults')}</h2><p class="hint">${t('domains.defaultsHint')}</p>
    ${form(v, `/domains/${domain}/defaults`, html`
      ${input(v, { name: 'replyTo', label: t('domains.field.replyTo'), value: body?.replyTo ?? d.replyTo ?? '', type: 'email', maxlength: 254, error: errorFor(errors, 'replyTo') })}
      ${textarea(v, { name: 'forward', label: t('domains.field.forward'), value: body?.forward ?? (d.forward ?? []).join('\n'), rows: 2, maxlength: 20_000, hint: t('domains.hint.forward'), error: errorFor(errors, 'forward') })}
      ${(Object.keys(SWITCHES) as Switch[]).map(sw)}
      ${QUOTA_FIELDS.map((q) => input(v, { name: q, label: t(`domains.field.${q}`), value: body?.[q] ?? quotaText(q, d[q]), maxlength: 40, hint: t(`domains.hint.${q}`), error: errorFor(errors, q) }))}`,
      { submit: t('domains.defaultsSave') })}</section>`;
}

const domainGuard = requireRole({ domain: (req) => (req.params as { domain?: string }).domain });
const domainParam = { type: 'object', required: ['domain'], properties: { domain: { type: 'string', minLength: 1, maxLength: 253 } } } as const;
const defaultsSchema = {
  type: 'object',
  properties: {
    replyTo: { type: ['string', 'null'] },
    forward: { type: ['array', 'null'], items: { type: 'string' } },
    keepCopy: { type: ['boolean', 'null'] },
    cannotChangePassword: { type: ['boolean', 'null'] },
    disabled: { type: ['boolean', 'null'] },
    webAccess: { type: ['boolean', 'null'] },
    quotaBytes: { type: 'integer' },
    quotaMessages: { type: 'integer' },
  },
} as const;
const patchSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    replyTo: { type: ['string', 'null'], maxLength: 1000 },
    forward: { type: ['array', 'null'], maxItems: 200, items: { type: 'string', maxLength: 1000 } },
    keepCopy: { type: ['boolean', 'null'] },
    cannotChangePassword: { type: ['boolean', 'null'] },
    disabled: { type: ['boolean', 'null'] },
    webAccess: { type: ['boolean', 'null'] },
    quotaBytes: { type: 'integer', minimum: 0 },
    quotaMessages: { type: 'integer', minimum: 0 },
  },
} as const;

/** GET|PATCH /api/v1/domains/:domain/defaults (null in a field: not set, the built-in value; quota 0: none). */
export function registerDefaultsApi(app: FastifyInstance, deps: WebDeps, ops: DefaultsOps): void {
  app.get<{ Params: { domain: string } }>('/api/v1/domains/:domain/defaults', {
    config: apiRoute(domainGuard),
    schema: { params: domainParam, response: { 200: defaultsSchema, '4xx': errorSchema } },
  }, async (req, reply) => {
    const name = deps.directory.localDomain(req.params.domain);
    if (!name) return sendOutcomeError(req, reply, { ok: false, status: 404, errors: [{ field: 'domain', code: 'not-found' }] });
    return ops.get(name);
  });

  app.patch<{ Params: { domain: string }; Body: DefaultsPatch }>('/api/v1/domains/:domain/defaults', {
    config: apiRoute(domainGuard),
    schema: { params: domainParam, body: patchSchema, response: { 200: defaultsSchema, '4xx': errorSchema } },
  }, async (req, reply) => {
    const r = ops.set(me(req), req.params.domain, req.body);
    req.audit = { action: 'domain.defaults', detail: { domain: req.params.domain, fields: Object.keys(req.body).join(',') } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return r.value;
  });
}
