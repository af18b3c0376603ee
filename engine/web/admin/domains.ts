// The domains pages and API: the list (what the caller administers), add and remove (system admin), and a
// domain's page: its host aliases and per-IP bindings (from [domains] in the TOML file, shown read-only), the
// DKIM key (generate one, see the record to publish), and the records the domain needs with what DNS
// answers now, and its defaults for new accounts (domain-defaults.ts). A host admin sees its own domain's page
// and sets its defaults; adding, removing and keys are the system admin's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccountError, asciiDomain } from '../../accounts/sqlite-directory.js';
import { txtRecord } from '../../outbound/dkim.js';
import { dkimKeysFor } from '../../outbound/dkim-keys.js';
import { visibleDomains } from '../domains.js';
import { html, type SafeHtml } from '../html.js';
import type { View } from '../layout.js';
import { requireRole } from '../roles.js';
import type { WebDeps } from '../types.js';
import { apiRoute, domainAdminGuard, errorFor, errorSchema, formBody, invalid, me, ok, page, pageRoute, query, sendOutcomeError, type FieldError, type Outcome } from './common.js';
import { checkRecords, generateDkim, neededRecords, type RecordCheck } from './dns-records.js';
import { buttonForm, errorSummary, form, input, notice } from './forms.js';
import { DEFAULTS_FORM_FIELDS, DefaultsOps, defaultsFromForm, defaultsSection, registerDefaultsApi } from './domain-defaults.js';
import type { AdminServices } from './services.js';

const DOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const domainGuard = requireRole({ domain: (req) => (req.params as { domain?: string }).domain });
const domainParam = { type: 'object', required: ['domain'], properties: { domain: { type: 'string', minLength: 1, maxLength: 253 } } } as const;

export class DomainOps {
  constructor(private readonly svc: AdminServices) {}

  /** The server's host name standing for the primary domain by itself (no [domains] aliases entry names it). */
  isHostname(d: string): boolean {
    return d === this.svc.config.hostname.toLowerCase() && !Object.keys(this.svc.config.domains.aliases).some((a) => a.toLowerCase() === d);
  }

  /** A domain named in [domains] local of the TOML file: the file owns it. */
  fromToml(d: string): boolean {
    return this.svc.config.domains.local.map((x) => x.toLowerCase()).includes(d);
  }

  add(raw: string): Outcome<string> {
    const d = raw.trim().toLowerCase().replace(/\.$/, '');
    if (!DOMAIN.test(d) || d.length > 253) {
      const ascii = asciiDomain(d);
      return invalid([ascii ? { field: 'domain', code: 'not-domain-idn', values: { value: raw, ascii } } : { field: 'domain', code: 'not-domain', values: { value: raw } }]);
    }
    if (this.svc.accounts.localDomain(d)) return { ok: false, status: 409, errors: [{ field: 'domain', code: 'domain-exists', values: { domain: d } }] };
    try {
      this.svc.accounts.addDomain(d);
    } catch (e) {
      if (e instanceof AccountError) return invalid([{ field: 'domain', code: 'account-error', values: { reason: e.message } }]);
      throw e;
    }
    return ok(d);
  }

  remove(d: string): Outcome<null> {
    const name = d.toLowerCase();
    if (this.fromToml(name)) return { ok: false, status: 409, errors: [{ field: 'domain', code: 'domain-in-toml', values: { domain: name } }] };
    if (!this.svc.accounts.domains().some((x) => x.name === name && !x.aliasOf)) return { ok: false, status: 404, errors: [{ field: 'domain', code: 'not-found' }] };
    const users = this.svc.accounts.listUsers(name).length;
    if (users) return { ok: false, status: 409, errors: [{ field: 'domain', code: 'domain-has-users', values: { domain: name, count: users } }] };
    this.svc.accounts.deleteDomain(name);
    return ok(null);
  }

  async dkim(domain: string, selector: string): Promise<Outcome<{ selector: string; name: string; value: string }>> {
    const r = await generateDkim(this.svc.dataDir, domain, selector.trim().toLowerCase(), this.svc.config.storage.backend === 'postgres' ? this.svc.db : null);
    if (!r.ok) return invalid([{ field: 'selector', code: `dkim-${r.reason}`, values: { selector } }]);
    return ok({ selector: r.selector, ...r.record });
  }
}

function recordsTable(v: View, rows: RecordCheck[]): SafeHtml {
  return html`<table class="dns"><thead><tr><th scope="col">${v.t('domains.dns.kind')}</th><th scope="col">${v.t('domains.dns.name')}</th><th scope="col">${v.t('domains.dns.publish')}</th><th scope="col">${v.t('domains.dns.now')}</th><th scope="col">${v.t('domains.dns.state')}</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr data-kind="${r.kind}" data-state="${r.state}"><th scope="row">${r.kind}</th><td><code>${r.name}</code> ${r.type}</td><td><code class="wrap">${r.value}</code></td>
      <td>${r.found.length ? html`<ul class="plain">${r.found.map((f) => html`<li><code class="wrap">${f}</code></li>`)}</ul>` : '—'}</td><td><span class="badge ${r.state}">${v.t(`domains.dns.${r.state}`)}</span></td></tr>`)}</tbody></table>`;
}

export function registerDomains(app: FastifyInstance, deps: WebDeps, svc: AdminServices): void {
  const ops = new DomainOps(svc);
  const defaults = new DefaultsOps(svc, deps.roles);

  const listPage = (req: FastifyRequest, reply: FastifyReply, errors?: FieldError[], value = '', status = 200, done?: string) => {
    const user = me(req);
    const sys = deps.roles.isSystemAdmin(user);
    const list = visibleDomains(deps.directory, deps.roles, user);
    return page(req, reply, req.t('domains.title'), (v) => html`<h1>${v.t('domains.title')}</h1>
      ${notice(done ? v.t(`domains.done.${done === 'removed' ? 'removed' : 'added'}`) : null)}${errorSummary(v, errors)}
      ${list.length ? html`<table class="domains"><thead><tr><th scope="col">${v.t('domains.name')}</th><th scope="col">${v.t('domains.aliasOf')}</th><th scope="col">${v.t('domains.source')}</th>${sys ? html`<th scope="col"><span class="sr">${v.t('domains.remove')}</span></th>` : ''}</tr></thead>
        <tbody>${list.map((d) => html`<tr data-domain="${d.name}"><td>${d.aliasOf ? d.name : html`<a href="/domains/${d.name}">${d.name}</a>`}</td><td>${d.aliasOf ?? ''}</td>
          <td>${d.aliasOf && ops.isHostname(d.name) ? v.t('domains.fromHostname') : d.aliasOf || ops.fromToml(d.name) ? v.t('domains.fromToml') : v.t('domains.fromDb')}</td>
          ${sys ? html`<td>${!d.aliasOf && !ops.fromToml(d.name) ? buttonForm(v, `/domains/${d.name}/delete`, v.t('domains.remove'), { confirm: v.t('domains.removeConfirm', { domain: d.name }) }) : ''}</td>` : ''}</tr>`)}</tbody></table>`
        : html`<p class="empty">${v.t('domains.none')}</p>`}
      ${sys ? html`<section aria-labelledby="add-h"><h2 id="add-h">${v.t('domains.add')}</h2>
        ${form(v, '/domains', input(v, { name: 'domain', label: v.t('domains.name'), value, required: true, maxlength: 253, error: errorFor(errors, 'domain') }), { submit: v.t('domains.add') })}</section>` : ''}`, status);
  };

  app.get<{ Querystring: { done?: string } }>('/domains', { config: pageRoute(domainAdminGuard(deps.directory)) }, async (req, reply) => listPage(req, reply, undefined, '', 200, req.query.done));

  app.post<{ Body: { domain?: string } }>('/domains', { config: pageRoute('system-admin'), schema: { body: formBody({ domain: 300 }) } }, async (req, reply) => {
    const r = ops.add(req.body.domain ?? '');
    req.audit = { action: 'domain.add', detail: { domain: req.body.domain } };
    if (!r.ok) return listPage(req, reply, r.errors, req.body.domain ?? '', r.status);
    return reply.redirect('/domains?done=added', 303);
  });

  app.post<{ Params: { domain: string } }>('/domains/:domain/delete', { config: pageRoute('system-admin'), schema: { params: domainParam, body: formBody({}) } }, async (req, reply) => {
    const r = ops.remove(req.params.domain);
    req.audit = { action: 'domain.remove', detail: { domain: req.params.domain } };
    if (!r.ok) return listPage(req, reply, r.errors, '', r.status);
    return reply.redirect('/domains?done=removed', 303);
  });

  type PageOptions = { errors?: FieldError[]; created?: { name: string; value: string }; status?: number; done?: string; defaultsErrors?: FieldError[]; defaultsBody?: Record<string, string> };
  const domainPage = async (req: FastifyRequest<{ Params: { domain: string } }>, reply: FastifyReply, o: PageOptions = {}) => {
    const name = deps.directory.localDomain(req.params.domain);
    if (!name) return page(req, reply, req.t('error.title', { status: 404 }), (v) => html`<h1>${v.t('error.title', { status: 404 })}</h1><p>${v.t('field.not-found')}</p>`, 404);
    const sys = deps.roles.isSystemAdmin(me(req));
    const aliases = deps.directory.domains().filter((d) => d.aliasOf === name).map((d) => d.name);
    const byIp = Object.entries(svc.config.domains.by_ip).filter(([, d]) => deps.directory.localDomain(d) === name);
    const keys = dkimKeysFor({ ...svc.config, data_dir: svc.dataDir }, svc.db);
    const key = keys.find(name);
    const rec = key ? txtRecord(name, key.selector, key.privateKey) : null;
    const records = await checkRecords(svc.resolver, keys, name, svc.config.hostname);
    const done = o.created ? req.t('domains.dkim.created', { selector: o.created.name }) : o.done === 'defaults' ? req.t('domains.done.defaults') : null;
    return page(req, reply, name, (v) => html`<h1>${name}</h1>${notice(done)}${errorSummary(v, o.errors ?? o.defaultsErrors)}
      <p><a href="/users${query({ domain: name })}">${v.t('domains.users', { domain: name })}</a></p>
      <section aria-labelledby="aliases-h"><h2 id="aliases-h">${v.t('domains.hostAliases')}</h2>
        ${aliases.length ? html`<ul class="aliases">${aliases.map((a) => html`<li>${a}</li>`)}</ul>` : html`<p class="empty">${v.t('domains.noAliases')}</p>`}
        <p class="hint">${v.t('domains.aliasesToml')}</p></section>
      <section aria-labelledby="byip-h"><h2 id="byip-h">${v.t('domains.byIp')}</h2>
        ${byIp.length ? html`<ul>${byIp.map(([ip]) => html`<li><code>${ip}</code></li>`)}</ul>` : html`<p class="empty">${v.t('domains.noByIp')}</p>`}
        <p class="hint">${v.t('domains.byIpToml')}</p></section>
      ${defaultsSection(v, name, defaults.get(name), o.defaultsErrors, o.defaultsBody)}
      <section aria-labelledby="dkim-h"><h2 id="dkim-h">${v.t('domains.dkim.title')}</h2>
        ${rec ? html`<p>${v.t('domains.dkim.current', { selector: key!.selector })}</p><pre class="record" id="dkim-record">${rec.name}. IN TXT "${rec.value}"</pre>` : html`<p class="empty">${v.t('domains.dkim.none')}</p>`}
        ${sys ? form(v, `/domains/${name}/dkim`, input(v, { name: 'selector', label: v.t('domains.dkim.selector'), value: nextSelector(), maxlength: 63, error: errorFor(o.errors, 'selector') }), { submit: v.t('domains.dkim.generate') }) : ''}</section>
      <section aria-labelledby="dns-h"><h2 id="dns-h">${v.t('domains.dns.title')}</h2><p class="hint">${v.t('domains.dns.hint')}</p>${recordsTable(v, records)}</section>`, o.status ?? 200);
  };

  app.get<{ Params: { domain: string }; Querystring: { done?: string } }>('/domains/:domain', {
    config: pageRoute(domainGuard),
    schema: { params: domainParam, querystring: { type: 'object', properties: { done: { type: 'string', maxLength: 40 } } } },
  }, async (req, reply) => domainPage(req, reply, { done: req.query.done }));

  app.post<{ Params: { domain: string }; Body: Record<string, string> }>('/domains/:domain/defaults', { config: pageRoute(domainGuard), schema: { params: domainParam, body: formBody(DEFAULTS_FORM_FIELDS) } }, async (req, reply) => {
    const { patch, errors } = defaultsFromForm(req.body);
    req.audit = { action: 'domain.defaults', detail: { domain: req.params.domain } };
    if (errors.length) return domainPage(req, reply, { defaultsErrors: errors, defaultsBody: req.body, status: 400 });
    const r = defaults.set(me(req), req.params.domain, patch);
    if (!r.ok) {
      if (r.status === 403) req.audit = { ...req.audit, result: 'denied', detail: { ...req.audit.detail, reason: r.errors.map((e) => e.code).join(',') } };
      return domainPage(req, reply, { defaultsErrors: r.errors, defaultsBody: req.body, status: r.status });
    }
    const name = deps.directory.localDomain(req.params.domain) ?? req.params.domain;
    return reply.redirect(`/domains/${name}?done=defaults#defaults`, 303);
  });

  app.post<{ Params: { domain: string }; Body: { selector?: string } }>('/domains/:domain/dkim', { config: pageRoute('system-admin'), schema: { params: domainParam, body: formBody({ selector: 100 }) } }, async (req, reply) => {
    const name = deps.directory.localDomain(req.params.domain) ?? req.params.domain;
    const r = await ops.dkim(name, req.body.selector ?? '');
    req.audit = { action: 'domain.dkim', detail: { domain: name, selector: req.body.selector } };
    if (!r.ok) return domainPage(req, reply, { errors: r.errors, status: r.status });
    return domainPage(req, reply, { created: { name: r.value.selector, value: r.value.value } });
  });

  // ---- API ----
  registerDefaultsApi(app, deps, defaults);
  app.post<{ Body: { name: string } }>('/api/v1/domains', {
    config: apiRoute('system-admin'),
    schema: { body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', maxLength: 300 } } }, response: { 201: { type: 'object', properties: { name: { type: 'string' } } }, '4xx': errorSchema } },
  }, async (req, reply) => {
    const r = ops.add(req.body.name);
    req.audit = { action: 'domain.add', detail: { domain: req.body.name } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return reply.code(201).send({ name: r.value });
  });

  app.delete<{ Params: { domain: string } }>('/api/v1/domains/:domain', { config: apiRoute('system-admin'), schema: { params: domainParam, response: { '4xx': errorSchema } } }, async (req, reply) => {
    const r = ops.remove(req.params.domain);
    req.audit = { action: 'domain.remove', detail: { domain: req.params.domain } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return reply.code(204).send();
  });

  app.post<{ Params: { domain: string }; Body: { selector: string } }>('/api/v1/domains/:domain/dkim', {
    config: apiRoute('system-admin'),
    schema: { params: domainParam, body: { type: 'object', additionalProperties: false, required: ['selector'], properties: { selector: { type: 'string', maxLength: 100 } } }, response: { 201: { type: 'object', properties: { selector: { type: 'string' }, name: { type: 'string' }, value: { type: 'string' } } }, '4xx': errorSchema } },
  }, async (req, reply) => {
    const name = deps.directory.localDomain(req.params.domain);
    if (!name) return sendOutcomeError(req, reply, { ok: false, status: 404, errors: [{ field: 'domain', code: 'not-found' }] });
    const r = await ops.dkim(name, req.body.selector);
    req.audit = { action: 'domain.dkim', detail: { domain: name, selector: req.body.selector } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return reply.code(201).send(r.value);
  });

  app.get<{ Params: { domain: string }; Querystring: { check?: boolean } }>('/api/v1/domains/:domain/dns', {
    config: apiRoute(domainGuard),
    schema: {
      params: domainParam,
      querystring: { type: 'object', properties: { check: { type: 'boolean', default: true } } },
      response: {
        200: { type: 'object', properties: { records: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' }, value: { type: 'string' }, state: { type: 'string' }, found: { type: 'array', items: { type: 'string' } } } } } } },
        '4xx': errorSchema,
      },
    },
  }, async (req, reply) => {
    const name = deps.directory.localDomain(req.params.domain);
    if (!name) return sendOutcomeError(req, reply, { ok: false, status: 404, errors: [{ field: 'domain', code: 'not-found' }] });
    const keys = dkimKeysFor({ ...svc.config, data_dir: svc.dataDir }, svc.db);
    if (req.query.check === false) return { records: neededRecords(keys, name, svc.config.hostname) };
    return { records: await checkRecords(svc.resolver, keys, name, svc.config.hostname) };
  });
}

/** A selector named for the month (s202612): a new key gets a new name, so the old record can stay a while. */
function nextSelector(): string {
  const d = new Date();
  return `s${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}`;
}
