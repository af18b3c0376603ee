// Domain rules (host admin of the domain, or system admin): the IMail rule form (engine/sieve/rule-form.ts,
// compiled to Sieve) and raw Sieve, each checked by the Sieve parser before anything could be saved, errors
// shown next to the rule or with the script's line and column. Saving needs the script store of the Sieve
// integration (AdminServices.rules); until it is wired the page checks and shows the script but saves nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { compileRules, parseScript, readRuleScript, type RuleSetInput } from '../../sieve/index.js';
import { boolAttr, html, type SafeHtml } from '../html.js';
import type { View } from '../layout.js';
import { requireRole } from '../roles.js';
import { sendDenied } from '../errors.js';
import type { WebDeps } from '../types.js';
import { apiRoute, domainAdminGuard, errorSchema, formBody, me, page, pageRoute } from './common.js';
import { notice, textarea } from './forms.js';
import type { AdminServices } from './services.js';

const domainGuard = requireRole({ domain: (req) => (req.params as { domain?: string }).domain });
const domainParam = { type: 'object', required: ['domain'], properties: { domain: { type: 'string', minLength: 1, maxLength: 253 } } } as const;
const FIELDS = ['subject', 'from', 'to', 'sender', 'header', 'body'] as const;
const OPS = ['contains', 'not-contains', 'is', 'matches', 'regex'] as const;
const ACTIONS = ['move', 'copy', 'forward', 'delete', 'add-header', 'stop'] as const;
const MAX_RULES = 50;
const CONDS = 3;

type RawRule = { name: string; enabled: boolean; match: string; conditions: { field: string; header: string; op: string; value: string }[]; action: { type: string; arg: string } };

/** The form's fields (r.N.*) as rules; rows left empty are dropped. */
function rulesFromForm(b: Record<string, string>): RawRule[] {
  const out: RawRule[] = [];
  for (let i = 0; i < MAX_RULES; i++) {
    if (b[`r.${i}.action`] === undefined) continue;
    const conditions = [];
    for (let c = 0; c < CONDS; c++) {
      const value = b[`r.${i}.c.${c}.value`] ?? '';
      if (!value) continue;
      conditions.push({ field: b[`r.${i}.c.${c}.field`] ?? 'subject', header: b[`r.${i}.c.${c}.header`] ?? '', op: b[`r.${i}.c.${c}.op`] ?? 'contains', value });
    }
    const action = { type: b[`r.${i}.action`] ?? '', arg: b[`r.${i}.arg`] ?? '' };
    // the page always offers one more, empty row (its action select still says "move"): nothing typed in it, no rule
    if (!conditions.length && !action.arg && !b[`r.${i}.name`]) continue;
    out.push({ name: b[`r.${i}.name`] ?? '', enabled: b[`r.${i}.enabled`] === 'on', match: b[`r.${i}.match`] === 'any' ? 'any' : 'all', conditions, action });
  }
  return out;
}

function toRuleSet(rules: RawRule[]): RuleSetInput {
  return {
    scope: 'domain',
    rules: rules.map((r) => ({
      name: r.name,
      enabled: r.enabled,
      match: r.match as 'all' | 'any',
      conditions: r.conditions.map((c) => ({ field: c.field as (typeof FIELDS)[number], op: c.op as (typeof OPS)[number], value: c.value, ...(c.field === 'header' ? { header: c.header } : {}) })),
      actions: [actionOf(r.action)] as never,
    })),
  };
}

function actionOf(a: { type: string; arg: string }): Record<string, unknown> {
  switch (a.type) {
    case 'move':
    case 'copy':
      return { type: a.type, folder: a.arg };
    case 'forward':
      return { type: 'forward', address: a.arg };
    case 'add-header': {
      const [name, ...value] = a.arg.split(':');
      return { type: 'add-header', name: name.trim(), value: value.join(':').trim() };
    }
    default:
      return { type: a.type };
  }
}

function ruleRows(v: View, rules: RawRule[], errors: Map<number, string[]>): SafeHtml {
  const rows = [...rules, { name: '', enabled: true, match: 'all', conditions: [], action: { type: 'move', arg: '' } }];
  return html`${rows.map((r, i) => html`<fieldset class="rule" data-rule="${String(i)}"><legend>${v.t('rules.rule', { n: i + 1 })}</legend>
    ${(errors.get(i) ?? []).map((e) => html`<p class="field-error" role="alert">${e}</p>`)}
    <p><label for="r${String(i)}n">${v.t('rules.name')}</label><input id="r${String(i)}n" name="r.${String(i)}.name" value="${r.name}" maxlength="100">
      <input id="r${String(i)}e" type="checkbox" name="r.${String(i)}.enabled" value="on"${boolAttr('checked', r.enabled)}><label for="r${String(i)}e">${v.t('rules.enabled')}</label>
      <select name="r.${String(i)}.match" aria-label="${v.t('rules.match')}"><option value="all"${boolAttr('selected', r.match !== 'any')}>${v.t('rules.all')}</option><option value="any"${boolAttr('selected', r.match === 'any')}>${v.t('rules.any')}</option></select></p>
    ${Array.from({ length: CONDS }, (_, c) => {
      const x = r.conditions[c] ?? { field: 'subject', header: '', op: 'contains', value: '' };
      const n = (f: string) => `r.${i}.c.${c}.${f}`;
      return html`<p class="cond"><select name="${n('field')}" aria-label="${v.t('rules.field')}">${FIELDS.map((f) => html`<option value="${f}"${boolAttr('selected', f === x.field)}>${v.t(`rules.fields.${f}`)}</option>`)}</select>
        <input name="${n('header')}" value="${x.header}" maxlength="76" placeholder="${v.t('rules.headerName')}" aria-label="${v.t('rules.headerName')}">
        <select name="${n('op')}" aria-label="${v.t('rules.op')}">${OPS.map((o) => html`<option value="${o}"${boolAttr('selected', o === x.op)}>${v.t(`rules.ops.${o}`)}</option>`)}</select>
        <input name="${n('value')}" value="${x.value}" maxlength="1024" aria-label="${v.t('rules.value')}"></p>`;
    })}
    <p class="action"><select name="r.${String(i)}.action" aria-label="${v.t('rules.action')}">${ACTIONS.map((a) => html`<option value="${a}"${boolAttr('selected', a === r.action.type)}>${v.t(`rules.actions.${a}`)}</option>`)}</select>
      <input name="r.${String(i)}.arg" value="${r.action.arg}" maxlength="1000" placeholder="${v.t('rules.arg')}" aria-label="${v.t('rules.arg')}"></p></fieldset>`)}`;
}

export function registerRules(app: FastifyInstance, deps: WebDeps, svc: AdminServices): void {
  const show = (req: FastifyRequest<{ Params: { domain: string } }>, reply: FastifyReply, o: { rules?: RawRule[]; raw?: string; script?: string; errors?: Map<number, string[]>; rawErrors?: string[]; checked?: boolean; status?: number } = {}) => {
    const domain = deps.directory.localDomain(req.params.domain) ?? req.params.domain;
    const stored = svc.rules?.get(domain) ?? null;
    const form = stored ? readRuleScript(stored) : null;
    const rules = o.rules ?? (form?.kind === 'form' ? form.rules.rules.map((r) => ({ name: r.name, enabled: r.enabled, match: r.match, conditions: r.conditions.map((c) => ({ field: c.field, header: c.header ?? '', op: c.op, value: c.value })), action: { type: r.actions[0].type, arg: argOf(r.actions[0]) } })) : []);
    const title = req.t('rules.title', { domain });
    return page(req, reply, title, (v) => html`<h1>${title}</h1>
      ${svc.rules ? '' : html`<p class="notice" id="rules-not-saved">${v.t('rules.noStore')}</p>`}
      ${notice(o.checked && !o.errors?.size && !o.rawErrors?.length ? v.t('rules.ok') : null)}
      <section aria-labelledby="form-h"><h2 id="form-h">${v.t('rules.form')}</h2>
        <form method="post" action="/rules/${domain}/form" class="admin-form rules"><input type="hidden" name="_csrf" value="${v.csrf}">${ruleRows(v, rules, o.errors ?? new Map())}
          <p class="actions"><button type="submit" class="primary">${v.t(svc.rules ? 'rules.save' : 'rules.check')}</button></p></form></section>
      ${o.script ? html`<section aria-labelledby="script-h"><h2 id="script-h">${v.t('rules.compiled')}</h2><pre id="compiled">${o.script}</pre></section>` : ''}
      <section aria-labelledby="raw-h"><h2 id="raw-h">${v.t('rules.raw')}</h2>
        <form method="post" action="/rules/${domain}/raw" class="admin-form"><input type="hidden" name="_csrf" value="${v.csrf}">
          ${textarea(v, { name: 'script', label: v.t('rules.script'), value: o.raw ?? (form?.kind === 'raw' ? stored! : ''), rows: 12, maxlength: 256 * 1024 })}
          ${(o.rawErrors ?? []).map((e) => html`<p class="field-error" role="alert" data-field="script">${e}</p>`)}
          <p class="actions"><button type="submit" class="primary">${v.t(svc.rules ? 'rules.save' : 'rules.check')}</button></p></form></section>`, o.status ?? 200);
  };

  app.get<{ Params: { domain: string } }>('/rules/:domain', { config: pageRoute(domainGuard), schema: { params: domainParam } }, async (req, reply) => show(req, reply));
  app.get('/rules', { config: pageRoute(domainAdminGuard(deps.directory)) }, async (req, reply) => {
    const d = deps.directory.domains().find((x) => !x.aliasOf && deps.roles.canAdminDomain(me(req), x.name));
    if (!d) return sendDenied(req, reply, 'admin', 403, req.routeOptions.config.access, 'no domain to administer');
    return reply.redirect(`/rules/${d.name}`, 303);
  });

  const formSchema = { type: 'object', additionalProperties: { type: 'string', maxLength: 2000 }, maxProperties: 1200, properties: { _csrf: { type: 'string', maxLength: 100 } } } as const;

  app.post<{ Params: { domain: string }; Body: Record<string, string> }>('/rules/:domain/form', { config: pageRoute(domainGuard), schema: { params: domainParam, body: formSchema } }, async (req, reply) => {
    const rules = rulesFromForm(req.body);
    const r = compileRules(toRuleSet(rules));
    req.audit = { action: 'rules.form', detail: { domain: req.params.domain, ok: r.ok } };
    if (!r.ok) {
      const errors = new Map<number, string[]>();
      for (const e of r.errors) {
        const m = /^rules\.(\d+)/.exec(e.path);
        const i = m ? Number(m[1]) : 0;
        errors.set(i, [...(errors.get(i) ?? []), req.t('rules.error', { where: e.path.replace(/^rules\.\d+\.?/, ''), message: e.message })]);
      }
      return show(req, reply, { rules, errors, checked: true, status: 400 });
    }
    svc.rules?.put(deps.directory.localDomain(req.params.domain) ?? req.params.domain, r.script, me(req).address);
    return show(req, reply, { rules, script: r.script, checked: true });
  });

  app.post<{ Params: { domain: string }; Body: { script?: string } }>('/rules/:domain/raw', { config: pageRoute(domainGuard), schema: { params: domainParam, body: formBody({ script: 256 * 1024 }) } }, async (req, reply) => {
    const text = req.body.script ?? '';
    const p = parseScript(text);
    req.audit = { action: 'rules.raw', detail: { domain: req.params.domain, ok: p.ok } };
    if (!p.ok) return show(req, reply, { raw: text, rawErrors: p.errors.map((e) => req.t('rules.syntax', { line: e.line, column: e.column, message: e.message })), checked: true, status: 400 });
    svc.rules?.put(deps.directory.localDomain(req.params.domain) ?? req.params.domain, text, me(req).address);
    return show(req, reply, { raw: text, checked: true });
  });

  app.post<{ Params: { domain: string }; Body: { script?: string; rules?: RuleSetInput['rules'] } }>('/api/v1/rules/:domain/check', {
    config: apiRoute(domainGuard),
    schema: { params: domainParam, body: { type: 'object', additionalProperties: false, properties: { script: { type: 'string', maxLength: 256 * 1024 }, rules: { type: 'array', maxItems: 500 } } }, response: { '4xx': errorSchema } },
  }, async (req) => {
    if (req.body.rules) {
      const r = compileRules({ scope: 'domain', rules: req.body.rules });
      return r.ok ? { ok: true, script: r.script } : { ok: false, errors: r.errors };
    }
    const p = parseScript(req.body.script ?? '');
    return p.ok ? { ok: true } : { ok: false, errors: p.errors.map((e) => ({ path: `script:${e.line}:${e.column}`, message: e.message })) };
  });
}

function argOf(a: { type: string } & Record<string, unknown>): string {
  if (a.type === 'move' || a.type === 'copy') return String(a.folder ?? '');
  if (a.type === 'forward') return String(a.address ?? '');
  if (a.type === 'add-header') return `${String(a.name ?? '')}: ${String(a.value ?? '')}`;
  return '';
}
