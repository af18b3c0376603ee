// Relay, SMTP, spam and DNSBL settings (system admin): each setting of the override layer (engine/settings)
// as a form field, read-only with a note when the TOML file fixes it, errors next to the field, applied to the
// running server at once. DNSBL lists get a "test this list" button (RFC 5782 test points). The API
// (GET/PATCH /api/v1/settings, POST /api/v1/dnsbl/test) takes the same changes as JSON.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DnsblConfig } from '../../config/schema.js';
import type { SettingError } from '../../settings/effective.js';
import type { SettingView } from '../../settings/live.js';
import { labelKey, SETTING_GROUPS, settingDef, type SettingDef, type SettingGroup } from '../../settings/registry.js';
import { boolAttr, html, type SafeHtml } from '../html.js';
import type { View } from '../layout.js';
import type { WebDeps } from '../types.js';
import { apiRoute, checked, errorFor, errorSchema, fieldMessage, lines, me, page, pageRoute, when, type FieldError } from './common.js';
import { testDnsbl, type ListTest } from './dnsbl-test.js';
import { checkbox, errorSummary, input, notice, select, textarea } from './forms.js';
import type { AdminServices } from './services.js';

const groupParam = { type: 'object', required: ['group'], properties: { group: { type: 'string', enum: [...SETTING_GROUPS] } } } as const;

/** A settings error as a field error of the form (field = the setting key, or dnsbl.N.field). */
const toField = (e: SettingError): FieldError => ({ field: e.key, code: `setting-${e.code}`, values: { detail: e.detail ?? '' } });

/** The raw (TOML-shaped) form of a DNSBL entry as the config holds it (timeout back to seconds). */
function rawDnsbl(d: DnsblConfig): Record<string, unknown> {
  return { name: d.name, query_domain: d.query_domain, type: d.type, enabled: d.enabled, trusted: d.trusted, server: d.server, tcp_first: d.tcp_first, hash: d.hash, timeout: d.timeout / 1000, replies: d.replies };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Parse one setting's form field; undefined = not a change; errors for text that is not the kind's. */
function parseField(def: SettingDef, body: Record<string, string>, current: unknown): { value?: unknown; error?: FieldError } {
  const k = def.kind;
  const raw = body[def.key];
  switch (k.type) {
    case 'boolean':
      return { value: checked(raw) };
    case 'integer':
    case 'number': {
      const s = (raw ?? '').trim();
      if (s === '') return k.optional ? { value: null } : { error: { field: def.key, code: 'setting-type', values: { detail: '' } } };
      const n = Number(s.replace(',', '.'));
      if (!Number.isFinite(n) || (k.type === 'integer' && !Number.isInteger(n))) return { error: { field: def.key, code: 'setting-type', values: { detail: s.slice(0, 40) } } };
      return { value: n };
    }
    case 'enum':
      return { value: raw ?? '' };
    case 'list':
      return { value: lines(raw) };
    case 'dnsbl': {
      const cur = (current as DnsblConfig[]).map(rawDnsbl);
      const out: Record<string, unknown>[] = [];
      for (let i = 0; i < 51; i++) {
        const name = (body[`dnsbl.${i}.name`] ?? '').trim();
        const domain = (body[`dnsbl.${i}.query_domain`] ?? '').trim().toLowerCase();
        if (body[`dnsbl.${i}.name`] === undefined && body[`dnsbl.${i}.query_domain`] === undefined) continue;
        if (checked(body[`dnsbl.${i}.delete`]) || (!name && !domain)) continue;
        const base = cur[i] ?? { server: '*', tcp_first: false, hash: 'none', timeout: 2, replies: {} };
        out.push({ ...base, name, query_domain: domain, type: body[`dnsbl.${i}.type`] ?? 'DNS', enabled: checked(body[`dnsbl.${i}.enabled`]), trusted: checked(body[`dnsbl.${i}.trusted`]) });
      }
      return { value: out };
    }
  }
}

function valueText(def: SettingDef, value: unknown): string {
  if (def.kind.type === 'list') return ((value as string[] | undefined) ?? []).join('\n');
  return value === undefined || value === null ? '' : String(value);
}

function settingField(v: View, s: SettingView, errors: FieldError[] | undefined, shown: unknown): SafeHtml {
  const def = s.def;
  const label = v.t(labelKey(def.key));
  const note = s.readOnly ? v.t('settings.inToml') : undefined;
  const hint = s.source === 'override' ? v.t('settings.changedBy', { who: s.updatedBy ?? '', when: when(s.updated, v.locale) }) : undefined;
  const error = errorFor(errors, def.key);
  const k = def.kind;
  switch (k.type) {
    case 'boolean':
      return checkbox(v, { name: def.key, label, checked: !!shown, readOnlyNote: note, hint, error });
    case 'integer':
    case 'number':
      return input(v, { name: def.key, label, value: valueText(def, shown), type: 'text', maxlength: 20, readOnlyNote: note, hint, error, placeholder: k.optional ? v.t('settings.none') : '' });
    case 'enum':
      return select(v, { name: def.key, label, value: String(shown), options: k.values.map((x) => ({ value: x, label: v.t(`settings.choice.${def.key.replace(/\./g, '_')}.${x}`) })), readOnlyNote: note, hint, error });
    case 'list':
      return textarea(v, { name: def.key, label, value: valueText(def, shown), rows: 4, readOnlyNote: note, hint: [v.t(k.item === 'tag' ? 'settings.oneTagPerLine' : 'settings.onePerLine'), hint].filter(Boolean).join(' '), error });
    case 'dnsbl':
      return dnsblTable(v, s, shown as DnsblConfig[] | Record<string, unknown>[], errors);
  }
}

function dnsblTable(v: View, s: SettingView, lists: (DnsblConfig | Record<string, unknown>)[], errors: FieldError[] | undefined): SafeHtml {
  const ro = s.readOnly;
  const rows = [...lists, ...(ro ? [] : [{ name: '', query_domain: '', type: 'DNS', enabled: true, trusted: false }])];
  const err = (i: number, f: string) => {
    const e = errorFor(errors, `dnsbl.${i}.${f}`);
    return e ? html`<span class="field-error" role="alert" data-field="dnsbl.${String(i)}.${f}">${fieldMessage(v.t, e)}</span>` : '';
  };
  return html`${ro ? html`<p class="readonly-note">${v.t('settings.inToml')}</p>` : ''}
  <table class="dnsbl"><thead><tr><th scope="col">${v.t('settings.dnsbl.name')}</th><th scope="col">${v.t('settings.dnsbl.queryDomain')}</th><th scope="col">${v.t('settings.dnsbl.type')}</th>
    <th scope="col">${v.t('settings.dnsbl.enabled')}</th><th scope="col">${v.t('settings.dnsbl.trusted')}</th><th scope="col">${v.t('settings.dnsbl.delete')}</th><th scope="col">${v.t('settings.dnsbl.test')}</th></tr></thead>
  <tbody>${rows.map((l, i) => {
    const d = l as { name: string; query_domain: string; type: string; enabled: boolean; trusted: boolean };
    const n = (f: string) => `dnsbl.${i}.${f}`;
    return html`<tr data-list="${d.name}">
      <td><input name="${n('name')}" value="${d.name}" maxlength="100" aria-label="${v.t('settings.dnsbl.name')}"${boolAttr('readonly', ro)}>${err(i, 'name')}</td>
      <td><input name="${n('query_domain')}" value="${d.query_domain}" maxlength="253" aria-label="${v.t('settings.dnsbl.queryDomain')}"${boolAttr('readonly', ro)}>${err(i, 'query_domain')}</td>
      <td><select name="${n('type')}" aria-label="${v.t('settings.dnsbl.type')}"${boolAttr('disabled', ro)}>${['DNS', 'ADDR', 'HELO', 'RHS'].map((t) => html`<option value="${t}"${boolAttr('selected', t === d.type)}>${v.t(`settings.dnsbl.types.${t}`)}</option>`)}</select>${err(i, 'type')}</td>
      <td><input type="checkbox" name="${n('enabled')}" value="on" aria-label="${v.t('settings.dnsbl.enabled')}"${boolAttr('checked', d.enabled)}${boolAttr('disabled', ro)}></td>
      <td><input type="checkbox" name="${n('trusted')}" value="on" aria-label="${v.t('settings.dnsbl.trusted')}"${boolAttr('checked', d.trusted)}${boolAttr('disabled', ro)}></td>
      <td>${d.name && !ro ? html`<input type="checkbox" name="${n('delete')}" value="on" aria-label="${v.t('settings.dnsbl.delete')}">` : ''}</td>
      <td>${d.name && i < lists.length ? html`<button type="submit" name="test" value="${String(i)}" formaction="/settings/dnsbl/test" formnovalidate>${v.t('settings.dnsbl.testButton')}</button>` : ''}</td></tr>`;
  })}</tbody></table>`;
}

function testResult(v: View, r: ListTest): SafeHtml {
  return html`<section class="dnsbl-test" aria-live="polite" data-ok="${r.ok ? 'true' : 'false'}"><h2>${v.t('settings.dnsbl.testTitle', { list: r.list })}</h2>
    <p class="${r.ok ? 'notice' : 'error'}">${v.t(r.ok ? 'settings.dnsbl.testOk' : 'settings.dnsbl.testBad')}</p>
    <table><thead><tr><th scope="col">${v.t('settings.dnsbl.point')}</th><th scope="col">${v.t('settings.dnsbl.query')}</th><th scope="col">${v.t('settings.dnsbl.expect')}</th><th scope="col">${v.t('settings.dnsbl.answer')}</th></tr></thead>
    <tbody>${r.points.map((p) => html`<tr data-ok="${p.ok ? 'true' : 'false'}"><td>${p.point}</td><td><code>${p.query}</code></td><td>${v.t(`settings.dnsbl.${p.expect}`)}</td><td>${v.t(`settings.dnsbl.got.${p.got}`)} (${p.answer})</td></tr>`)}</tbody></table></section>`;
}

export function registerSettings(app: FastifyInstance, _deps: WebDeps, svc: AdminServices): void {
  const groupPage = (req: FastifyRequest, reply: FastifyReply, group: SettingGroup, o: { errors?: FieldError[]; shown?: Record<string, unknown>; status?: number; done?: boolean; test?: ListTest } = {}) => {
    const views = svc.settings.list().filter((s) => s.def.group === group);
    const title = req.t(`settings.${group}.title`);
    return page(req, reply, title, (v) => html`<h1>${title}</h1>
      <nav class="subnav" aria-label="${v.t('settings.title')}"><ul>${SETTING_GROUPS.map((g) => html`<li><a href="/settings/${g}" aria-current="${g === group ? 'page' : 'false'}">${v.t(`settings.${g}.title`)}</a></li>`)}</ul></nav>
      <p class="hint">${v.t('settings.help')}</p>
      ${notice(o.done ? v.t('settings.saved') : null)}${errorSummary(v, o.errors)}${o.test ? testResult(v, o.test) : ''}
      <form method="post" action="/settings/${group}" class="admin-form settings" data-group="${group}"><input type="hidden" name="_csrf" value="${v.csrf}">
        ${views.map((s) => settingField(v, s, o.errors, o.shown && s.key in o.shown ? o.shown[s.key] : s.value))}
        <p class="actions"><button type="submit" class="primary">${v.t('form.save')}</button></p></form>`, o.status ?? 200);
  };

  app.get<{ Params: { group: SettingGroup }; Querystring: { done?: string } }>('/settings/:group', { config: pageRoute('system-admin'), schema: { params: groupParam } }, async (req, reply) => groupPage(req, reply, req.params.group, { done: req.query.done === '1' }));
  app.get('/settings', { config: pageRoute('system-admin') }, async (_req, reply) => reply.redirect('/settings/relay', 303));

  const settingsBody = { type: 'object', additionalProperties: { type: 'string', maxLength: 100_000 }, maxProperties: 600, properties: { _csrf: { type: 'string', maxLength: 100 } } } as const;

  app.post<{ Params: { group: SettingGroup }; Body: Record<string, string> }>('/settings/:group', { config: pageRoute('system-admin'), schema: { params: groupParam, body: settingsBody } }, async (req, reply) => {
    const group = req.params.group;
    const changes: Record<string, unknown> = {};
    const shown: Record<string, unknown> = {};
    const errors: FieldError[] = [];
    for (const s of svc.settings.list().filter((x) => x.def.group === group && !x.readOnly)) {
      const p = parseField(s.def, req.body, s.value);
      if (p.error) errors.push(p.error);
      else if (p.value !== undefined) {
        shown[s.key] = p.value;
        // unchanged values are not turned into overrides
        const cur = s.def.kind.type === 'dnsbl' ? (s.value as DnsblConfig[]).map(rawDnsbl) : s.value;
        if (!same(p.value, cur ?? null)) changes[s.key] = p.value;
      }
    }
    if (!errors.length && Object.keys(changes).length) {
      const r = svc.settings.set(changes, me(req).address);
      req.audit = { action: 'settings.change', detail: { keys: Object.keys(changes).join(','), result: r.ok ? 'ok' : 'refused' } };
      if (!r.ok) errors.push(...r.errors.map(toField));
    }
    if (errors.length) return groupPage(req, reply, group, { errors, shown, status: 400 });
    return reply.redirect(`/settings/${group}?done=1`, 303);
  });

  app.post<{ Body: Record<string, string> }>('/settings/dnsbl/test', { config: pageRoute('system-admin'), schema: { body: settingsBody } }, async (req, reply) => {
    const i = Number(req.body.test);
    const list = svc.config.dnsbl[i];
    if (!Number.isInteger(i) || !list) return groupPage(req, reply, 'dnsbl', { errors: [{ field: 'dnsbl', code: 'not-found' }], status: 404 });
    const test = await testDnsbl(list, svc.config.dns.servers ?? []);
    req.audit = { action: 'dnsbl.test', detail: { list: list.name, ok: test.ok } };
    return groupPage(req, reply, 'dnsbl', { test });
  });

  // ---- API ----
  const settingSchema = { type: 'object', properties: { key: { type: 'string' }, group: { type: 'string' }, value: {}, source: { type: 'string' }, readOnly: { type: 'boolean' }, updated: { type: 'string' }, updatedBy: { type: 'string' } } };
  app.get('/api/v1/settings', {
    config: apiRoute('system-admin'),
    schema: { response: { 200: { type: 'object', properties: { version: { type: 'integer' }, settings: { type: 'array', items: settingSchema } } }, '4xx': errorSchema } },
  }, async () => ({
    version: svc.settings.version(),
    settings: svc.settings.list().map((s) => ({
      key: s.key,
      group: s.def.group,
      value: s.def.kind.type === 'dnsbl' ? (s.value as DnsblConfig[]).map(rawDnsbl) : (s.value ?? null),
      source: s.source,
      readOnly: s.readOnly,
      ...(s.updated ? { updated: new Date(s.updated).toISOString(), updatedBy: s.updatedBy } : {}),
    })),
  }));

  app.patch<{ Body: { changes: Record<string, unknown> } }>('/api/v1/settings', {
    config: apiRoute('system-admin'),
    schema: {
      body: { type: 'object', additionalProperties: false, required: ['changes'], properties: { changes: { type: 'object', minProperties: 1, maxProperties: 100 } } },
      response: { 200: { type: 'object', properties: { version: { type: 'integer' }, changed: { type: 'array', items: { type: 'string' } } } }, '4xx': errorSchema },
    },
  }, async (req, reply) => {
    const r = svc.settings.set(req.body.changes, me(req).address);
    req.audit = { action: 'settings.change', detail: { keys: Object.keys(req.body.changes).join(',') } };
    if (!r.ok) {
      const fields = r.errors.map((e) => ({ field: e.key, code: `setting-${e.code}`, message: fieldMessage(req.t, toField(e)) }));
      return reply.code(400).send({ error: 'invalid', message: fields.map((f) => f.message).join(' '), fields });
    }
    return { version: r.version, changed: r.changed };
  });

  app.post<{ Body: { name?: string; query_domain?: string; type?: 'DNS' | 'ADDR' | 'HELO' | 'RHS' } }>('/api/v1/dnsbl/test', {
    config: apiRoute('system-admin'),
    schema: { body: { type: 'object', additionalProperties: false, properties: { name: { type: 'string', maxLength: 100 }, query_domain: { type: 'string', maxLength: 253 }, type: { type: 'string', enum: ['DNS', 'ADDR', 'HELO', 'RHS'] } } } },
  }, async (req, reply) => {
    const b = req.body;
    const known = b.name ? svc.config.dnsbl.find((l) => l.name === b.name) : undefined;
    if (b.name && !known) return reply.code(404).send({ error: 'not-found', message: req.t('field.not-found') });
    const def = settingDef('dnsbl');
    if (!known && (!b.query_domain || !def)) return reply.code(400).send({ error: 'invalid', message: req.t('field.setting-not-domain', { detail: '' }) });
    const list = known ?? { name: b.query_domain!, query_domain: b.query_domain!, type: b.type ?? 'DNS', server: '*', timeout: 2000, tcp_first: false };
    if (!/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i.test(list.query_domain)) return reply.code(400).send({ error: 'invalid', message: req.t('field.setting-not-domain', { detail: list.query_domain }) });
    req.audit = { action: 'dnsbl.test', detail: { list: list.name } };
    return testDnsbl(list, svc.config.dns.servers ?? []);
  });
}
