// The user's own rules (IMail form, engine/web/rule-form.ts) and raw Sieve scripts: the same script store
// ManageSieve and `tegami sieve` use, the same checks (putScript: name, size, syntax with line and column, count).
// The owner is always the signed-in account (never a form field), so no one writes another account's script; a
// hand-written active script is never overwritten by the form, and a refused script changes nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LoadedConfig } from '../../config/load.js';
import type { JmapService } from '../../jmap/service.js';
import { sieve as sieveSchema } from '../../config/schema-features.js';
import { compileRules, readRuleScript } from '../../sieve/index.js';
import { SqliteRulesStore } from '../../rules/sqlite-store.js';
import { checkScript, putScript } from '../../rules/script-ops.js';
import { sieveOptions } from '../../rules/scripts.js';
import type { ScriptStore } from '../../rules/store.js';
import { boolAttr, html } from '../html.js';
import { CSRF_FIELD } from '../csrf.js';
import { hiddenCsrf, viewOf } from '../layout.js';
import { requireRole } from '../roles.js';
import { errorsByRule, scriptProblem, ruleRows, rulesFromForm, rulesOfSet, toRuleSet, type RawRule } from '../rule-form.js';
import { apiFor } from './list-page.js';
import { mailboxes } from './mail-api.js';
import { folderList, mailPage, sendMailError } from './views.js';

const access = { access: { guard: requireRole('signed-in') } };
const csrf = { [CSRF_FIELD]: { type: 'string', maxLength: 100 } } as const;
/** The script the form writes when the user has no active script yet (the CLI and admin page use the same name). */
const FORM_SCRIPT = 'rules';
const NAME = { type: 'string', minLength: 1, maxLength: 128 } as const;

type Done = 'form' | 'script' | 'activate' | 'deactivate' | 'delete';
interface Shown {
  rules?: RawRule[];
  errors?: Map<number, string[]>;
  formProblem?: string;
  edit?: { name: string; text: string };
  rawErrors?: string[];
  problem?: string;
  done?: Done;
  status?: number;
}

export interface RulesPageDeps {
  svc: JmapService;
  /** [sieve] of the configuration (extensions and limits); the defaults when absent. */
  sieve?: Pick<LoadedConfig, 'sieve'>;
  store?: ScriptStore;
}

export function registerRulesPage(app: FastifyInstance, d: RulesPageDeps): void {
  const { svc } = d;
  const config = d.sieve ?? { sieve: sieveSchema.parse({}) };
  const store = d.store ?? new SqliteRulesStore(svc.deps.db);
  const opts = { extensions: sieveOptions(config).extensions };
  const owner = (req: FastifyRequest) => req.caller!.user.address.toLowerCase();

  const show = async (req: FastifyRequest, reply: FastifyReply, o: Shown = {}) => {
    const v = viewOf(req, reply, 'webmail');
    const me = owner(req);
    const scripts = store.listScripts(me);
    const active = scripts.find((s) => s.active) ?? null;
    const read = active ? readRuleScript(active.text, opts) : null;
    const rules = o.rules ?? (read?.kind === 'form' ? rulesOfSet(read.rules) : []);
    const edit = o.edit ?? { name: '', text: '' };
    const content = html`<h1>${v.t('myrules.title')}</h1>
      ${o.done ? html`<p class="notice" role="status" data-done="${o.done}">${v.t(`myrules.done.${o.done}`)}</p>` : ''}
      ${o.problem ? html`<p class="error" role="alert">${o.problem}</p>` : ''}
      <section id="rule-form"><h2>${v.t('rules.form')}</h2>
        ${read?.kind === 'raw' ? html`<p class="notice" data-raw-active="${active!.name}">${v.t('myrules.rawActive', { name: active!.name })}</p>` : html`
        <p class="hint">${v.t('myrules.formHint')}</p>
        ${o.formProblem ? html`<p class="error" role="alert" data-form="rules">${o.formProblem}</p>` : ''}
        <form method="post" action="/settings/rules/form" class="rules">${hiddenCsrf(v)}${ruleRows(v, rules, o.errors ?? new Map())}
          <p><button type="submit" class="primary">${v.t('rules.save')}</button></p></form>`}
      </section>
      <section id="scripts"><h2>${v.t('myrules.scripts')}</h2>
        ${scripts.length ? html`<table class="scripts"><thead><tr><th>${v.t('myrules.name')}</th><th>${v.t('myrules.state')}</th><th></th></tr></thead><tbody>
          ${scripts.map((s) => html`<tr data-script="${s.name}"${boolAttr('data-active', s.active)}><td><a href="/settings/rules?script=${encodeURIComponent(s.name)}#raw">${s.name}</a></td>
            <td>${v.t(s.active ? 'myrules.active' : 'myrules.inactive')}</td>
            <td><form method="post" action="/settings/rules/activate" class="inline">${hiddenCsrf(v)}<input type="hidden" name="name" value="${s.active ? '' : s.name}"><button type="submit">${v.t(s.active ? 'myrules.deactivate' : 'myrules.activate')}</button></form>
              ${s.active ? '' : html`<form method="post" action="/settings/rules/delete" class="inline">${hiddenCsrf(v)}<input type="hidden" name="name" value="${s.name}"><button type="submit" class="danger">${v.t('myrules.delete')}</button></form>`}</td></tr>`)}
          </tbody></table>` : html`<p class="hint">${v.t('myrules.none')}</p>`}
      </section>
      <section id="raw"><h2>${v.t('rules.raw')}</h2>
        <form method="post" action="/settings/rules/script">${hiddenCsrf(v)}
          <p><label for="s-name">${v.t('myrules.name')}</label><input id="s-name" name="name" type="text" maxlength="128" required value="${edit.name}"></p>
          <p><label for="s-text">${v.t('rules.script')}</label><textarea id="s-text" name="script" rows="14" spellcheck="false">
${edit.text}</textarea></p>
          ${(o.rawErrors ?? []).map((e) => html`<p class="field-error" role="alert" data-field="script">${e}</p>`)}
          <p><label class="inline"><input type="checkbox" name="activate" value="1"> ${v.t('myrules.activateToo')}</label></p>
          <p><button type="submit" class="primary">${v.t('rules.save')}</button></p></form>
      </section>`;
    return mailPage(req, reply, v.t('myrules.title'), folderList(v, await mailboxes(apiFor(svc, req)), null), content, o.status ?? 200);
  };
  const guarded = (fn: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      return await fn(req, reply);
    } catch (e) {
      return sendMailError(req, reply, e);
    }
  };

  app.get('/settings/rules', { config: access }, guarded(async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const done = typeof q.done === 'string' && ['form', 'script', 'activate', 'deactivate', 'delete'].includes(q.done) ? (q.done as Done) : undefined;
    const s = typeof q.script === 'string' ? store.getScript(owner(req), q.script) : null;
    return show(req, reply, { done, ...(s ? { edit: { name: s.name, text: s.text } } : {}) });
  }));

  const back = (reply: FastifyReply, done: Done) => reply.redirect(`/settings/rules?done=${done}`, 303);

  app.post('/settings/rules/form', {
    config: access,
    schema: { body: { type: 'object', additionalProperties: { type: 'string', maxLength: 2000 }, maxProperties: 1200, properties: { ...csrf } } },
  }, guarded(async (req, reply) => {
    const me = owner(req);
    const rules = rulesFromForm(req.body as Record<string, string>);
    const active = store.activeScript(me);
    if (active && readRuleScript(active.text, opts).kind === 'raw') {
      req.audit = { action: 'rules.form', result: 'denied', detail: { reason: 'raw script active' } };
      return show(req, reply, { rules, formProblem: req.t('myrules.rawActive', { name: active.name }), status: 409 });
    }
    const r = compileRules(toRuleSet(rules, 'user'), opts);
    if (!r.ok) return show(req, reply, { rules, errors: errorsByRule(req.t, r.errors), status: 400 });
    const name = active?.name ?? FORM_SCRIPT;
    const put = putScript(config, store, me, name, r.script);
    if (!put.ok) return show(req, reply, { rules, formProblem: scriptProblem(req.t, put).join(' '), status: 400 });
    if (!active) store.setActive(me, name);
    req.audit = { action: 'rules.form', detail: { rules: rules.length } };
    return back(reply, 'form');
  }));

  app.post('/settings/rules/script', {
    config: access,
    schema: { body: { type: 'object', additionalProperties: false, required: ['name', 'script'], properties: { name: NAME, script: { type: 'string', maxLength: 1024 * 1024 }, activate: { type: 'string', enum: ['1'] }, ...csrf } } },
  }, guarded(async (req, reply) => {
    const b = req.body as { name: string; script: string; activate?: '1' };
    const me = owner(req);
    const text = b.script.replace(/\r\n?/g, '\n');
    const check = checkScript(config, text);
    const put = check.ok ? putScript(config, store, me, b.name, text) : check;
    req.audit = { action: 'sieve.put', detail: { name: b.name, ok: put.ok } };
    if (!put.ok) {
      const rawErrors = scriptProblem(req.t, put);
      return show(req, reply, { edit: { name: b.name, text: b.script }, rawErrors, status: 400 });
    }
    if (b.activate === '1') store.setActive(me, b.name);
    return back(reply, 'script');
  }));

  app.post('/settings/rules/activate', {
    config: access,
    schema: { body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', maxLength: 128 }, ...csrf } } },
  }, guarded(async (req, reply) => {
    const name = (req.body as { name: string }).name;
    const ok = store.setActive(owner(req), name || null);
    req.audit = { action: 'sieve.activate', detail: { name, ok } };
    if (!ok) return show(req, reply, { problem: req.t('myrules.missing', { name }), status: 404 });
    return back(reply, name ? 'activate' : 'deactivate');
  }));

  app.post('/settings/rules/delete', {
    config: access,
    schema: { body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: NAME, ...csrf } } },
  }, guarded(async (req, reply) => {
    const name = (req.body as { name: string }).name;
    const out = store.deleteScript(owner(req), name);
    req.audit = { action: 'sieve.delete', detail: { name, outcome: out } };
    if (out === 'missing') return show(req, reply, { problem: req.t('myrules.missing', { name }), status: 404 });
    if (out === 'active') return show(req, reply, { problem: req.t('myrules.deleteActive', { name }), status: 409 });
    return back(reply, 'delete');
  }));
}
