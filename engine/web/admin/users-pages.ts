// The users pages: a list with search and paging (SQL paging: 10,000 users cost one page), a new-user form, a
// user's page (every A2 setting, the password, disable, delete with the mailbox kept as an orphan, usage),
// and the CSV import with a preview of every bad line before anything is written, and the export.
// Forms post to the pages; the work is done by UserOps, the same as the API's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../accounts/directory.js';
import { visibleDomains } from '../domains.js';
import { boolAttr, html, type SafeHtml } from '../html.js';
import { formatNumber } from '../i18n.js';
import type { View } from '../layout.js';
import { sendDenied } from '../errors.js';
import { clientIp } from '../app.js';
import { SECRET_COOKIE, sessionCookie } from '../cookies.js';
import type { WebDeps } from '../types.js';
import { checked, domainAdminGuard, errorFor, fieldMessage, formBody, lines, me, page, pageOf, pageRoute, query, type FieldError } from './common.js';
import { buttonForm, checkbox, errorSummary, form, input, notice, textarea } from './forms.js';
import type { AdminServices } from './services.js';
import { accountUsage, formatBytes } from './usage.js';
import { quotaFromText, quotaText, type QuotaField } from './limits.js';
import type { Quota } from '../../accounts/quota.js';
import { previewImport, runImport, type ImportPreview } from './users-csv.js';
import { addressGuard, listDomains, sendExport, usersListGuard } from './users-api.js';
import { FLAG_FIELDS, FORBIDDEN_CODES, type UserFields, type UserOps } from './users-ops.js';
import type { UserQuery } from './user-query.js';

const PAGE_SIZE = 50;
/** The switches of the form; the rights (system admin, host and list admin of…) are a system admin's to edit. */
const PAGE_FLAGS = ['keepCopy', 'disabled', 'cannotChangePassword', 'webAccess'] as const;
type Editable = (typeof PAGE_FLAGS)[number] | 'systemAdmin' | 'rights' | 'quota';
const QUOTA_FIELDS: QuotaField[] = ['quotaBytes', 'quotaMessages'];

/** What a caller may change on an account (of `domain`; `target` null for a new one). */
function editableFields(deps: WebDeps, caller: User, target: User | null): Set<Editable> {
  const sys = deps.roles.isSystemAdmin(caller);
  const self = target?.address === caller.address;
  const out = new Set<Editable>([...PAGE_FLAGS, 'systemAdmin', 'rights', 'quota']);
  if (!sys) {
    out.delete('systemAdmin');
    out.delete('rights');
    if (self) out.delete('quota'); // nobody raises its own limits
  }
  if (self) out.delete('disabled');
  return out;
}

/** The quota fields as typed (kept as text so a refused form shows what was typed). */
type QuotaTexts = Record<QuotaField, string>;

/**
 * Form text → UserFields, taking only what the caller may edit (the rest was shown read-only). An empty quota
 * field is the domain's default: for a new account that is simply not setting one.
 */
function fieldsFromForm(body: Record<string, string>, editable: Set<Editable>, isNew: boolean): { fields: UserFields; errors: FieldError[] } {
  const f: UserFields = { fullName: body.fullName ?? '', replyTo: (body.replyTo ?? '').trim(), forward: lines(body.forward) };
  for (const k of PAGE_FLAGS) if (editable.has(k)) f[k] = checked(body[k]);
  if (editable.has('systemAdmin')) f.systemAdmin = checked(body.systemAdmin);
  if (editable.has('rights')) {
    f.hostAdminOf = lines(body.hostAdminOf);
    f.listAdminOf = lines(body.listAdminOf);
  }
  const errors: FieldError[] = [];
  if (editable.has('quota')) {
    for (const q of QUOTA_FIELDS) {
      const r = quotaFromText(q, body[q], null);
      if ('error' in r) errors.push(r.error);
      else if (!(isNew && r.value === null)) f[q] = r.value;
    }
  }
  return { fields: f, errors };
}

const quotaTexts = (body: Record<string, string> | undefined, own: { bytes: number | null; messages: number | null } | undefined): QuotaTexts => ({
  quotaBytes: body?.quotaBytes ?? quotaText('quotaBytes', own?.bytes),
  quotaMessages: body?.quotaMessages ?? quotaText('quotaMessages', own?.messages),
});

const limitText = (v: View, field: QuotaField, n: number): string => (n === 0 ? v.t('users.quota.none') : field === 'quotaBytes' ? formatBytes(n, v.locale) : formatNumber(n, v.locale));

function settingsFields(v: View, u: Partial<User>, editable: Set<Editable>, errors: FieldError[] | undefined, quota: { texts: QuotaTexts; domainDefault: Quota }): SafeHtml {
  const t = v.t;
  const rightsNote = editable.has('rights') ? undefined : t('users.rightsSystemOnly');
  return html`${input(v, { name: 'fullName', label: t('users.field.fullName'), value: u.fullName ?? '', maxlength: 200, error: errorFor(errors, 'fullName') })}
    ${input(v, { name: 'replyTo', label: t('users.field.replyTo'), value: u.replyTo ?? '', type: 'email', maxlength: 254, error: errorFor(errors, 'replyTo') })}
    ${textarea(v, { name: 'forward', label: t('users.field.forward'), value: (u.forward ?? []).join('\n'), rows: 3, hint: t('users.hint.forward'), error: errorFor(errors, 'forward') })}
    <fieldset><legend>${t('users.settings')}</legend>
    ${PAGE_FLAGS.map((f) =>
      checkbox(v, { name: f, label: t(`users.field.${f}`), checked: !!u[f] || (f === 'webAccess' && u.webAccess === undefined) || (f === 'keepCopy' && u.keepCopy === undefined), disabled: !editable.has(f), error: errorFor(errors, f) }),
    )}</fieldset>
    <fieldset class="quota"><legend>${t('users.quota.title')}</legend>
    ${QUOTA_FIELDS.map((q) => input(v, {
      name: q, label: t(`users.field.${q}`), value: quota.texts[q], maxlength: 40, disabled: !editable.has('quota'), error: errorFor(errors, q),
      hint: t(`users.hint.${q}`, { default: limitText(v, q, q === 'quotaBytes' ? quota.domainDefault.bytes : quota.domainDefault.messages) }),
    }))}</fieldset>
    <fieldset class="rights"><legend>${t('users.rights')}</legend>
    ${checkbox(v, { name: 'systemAdmin', label: t('users.field.systemAdmin'), checked: !!u.systemAdmin, disabled: !editable.has('systemAdmin'), error: errorFor(errors, 'systemAdmin') })}
    ${textarea(v, { name: 'hostAdminOf', label: t('users.field.hostAdminOf'), value: (u.hostAdminOf ?? []).join('\n'), rows: 2, maxlength: 20_000, hint: t('users.hint.hostAdminOf'), readOnlyNote: rightsNote, error: errorFor(errors, 'hostAdminOf') })}
    ${textarea(v, { name: 'listAdminOf', label: t('users.field.listAdminOf'), value: (u.listAdminOf ?? []).join('\n'), rows: 2, maxlength: 20_000, hint: t('users.hint.listAdminOf'), readOnlyNote: rightsNote, error: errorFor(errors, 'listAdminOf') })}
    </fieldset>`;
}

function userRow(v: View, u: User): SafeHtml {
  const rights = [u.systemAdmin ? v.t('role.system') : '', ...u.hostAdminOf.map((domain) => v.t('role.host', { domain })), u.listAdminOf.length ? v.t('role.list') : ''].filter(Boolean).join(', ');
  return html`<tr data-address="${u.address}"><td><a href="/users/${encodeURIComponent(u.address)}">${u.address}</a></td><td>${u.fullName}</td>
    <td>${u.disabled ? html`<span class="badge off">${v.t('users.disabled')}</span>` : html`<span class="badge on">${v.t('users.enabled')}</span>`}</td><td>${rights}</td></tr>`;
}

export function registerUsersPages(app: FastifyInstance, deps: WebDeps, svc: AdminServices, ops: UserOps, q: UserQuery): void {
  const domainAdmin = domainAdminGuard(deps.directory);
  /** A host admin's /users without ?domain= goes to its (first) domain; a list admin has none: 403. */
  const listGuard = { name: usersListGuard.name, allows: (u: User, req: FastifyRequest, roles: WebDeps['roles']) => usersListGuard.allows(u, req, roles) || (!(req.query as { domain?: string }).domain && visibleDomains(deps.directory, roles, u).length > 0) };

  app.get<{ Querystring: { domain?: string; q?: string; page?: string; done?: string } }>('/users', {
    config: pageRoute(listGuard),
    schema: { querystring: { type: 'object', properties: { domain: { type: 'string', maxLength: 253 }, q: { type: 'string', maxLength: 200 }, page: { type: 'string', maxLength: 10 }, done: { type: 'string', maxLength: 40 } } } },
  }, async (req, reply) => {
    const caller = me(req);
    if (!req.query.domain && !deps.roles.isSystemAdmin(caller)) {
      const first = visibleDomains(deps.directory, deps.roles, caller).find((d) => !d.aliasOf)!;
      return reply.redirect(`/users${query({ domain: first.name })}`, 303);
    }
    const domains = listDomains(deps, req);
    const search = (req.query.q ?? '').trim();
    const total = q.count({ domains, search });
    const p = pageOf(req.query.page, PAGE_SIZE, total);
    const users = q.page({ domains, search, offset: p.offset, limit: PAGE_SIZE }).map((a) => svc.accounts.user(a)).filter((u): u is User => !!u);
    const domain = domains[0] ?? '';
    const title = domain ? req.t('users.titleDomain', { domain }) : req.t('users.title');
    const link = (n: number) => `/users${query({ domain: req.query.domain, q: search, page: n })}`;
    return page(req, reply, title, (v) => html`<h1>${title}</h1>
      ${notice(req.query.done === 'deleted' ? v.t('users.done.deleted') : req.query.done === 'imported' ? v.t('users.done.imported') : null)}
      <form class="search" method="get" action="/users" role="search">
        ${domain ? html`<input type="hidden" name="domain" value="${req.query.domain ?? ''}">` : ''}
        <label for="q">${v.t('users.search')}</label> <input id="q" name="q" type="search" value="${search}" maxlength="200">
        <button type="submit">${v.t('users.searchButton')}</button>
      </form>
      <p class="toolbar"><a class="button" href="/users/new${query({ domain })}">${v.t('users.add')}</a>
        <a class="button" href="/users/import${query({ domain })}">${v.t('users.import.title')}</a>
        <a class="button" href="/users/export.csv${query({ domain })}" download>${v.t('users.export')}</a></p>
      <p class="count" id="user-count">${v.t('users.count', { count: formatNumber(total, v.locale), page: p.page, pages: p.pages })}</p>
      ${users.length ? html`<table class="users"><thead><tr><th scope="col">${v.t('users.field.address')}</th><th scope="col">${v.t('users.field.fullName')}</th><th scope="col">${v.t('users.state')}</th><th scope="col">${v.t('users.rights')}</th></tr></thead>
        <tbody>${users.map((u) => userRow(v, u))}</tbody></table>` : html`<p class="empty">${v.t('users.none')}</p>`}
      <nav class="pager" aria-label="${v.t('pager.label')}">
        ${p.page > 1 ? html`<a rel="prev" href="${link(p.page - 1)}">${v.t('pager.prev')}</a>` : ''}
        ${p.page < p.pages ? html`<a rel="next" href="${link(p.page + 1)}">${v.t('pager.next')}</a>` : ''}
      </nav>`);
  });

  const domainQuota = (domain: string): Quota => {
    const d = svc.accounts.defaults.get(domain);
    return { bytes: d.quotaBytes, messages: d.quotaMessages };
  };

  const newPage = (req: FastifyRequest, reply: FastifyReply, domain: string, values: Partial<User> & { address?: string }, errors?: FieldError[], status = 200, body?: Record<string, string>) => {
    const editable = editableFields(deps, me(req), null);
    const q = { texts: quotaTexts(body, undefined), domainDefault: domain && svc.accounts.localDomain(domain) ? domainQuota(svc.accounts.localDomain(domain)!) : { bytes: 0, messages: 0 } };
    return page(req, reply, req.t('users.new'), (v) => html`<h1>${v.t('users.new')}</h1>${errorSummary(v, errors)}
      ${form(v, '/users/new', html`${input(v, { name: 'address', label: v.t('users.field.address'), value: values.address ?? (domain ? `@${domain}` : ''), type: 'email', required: true, maxlength: 320, error: errorFor(errors, 'address') })}
        ${input(v, { name: 'password', label: v.t('users.field.password'), type: 'password', required: true, maxlength: 1024, autocomplete: 'new-password', error: errorFor(errors, 'password') })}
        ${settingsFields(v, values, editable, errors, q)}`, { submit: v.t('users.create') })}`, status);
  };

  const userForm = formBody({
    address: 320, password: 1024, fullName: 1000, replyTo: 1000, forward: 20_000, hostAdminOf: 20_000, listAdminOf: 20_000, quotaBytes: 40, quotaMessages: 40,
    ...Object.fromEntries(FLAG_FIELDS.map((f) => [f, 10])),
  });

  app.get<{ Querystring: { domain?: string } }>('/users/new', { config: pageRoute(domainAdmin), schema: { querystring: { type: 'object', properties: { domain: { type: 'string', maxLength: 253 } } } } }, async (req, reply) => {
    const d = req.query.domain && deps.roles.canAdminDomain(me(req), req.query.domain) ? req.query.domain : '';
    return newPage(req, reply, d, {});
  });

  app.post<{ Body: Record<string, string> }>('/users/new', { config: pageRoute(domainAdmin), schema: { body: userForm } }, async (req, reply) => {
    const b = req.body;
    const domain = (b.address ?? '').split('@')[1]?.toLowerCase() ?? '';
    const { fields, errors } = fieldsFromForm(b, editableFields(deps, me(req), null), true);
    req.audit = { action: 'user.add', detail: { address: b.address } };
    if (errors.length) {
      // the address, password and other fields are checked too (nothing is written), so every error shows at once
      const c = ops.checkAdd(me(req), { address: b.address ?? '', password: b.password ?? '', ...fields });
      const more = !c.ok && c.status === 400 ? c.errors.filter((e) => !errors.some((x) => x.field === e.field)) : [];
      return newPage(req, reply, domain, { ...fields, address: b.address }, [...more, ...errors], 400, b);
    }
    const r = await ops.add(me(req), { address: b.address ?? '', password: b.password ?? '', ...fields });
    if (!r.ok) {
      if (r.status === 403) req.audit = { ...req.audit, result: 'denied', detail: { ...req.audit.detail, reason: r.errors.map((e) => e.code).join(',') } };
      return newPage(req, reply, domain, { ...fields, address: b.address }, r.errors, r.status, b);
    }
    return reply.redirect(`/users/${encodeURIComponent(r.value.address)}?done=created`, 303);
  });

  const userPage = async (req: FastifyRequest, reply: FastifyReply, target: User, o: { errors?: FieldError[]; values?: Partial<User>; body?: Record<string, string>; status?: number; done?: string } = {}) => {
    const caller = me(req);
    const editable = editableFields(deps, caller, target);
    const protectedAccount = target.systemAdmin && !deps.roles.isSystemAdmin(caller);
    const quota = svc.accounts.quotaOf(target.address);
    const own = svc.accounts.quotaOverride(target.address);
    const usage = await accountUsage(svc, target.address, quota);
    const q = { texts: quotaTexts(o.body, own), domainDefault: domainQuota(target.domain) };
    const done = o.done && ['created', 'saved', 'password'].includes(o.done) ? req.t(`users.done.${o.done}`) : null;
    return page(req, reply, target.address, (v) => html`<h1>${target.address}</h1>
      ${notice(done)}${errorSummary(v, o.errors)}
      <p><a href="/users${query({ domain: target.domain })}">${v.t('users.back', { domain: target.domain })}</a></p>
      <section aria-labelledby="usage-h"><h2 id="usage-h">${v.t('users.usage')}</h2>
        <p id="usage">${usage ? v.t('users.usageValue', { messages: formatNumber(usage.messages, v.locale), size: formatBytes(usage.bytes, v.locale) }) : v.t('users.noMailbox')}</p>
        <dl class="figures" id="quota">
          <dt>${v.t('users.quota.storage')}</dt><dd data-quota="bytes" data-limit="${String(quota.bytes)}" data-used="${String(usage?.bytes ?? 0)}">${quota.bytes ? v.t('users.quota.of', { used: formatBytes(usage?.bytes ?? 0, v.locale), limit: formatBytes(quota.bytes, v.locale) }) : v.t('users.quota.unlimited', { used: formatBytes(usage?.bytes ?? 0, v.locale) })}</dd>
          <dt>${v.t('users.quota.messages')}</dt><dd data-quota="messages" data-limit="${String(quota.messages)}" data-used="${String(usage?.messages ?? 0)}">${quota.messages ? v.t('users.quota.of', { used: formatNumber(usage?.messages ?? 0, v.locale), limit: formatNumber(quota.messages, v.locale) }) : v.t('users.quota.unlimited', { used: formatNumber(usage?.messages ?? 0, v.locale) })}</dd>
        </dl>
        <p class="hint" id="quota-source">${v.t(own && (own.bytes !== null || own.messages !== null) ? 'users.quota.fromUser' : 'users.quota.fromDomain', { domain: target.domain })}</p>
        <p id="send-limit-link"><a href="/users/${encodeURIComponent(target.address)}/send-limit">${v.t('sendLimit.link')}</a></p></section>
      ${protectedAccount ? html`<p class="notice">${v.t('users.protected')}</p>` : html`
      <section aria-labelledby="settings-h"><h2 id="settings-h">${v.t('users.settings')}</h2>
        ${form(v, `/users/${encodeURIComponent(target.address)}`, settingsFields(v, { ...target, ...o.values }, editable, o.errors, q), { submit: v.t('form.save') })}</section>
      <section aria-labelledby="password-h"><h2 id="password-h">${v.t('users.setPassword')}</h2>
        ${form(v, `/users/${encodeURIComponent(target.address)}/password`, input(v, { name: 'password', label: v.t('users.field.newPassword'), type: 'password', required: true, maxlength: 1024, autocomplete: 'new-password', error: errorFor(o.errors, 'password') }), { submit: v.t('users.setPassword') })}</section>
      ${target.address === caller.address ? '' : html`<section class="danger" aria-labelledby="delete-h"><h2 id="delete-h">${v.t('users.delete')}</h2>
        <p>${v.t('users.deleteHint')}</p>${buttonForm(v, `/users/${encodeURIComponent(target.address)}/delete`, v.t('users.delete'), { confirm: v.t('users.deleteConfirm', { address: target.address }), cls: 'danger' })}</section>`}`}`, o.status ?? 200);
  };

  const found = (req: FastifyRequest<{ Params: { address: string } }>, reply: FastifyReply): User | null => {
    const u = svc.accounts.user(req.params.address);
    if (!u) void page(req, reply, req.t('error.title', { status: 404 }), (v) => html`<h1>${v.t('error.title', { status: 404 })}</h1><p>${v.t('field.not-found')}</p>`, 404);
    return u ?? null;
  };

  const addressParams = { type: 'object', required: ['address'], properties: { address: { type: 'string', minLength: 3, maxLength: 320 } } };

  app.get<{ Params: { address: string }; Querystring: { done?: string } }>('/users/:address', { config: pageRoute(addressGuard), schema: { params: addressParams } }, async (req, reply) => {
    const u = found(req, reply);
    return u ? userPage(req, reply, u, { done: req.query.done }) : reply;
  });

  app.post<{ Params: { address: string }; Body: Record<string, string> }>('/users/:address', { config: pageRoute(addressGuard), schema: { params: addressParams, body: userForm } }, async (req, reply) => {
    const target = found(req, reply);
    if (!target) return reply;
    const { fields, errors } = fieldsFromForm(req.body, editableFields(deps, me(req), target), false);
    req.audit = { action: 'user.update', detail: { address: target.address } };
    // a quota that is not a number or size is found here; the other fields are then checked without writing,
    // so the form shows every error at once (as the new-user form does)
    const r = errors.length ? ops.checkUpdate(me(req), target.address, fields) : await ops.update(me(req), target.address, fields);
    if (!r.ok || errors.length) {
      const all = [...(r.ok ? [] : r.errors.filter((e) => !errors.some((x) => x.field === e.field))), ...errors];
      const reason = all.map((e) => e.code).join(',');
      const forbidden = r.ok || r.status !== 403 ? [] : r.errors.filter((e) => FORBIDDEN_CODES.includes(e.code));
      // a limit above the caller's own is said next to the field (with the 403 and its audit line)
      if (forbidden.length && forbidden.every((e) => e.code === 'above-own-quota')) {
        req.audit = { ...req.audit, result: 'denied', detail: { ...req.audit.detail, reason } };
        return userPage(req, reply, target, { errors: all, values: fields, body: req.body, status: 403 });
      }
      if (!r.ok && r.status === 403) return sendDenied(req, reply, 'admin', 403, req.routeOptions.config.access, reason);
      return userPage(req, reply, target, { errors: all, values: fields, body: req.body, status: r.ok ? 400 : r.status });
    }
    return reply.redirect(`/users/${encodeURIComponent(target.address)}?done=saved`, 303);
  });

  app.post<{ Params: { address: string }; Body: Record<string, string> }>('/users/:address/password', { config: pageRoute(addressGuard), schema: { params: addressParams, body: formBody({ password: 1024 }) } }, async (req, reply) => {
    const target = found(req, reply);
    if (!target) return reply;
    const r = await ops.setPassword(me(req), target.address, req.body.password ?? '');
    req.audit = { action: 'user.password', detail: { address: target.address } };
    if (!r.ok) {
      if (r.status === 403) return sendDenied(req, reply, 'admin', 403, req.routeOptions.config.access, r.errors.map((e) => e.code).join(','));
      return userPage(req, reply, target, { errors: r.errors, status: r.status });
    }
    if (target.address === me(req).address && req.caller?.via === 'session') {
      // their own: every session of theirs ended with the change; this browser goes on with a fresh one
      const { id } = await deps.sessions.create('admin', target.address, clientIp(req));
      reply.setCookie(sessionCookie('admin'), id, SECRET_COOKIE);
    }
    return reply.redirect(`/users/${encodeURIComponent(target.address)}?done=password`, 303);
  });

  app.post<{ Params: { address: string } }>('/users/:address/delete', { config: pageRoute(addressGuard), schema: { params: addressParams, body: formBody({}) } }, async (req, reply) => {
    const target = found(req, reply);
    if (!target) return reply;
    const r = await ops.delete(me(req), target.address);
    req.audit = { action: 'user.delete', detail: { address: target.address, orphan: r.ok ? (r.value.orphan ?? '') : undefined } };
    if (!r.ok) return sendDenied(req, reply, 'admin', 403, req.routeOptions.config.access, r.errors.map((e) => e.code).join(','));
    return reply.redirect(`/users${query({ domain: target.domain, done: 'deleted' })}`, 303);
  });

  const importPage = (req: FastifyRequest, reply: FastifyReply, domain: string, csv: string, preview?: ImportPreview, failed?: string, status = 200) =>
    page(req, reply, req.t('users.import.title'), (v) => html`<h1>${v.t('users.import.title')}</h1>
      <p>${v.t('users.import.help', { columns: 'address, password, full_name, reply_to, forward, keep_copy, cannot_change_password, disabled, web_access, system_admin, host_admin_of, list_admin_of, quota_bytes, quota_messages' })}</p>
      ${failed ? html`<p class="error" role="alert">${failed}</p>` : ''}
      ${preview ? importPreview(v, preview) : ''}
      <form method="post" action="/users/import" class="admin-form import">
        <input type="hidden" name="_csrf" value="${v.csrf}"><input type="hidden" name="domain" value="${domain}">
        <p class="field"><label for="csv-file">${v.t('users.import.file')}</label><input id="csv-file" type="file" accept=".csv,text/csv" data-fills="f-csv"></p>
        ${textarea(v, { name: 'csv', label: v.t('users.import.text'), value: csv, rows: 10, maxlength: deps.uploadLimit ?? 4 * 1024 * 1024, error: preview?.fileError })}
        <p class="actions"><button type="submit" name="mode" value="preview" class="primary">${v.t('users.import.check')}</button>
        ${preview && !preview.fileError && preview.good ? html`<button type="submit" name="mode" value="all"${boolAttr('disabled', preview.bad > 0)}>${v.t('users.import.all', { count: preview.good + preview.bad })}</button>
          ${preview.bad ? html`<button type="submit" name="mode" value="good-only">${v.t('users.import.goodOnly', { count: preview.good, bad: preview.bad })}</button>` : ''}` : ''}</p>
      </form>`, status);

  app.get<{ Querystring: { domain?: string } }>('/users/import', { config: pageRoute(domainAdmin), schema: { querystring: { type: 'object', properties: { domain: { type: 'string', maxLength: 253 } } } } }, async (req, reply) => importPage(req, reply, req.query.domain ?? '', 'address,password,full_name\r\n'));

  app.post<{ Body: { csv?: string; mode?: string; domain?: string } }>('/users/import', {
    config: pageRoute(domainAdmin),
    bodyLimit: deps.uploadLimit ?? 4 * 1024 * 1024,
    schema: { body: { type: 'object', additionalProperties: false, properties: { _csrf: { type: 'string', maxLength: 100 }, csv: { type: 'string' }, mode: { type: 'string', enum: ['preview', 'all', 'good-only'] }, domain: { type: 'string', maxLength: 253 } } } },
  }, async (req, reply) => {
    const csv = req.body.csv ?? '';
    const mode = req.body.mode ?? 'preview';
    const domain = req.body.domain ?? '';
    if (mode === 'preview') {
      const p = previewImport(csv, me(req), ops);
      return importPage(req, reply, domain, csv, p, undefined, p.fileError || p.bad ? 400 : 200);
    }
    const r = await runImport(csv, me(req), ops, mode === 'good-only');
    req.audit = { action: 'user.import', detail: { mode, created: r.ok ? r.created.length : 0 } };
    if (!r.ok) {
      const why = r.failed ? req.t('users.import.failed', { line: r.failed.line, reason: r.failed.errors.map((e) => fieldMessage(req.t, e)).join(' ') }) : req.t('users.import.nothing', { count: r.preview.bad });
      return importPage(req, reply, domain, csv, r.preview, why, 400);
    }
    const skipped = r.skipped.length ? `&skipped=${r.skipped.length}` : '';
    return reply.redirect(`/users${query({ domain, done: 'imported' })}${skipped}`, 303);
  });

  app.get<{ Querystring: { domain?: string } }>('/users/export.csv', { config: pageRoute(usersListGuard), schema: { querystring: { type: 'object', additionalProperties: false, properties: { domain: { type: 'string', maxLength: 253 } } } } }, async (req, reply) => {
    req.audit = { action: 'user.export', detail: { domain: req.query.domain ?? '*' } };
    return sendExport(reply, svc, q, listDomains(deps, req));
  });
}

function importPreview(v: View, p: ImportPreview): SafeHtml {
  if (p.fileError) return html``;
  const bad = p.lines.filter((l) => l.errors.length);
  return html`<section class="preview" aria-labelledby="preview-h"><h2 id="preview-h">${v.t('users.import.preview')}</h2>
    <p id="preview-summary">${v.t('users.import.summary', { good: p.good, bad: p.bad })}</p>
    ${bad.length ? html`<table class="import-errors"><thead><tr><th scope="col">${v.t('users.import.line')}</th><th scope="col">${v.t('users.field.address')}</th><th scope="col">${v.t('users.import.problem')}</th></tr></thead>
      <tbody>${bad.map((l) => html`<tr data-line="${l.line}"><td>${l.line}</td><td>${l.address}</td><td>${l.errors.map((e) => fieldMessage(v.t, e)).join(' ')}</td></tr>`)}</tbody></table>` : ''}
  </section>`;
}
