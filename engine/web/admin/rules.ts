// Domain rules (host admin of the domain, or system admin): the IMail rule form (engine/sieve/rule-form.ts,
// compiled to Sieve) and raw Sieve, each checked by the Sieve parser before anything could be saved, errors
// shown next to the rule or with the script's line and column. Saving needs the script store of the Sieve
// integration (AdminServices.rules); until it is wired the page checks and shows the script but saves nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { compileRules, parseScript, readRuleScript, type RuleSetInput } from '../../sieve/index.js';
import { html } from '../html.js';
import { errorsByRule, sieveErrorLine, ruleRows, rulesFromForm, rulesOfSet, toRuleSet, type RawRule } from '../rule-form.js';
import { requireRole } from '../roles.js';
import { sendDenied } from '../errors.js';
import type { WebDeps } from '../types.js';
import { apiRoute, domainAdminGuard, errorSchema, formBody, me, page, pageRoute } from './common.js';
import { notice, textarea } from './forms.js';
import type { AdminServices } from './services.js';

const domainGuard = requireRole({ domain: (req) => (req.params as { domain?: string }).domain });
const domainParam = { type: 'object', required: ['domain'], properties: { domain: { type: 'string', minLength: 1, maxLength: 253 } } } as const;
export function registerRules(app: FastifyInstance, deps: WebDeps, svc: AdminServices): void {
  const show = (req: FastifyRequest<{ Params: { domain: string } }>, reply: FastifyReply, o: { rules?: RawRule[]; raw?: string; script?: string; errors?: Map<number, string[]>; rawErrors?: string[]; checked?: boolean; status?: number } = {}) => {
    const domain = deps.directory.localDomain(req.params.domain) ?? req.params.domain;
    const stored = svc.rules?.get(domain) ?? null;
    const form = stored ? readRuleScript(stored) : null;
    const rules = o.rules ?? (form?.kind === 'form' ? rulesOfSet(form.rules) : []);
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
    const r = compileRules(toRuleSet(rules, 'domain'));
    req.audit = { action: 'rules.form', detail: { domain: req.params.domain, ok: r.ok } };
    if (!r.ok) {
      return show(req, reply, { rules, errors: errorsByRule(req.t, r.errors), checked: true, status: 400 });
    }
    svc.rules?.put(deps.directory.localDomain(req.params.domain) ?? req.params.domain, r.script, me(req).address);
    return show(req, reply, { rules, script: r.script, checked: true });
  });

  app.post<{ Params: { domain: string }; Body: { script?: string } }>('/rules/:domain/raw', { config: pageRoute(domainGuard), schema: { params: domainParam, body: formBody({ script: 256 * 1024 }) } }, async (req, reply) => {
    const text = req.body.script ?? '';
    const p = parseScript(text);
    req.audit = { action: 'rules.raw', detail: { domain: req.params.domain, ok: p.ok } };
    if (!p.ok) return show(req, reply, { raw: text, rawErrors: p.errors.map((e) => sieveErrorLine(req.t, e)), checked: true, status: 400 });
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
