// The caller's own API tokens as a page (/tokens), for every admin: the list (label, created, last used),
// a new token (shown once on the answer to the form, never in a URL; only its hash is kept), and revoking one.
// A token carries its owner's rights as they are when it is used; nobody sees or revokes another's here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html } from '../html.js';
import type { WebDeps } from '../types.js';
import { errorFor, formBody, me, page, pageRoute, when, type FieldError } from './common.js';
import { buttonForm, errorSummary, form, input, notice } from './forms.js';

const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^\\d{1,12}$' } } } as const;

export function registerTokens(app: FastifyInstance, deps: WebDeps): void {
  const show = (req: FastifyRequest, reply: FastifyReply, o: { fresh?: string; done?: string; errors?: FieldError[]; status?: number } = {}) => {
    const tokens = deps.tokens.list(me(req).address);
    return page(req, reply, req.t('tokens.title'), (v) => html`<h1>${v.t('tokens.title')}</h1>${notice(o.done === 'revoked' ? v.t('tokens.revoked') : null)}${errorSummary(v, o.errors)}
      <p>${v.t('tokens.help')}</p>
      ${o.fresh ? html`<section class="new-token" aria-labelledby="new-token-h"><h2 id="new-token-h">${v.t('tokens.new')}</h2><p><code id="new-token">${o.fresh}</code></p></section>` : ''}
      ${tokens.length ? html`<table class="tokens"><thead><tr><th scope="col">${v.t('tokens.label')}</th><th scope="col">${v.t('tokens.created')}</th><th scope="col">${v.t('tokens.lastUsed')}</th><th scope="col"><span class="sr">${v.t('tokens.revoke')}</span></th></tr></thead>
        <tbody>${tokens.map((tk) => html`<tr data-token="${String(tk.id)}"><td>${tk.label}</td><td>${when(tk.created, v.locale)}</td><td>${tk.lastUsed ? when(tk.lastUsed, v.locale) : v.t('tokens.never')}</td>
          <td>${buttonForm(v, `/tokens/${tk.id}/revoke`, v.t('tokens.revoke'), { cls: 'danger', confirm: v.t('tokens.revokeConfirm', { label: tk.label || String(tk.id) }) })}</td></tr>`)}</tbody></table>`
        : html`<p class="empty">${v.t('tokens.none')}</p>`}
      <section aria-labelledby="create-h"><h2 id="create-h">${v.t('tokens.create')}</h2>
        ${form(v, '/tokens', input(v, { name: 'label', label: v.t('tokens.label'), value: '', maxlength: 100, error: errorFor(o.errors, 'label') }), { submit: v.t('tokens.create') })}</section>`, o.status ?? 200);
  };

  app.get<{ Querystring: { done?: string } }>('/tokens', { config: pageRoute('any-admin'), schema: { querystring: { type: 'object', additionalProperties: false, properties: { done: { type: 'string', maxLength: 20 } } } } }, async (req, reply) => show(req, reply, { done: req.query.done }));

  app.post<{ Body: { label?: string } }>('/tokens', { config: pageRoute('any-admin'), schema: { body: formBody({ label: 100 }) } }, async (req, reply) => {
    const label = (req.body.label ?? '').trim();
    if (/[\x00-\x1f\x7f]/.test(label)) return show(req, reply, { errors: [{ field: 'label', code: 'control-chars' }], status: 400 });
    const { token, info } = deps.tokens.create(me(req).address, label);
    req.audit = { action: 'token.create', detail: { token_id: info.id } };
    return show(req, reply, { fresh: token });
  });

  app.post<{ Params: { id: string } }>('/tokens/:id/revoke', { config: pageRoute('any-admin'), schema: { params: idParam, body: formBody({}) } }, async (req, reply) => {
    const id = Number(req.params.id);
    const ok = deps.tokens.revoke(id, me(req).address);
    req.audit = { action: 'token.revoke', detail: { token_id: id } };
    if (!ok) return show(req, reply, { errors: [{ field: 'token', code: 'not-found' }], status: 404 });
    return reply.redirect('/tokens?done=revoked', 303);
  });
}
