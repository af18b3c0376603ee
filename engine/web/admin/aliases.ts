// Aliases (address → one or more targets) of the domains the caller administers: list, add or replace,
// delete — pages and /api/v1/aliases. An alias may only be made in the caller's domains and never over an
// account; targets must be addresses.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../accounts/directory.js';
import { AccountError } from '../../accounts/sqlite-directory.js';
import { visibleDomains } from '../domains.js';
import { html } from '../html.js';
import type { Guard } from '../roles.js';
import type { WebDeps } from '../types.js';
import { apiRoute, domainAdminGuard, errorFor, errorSchema, formBody, invalid, lines, me, notFound, ok, page, pageRoute, query, refuse, sendOutcomeError, type FieldError, type Outcome } from './common.js';
import { buttonForm, errorSummary, form, input, notice, textarea } from './forms.js';
import type { AdminServices } from './services.js';
import { domainOfAddress } from './users-api.js';
import { isAddress } from './users-ops.js';

export class AliasOps {
  constructor(private readonly svc: AdminServices, private readonly deps: WebDeps) {}

  list(caller: User, domain?: string): { address: string; targets: string[] }[] {
    const d = domain ? this.svc.accounts.localDomain(domain) : null;
    return this.svc.accounts
      .listAliases()
      .filter((a) => {
        const ad = domainOfAddress(a.address)!;
        return (!d || ad === d) && this.deps.roles.canAdminDomain(caller, ad);
      })
      .sort((a, b) => a.address.localeCompare(b.address));
  }

  set(caller: User, rawAddress: string, targets: string[]): Outcome<{ address: string; targets: string[] }> {
    const address = rawAddress.trim().toLowerCase();
    const errors: FieldError[] = [];
    if (!isAddress(address)) errors.push({ field: 'address', code: 'not-address', values: { value: rawAddress } });
    const domain = domainOfAddress(address);
    if (!errors.length) {
      const canonical = this.svc.accounts.localDomain(domain!);
      if (!canonical) errors.push({ field: 'address', code: 'not-local-domain', values: { domain: domain! } });
      else if (!this.deps.roles.canAdminDomain(caller, canonical)) return refuse('address', 'not-your-domain');
      else if (this.svc.accounts.user(address)) errors.push({ field: 'address', code: 'is-user', values: { address } });
      else {
        // a list's address (or its -request/-bounces/-owner one) is the list's: said here in the page's language
        const l = this.svc.accounts.lists.resolveLocal(address.slice(0, address.lastIndexOf('@')), canonical);
        if (l) errors.push({ field: 'address', code: l.role === 'post' ? 'is-list' : 'is-list-role', values: { address, list: l.list.address } });
      }
    }
    const t = targets.map((x) => x.trim().toLowerCase()).filter(Boolean);
    if (!t.length) errors.push({ field: 'targets', code: 'required' });
    else if (t.length > 100) errors.push({ field: 'targets', code: 'too-many', values: { max: 100 } });
    const bad = t.find((x) => !isAddress(x));
    if (bad) errors.push({ field: 'targets', code: 'not-address', values: { value: bad } });
    if (t.includes(address)) errors.push({ field: 'targets', code: 'alias-loop' });
    if (errors.length) return invalid(errors);
    try {
      this.svc.accounts.addAlias(address, t);
    } catch (e) {
      if (e instanceof AccountError) return invalid([{ field: 'address', code: 'account-error', values: { reason: e.message } }]);
      throw e;
    }
    return ok({ address, targets: t });
  }

  remove(caller: User, address: string): Outcome<null> {
    const a = address.toLowerCase();
    const d = domainOfAddress(a);
    if (!d || !this.deps.roles.canAdminDomain(caller, d)) return refuse('address', 'not-your-domain');
    if (!this.svc.accounts.listAliases().some((x) => x.address === a)) return notFound('address');
    this.svc.accounts.deleteAlias(a);
    return ok(null);
  }
}

const aliasGuard: Guard = {
  name: 'domain-admin',
  allows: (u, req, roles) => {
    const d = domainOfAddress((req.params as { address?: string }).address);
    return !!d && roles.canAdminDomain(u, d);
  },
};
const domainsGuard: Guard = {
  name: 'aliases-domain',
  allows: (u, req, roles) => {
    const d = (req.query as { domain?: string }).domain;
    return d ? roles.canAdminDomain(u, d) : roles.isSystemAdmin(u) || u.hostAdmin;
  },
};

export function registerAliases(app: FastifyInstance, deps: WebDeps, svc: AdminServices): void {
  const ops = new AliasOps(svc, deps);

  const listPage = (req: FastifyRequest, reply: FastifyReply, domain: string | undefined, o: { errors?: FieldError[]; values?: { address: string; targets: string }; status?: number; done?: string } = {}) => {
    const list = ops.list(me(req), domain);
    const d = domain ?? visibleDomains(deps.directory, deps.roles, me(req)).find((x) => !x.aliasOf)?.name ?? '';
    return page(req, reply, req.t('aliases.title'), (v) => html`<h1>${v.t('aliases.title')}</h1>
      ${notice(o.done === 'saved' ? v.t('aliases.saved') : o.done === 'deleted' ? v.t('aliases.deleted') : null)}${errorSummary(v, o.errors)}
      ${list.length ? html`<table class="aliases"><thead><tr><th scope="col">${v.t('aliases.address')}</th><th scope="col">${v.t('aliases.targets')}</th><th scope="col"><span class="sr">${v.t('aliases.delete')}</span></th></tr></thead>
        <tbody>${list.map((a) => html`<tr data-alias="${a.address}"><td>${a.address}</td><td>${a.targets.join(', ')}</td><td>${buttonForm(v, `/aliases/${encodeURIComponent(a.address)}/delete`, v.t('aliases.delete'), { confirm: v.t('aliases.deleteConfirm', { address: a.address }) })}</td></tr>`)}</tbody></table>`
        : html`<p class="empty">${v.t('aliases.none')}</p>`}
      <section aria-labelledby="add-h"><h2 id="add-h">${v.t('aliases.add')}</h2>
        ${form(v, '/aliases', html`${input(v, { name: 'address', label: v.t('aliases.address'), value: o.values?.address ?? (d ? `@${d}` : ''), required: true, maxlength: 320, error: errorFor(o.errors, 'address') })}
          ${textarea(v, { name: 'targets', label: v.t('aliases.targets'), value: o.values?.targets ?? '', rows: 3, hint: v.t('users.hint.forward'), error: errorFor(o.errors, 'targets') })}`, { submit: v.t('aliases.save') })}</section>`, o.status ?? 200);
  };

  app.get<{ Querystring: { domain?: string; done?: string } }>('/aliases', { config: pageRoute(domainsGuard), schema: { querystring: { type: 'object', properties: { domain: { type: 'string', maxLength: 253 }, done: { type: 'string', maxLength: 20 } } } } }, async (req, reply) =>
    listPage(req, reply, req.query.domain, { done: req.query.done }));

  app.post<{ Body: { address?: string; targets?: string } }>('/aliases', { config: pageRoute(domainAdminGuard(deps.directory)), schema: { body: formBody({ address: 320, targets: 40_000 }) } }, async (req, reply) => {
    const r = ops.set(me(req), req.body.address ?? '', lines(req.body.targets).flatMap((l) => l.split(/[,;\s]+/)));
    req.audit = { action: 'alias.set', detail: { address: req.body.address } };
    if (!r.ok) return listPage(req, reply, undefined, { errors: r.errors, values: { address: req.body.address ?? '', targets: req.body.targets ?? '' }, status: r.status });
    return reply.redirect(`/aliases${query({ domain: domainOfAddress(r.value.address), done: 'saved' })}`, 303);
  });

  app.post<{ Params: { address: string } }>('/aliases/:address/delete', { config: pageRoute(aliasGuard), schema: { body: formBody({}) } }, async (req, reply) => {
    const r = ops.remove(me(req), req.params.address);
    req.audit = { action: 'alias.delete', detail: { address: req.params.address } };
    if (!r.ok) return listPage(req, reply, undefined, { errors: r.errors, status: r.status });
    return reply.redirect(`/aliases${query({ domain: domainOfAddress(req.params.address), done: 'deleted' })}`, 303);
  });

  const aliasSchema = { type: 'object', properties: { address: { type: 'string' }, targets: { type: 'array', items: { type: 'string' } } } };
  app.get<{ Querystring: { domain?: string } }>('/api/v1/aliases', {
    config: apiRoute(domainsGuard),
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { domain: { type: 'string', maxLength: 253 } } }, response: { 200: { type: 'object', properties: { aliases: { type: 'array', items: aliasSchema } } }, '4xx': errorSchema } },
  }, async (req) => ({ aliases: ops.list(me(req), req.query.domain) }));

  app.post<{ Body: { address: string; targets: string[] } }>('/api/v1/aliases', {
    config: apiRoute(domainAdminGuard(deps.directory)),
    schema: { body: { type: 'object', additionalProperties: false, required: ['address', 'targets'], properties: { address: { type: 'string', maxLength: 320 }, targets: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 320 } } } }, response: { 201: aliasSchema, '4xx': errorSchema } },
  }, async (req, reply) => {
    const r = ops.set(me(req), req.body.address, req.body.targets);
    req.audit = { action: 'alias.set', detail: { address: req.body.address } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return reply.code(201).send(r.value);
  });

  app.delete<{ Params: { address: string } }>('/api/v1/aliases/:address', { config: apiRoute(aliasGuard), schema: { response: { '4xx': errorSchema } } }, async (req, reply) => {
    const r = ops.remove(me(req), req.params.address);
    req.audit = { action: 'alias.delete', detail: { address: req.params.address } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return reply.code(204).send();
  });

}
