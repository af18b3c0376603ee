// The queue pages and API (system admin): the `tegami queue` operations through the same QueueAdmin the
// control socket uses, so the running scheduler sees every change — list with filters, a message's envelope
// and headers (shown as text: a hostile header renders escaped), retry, hold, release, delete (with or
// without a bounce), and the same four for every message to one recipient domain (`tegami queue … --domain`;
// holding a domain holds its new mail too, until released). The list stays live: web.js polls the API and
// reloads the table when the queue changed.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QUEUE_ID } from '../../spool/envelope.js';
import type { QueueEntry } from '../../queue/control.js';
import { boolAttr, html, type SafeHtml } from '../html.js';
import { formatNumber } from '../i18n.js';
import type { View } from '../layout.js';
import type { WebDeps } from '../types.js';
import { apiRoute, checked, errorSchema, formBody, page, pageRoute, query, when } from './common.js';
import { buttonForm, notice } from './forms.js';
import type { AdminServices } from './services.js';

const STATES = ['incoming', 'active', 'deferred', 'hold'] as const;
const ACTIONS = ['retry', 'hold', 'release', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: QUEUE_ID.source, maxLength: 64 } } } as const;
interface ListQuery {
  state?: string;
  domain?: string;
  q?: string;
  done?: string;
  n?: string;
}
const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { state: { type: 'string', enum: [...STATES] }, domain: { type: 'string', maxLength: 253 }, q: { type: 'string', maxLength: 200 }, done: { type: 'string', maxLength: 20 }, n: { type: 'string', pattern: '^\\d{1,9}$' } },
} as const;

/** A recipient domain as the forms and the API take it (the queue's own matching is case-insensitive). */
const DOMAIN = /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const domainActionParam = { type: 'object', required: ['action'], properties: { action: { type: 'string', enum: [...ACTIONS] } } } as const;

const recipientSchema = {
  type: 'object',
  properties: { address: { type: 'string' }, kind: { type: 'string' }, status: { type: 'string' }, attempts: { type: 'integer' }, next_attempt: { type: ['string', 'null'] }, last_attempt: { type: ['string', 'null'] }, last_error: { type: ['string', 'null'] }, held: { type: 'boolean' } },
};
const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, arrival: { type: 'string' }, age_seconds: { type: 'integer' }, sender: { type: 'string' }, size: { type: 'integer' }, state: { type: 'string' },
    next_attempt: { type: ['string', 'null'] }, last_error: { type: ['string', 'null'] }, recipients: { type: 'array', items: recipientSchema },
  },
};

/** A text filter over what the list shows: queue id, sender or a recipient (case-insensitive substring). */
function matches(e: QueueEntry, q: string): boolean {
  if (!q) return true;
  const s = q.toLowerCase();
  return e.id.toLowerCase().includes(s) || e.sender.toLowerCase().includes(s) || e.recipients.some((r) => r.address.toLowerCase().includes(s));
}

/** What changed in the list since it was drawn: the ids with their states, for web.js to compare. */
const signature = (list: QueueEntry[]) => list.map((e) => `${e.id}:${e.state}`).sort().join(',');

function age(v: View, seconds: number): string {
  if (seconds < 3600) return v.t('queue.ageMinutes', { n: Math.floor(seconds / 60) });
  if (seconds < 86_400) return v.t('queue.ageHours', { n: Math.floor(seconds / 3600) });
  return v.t('queue.ageDays', { n: Math.floor(seconds / 86_400) });
}

function actionButtons(v: View, e: Pick<QueueEntry, 'id' | 'state'>): SafeHtml {
  const base = `/queue/${e.id}`;
  return html`<span class="row-actions">${buttonForm(v, `${base}/retry`, v.t('queue.retry'))}
    ${e.state === 'hold' ? buttonForm(v, `${base}/release`, v.t('queue.release'), { cls: 'release' }) : buttonForm(v, `${base}/hold`, v.t('queue.hold'), { cls: 'hold' })}
    ${buttonForm(v, `${base}/delete`, v.t('queue.delete'), { confirm: v.t('queue.deleteConfirm', { id: e.id }), cls: 'danger' })}</span>`;
}

export function registerQueue(app: FastifyInstance, _deps: WebDeps, svc: AdminServices): void {
  const list = async (f: { state?: string; domain?: string; q?: string }) => (await svc.queue.list({ state: f.state, domain: f.domain })).filter((e) => matches(e, (f.q ?? '').trim()));

  const queuePage = async (req: FastifyRequest, reply: FastifyReply, f: ListQuery, domainError?: string) => {
    const entries = domainError ? [] : await list(f);
    const api = `/api/v1/queue${query({ state: f.state, domain: f.domain, q: f.q })}`;
    const byDomain = f.done?.startsWith('domain-') ? f.done.slice(7) : null;
    const done = byDomain && (ACTIONS as readonly string[]).includes(byDomain) && f.domain
      ? req.t(`queue.doneDomain.${byDomain}`, { count: Number(f.n ?? 0), domain: f.domain })
      : f.done && (ACTIONS as readonly string[]).includes(f.done) ? req.t(`queue.done.${f.done}`) : null;
    const d = (f.domain ?? '').trim().toLowerCase();
    return page(req, reply, req.t('queue.title'), (v) => html`<h1>${v.t('queue.title')}</h1>${notice(done)}
      ${domainError ? html`<p class="field-error" id="domain-error" role="alert" data-field="domain">${domainError}</p>` : ''}
      <form class="filters" method="get" action="/queue" role="search">
        <label for="q-state">${v.t('queue.state')}</label><select id="q-state" name="state"><option value="">${v.t('queue.anyState')}</option>${STATES.map((s) => html`<option value="${s}"${boolAttr('selected', s === f.state)}>${v.t(`queue.states.${s}`)}</option>`)}</select>
        <label for="q-domain">${v.t('queue.domain')}</label><input id="q-domain" name="domain" value="${f.domain ?? ''}" maxlength="253">
        <label for="q-text">${v.t('queue.search')}</label><input id="q-text" name="q" type="search" value="${f.q ?? ''}" maxlength="200">
        <button type="submit">${v.t('queue.filter')}</button></form>
      <p class="count" id="queue-count" data-live="${api}" data-signature="${signature(entries)}">${v.t('queue.count', { count: formatNumber(entries.length, v.locale) })}</p>
      ${entries.length ? html`<table class="queue"><thead><tr><th scope="col">${v.t('queue.id')}</th><th scope="col">${v.t('queue.arrival')}</th><th scope="col">${v.t('queue.sender')}</th><th scope="col">${v.t('queue.recipients')}</th><th scope="col">${v.t('queue.state')}</th><th scope="col">${v.t('queue.lastError')}</th><th scope="col">${v.t('queue.actions')}</th></tr></thead>
        <tbody>${entries.map((e) => html`<tr data-id="${e.id}" data-state="${e.state}"><td><a href="/queue/${e.id}">${e.id}</a></td><td><time datetime="${e.arrival}">${when(Date.parse(e.arrival), v.locale)}</time> <span class="age">${age(v, e.age_seconds)}</span></td>
          <td>${e.sender || '<>'}</td><td>${e.recipients.map((r) => r.address).join(', ')}</td><td>${v.t(`queue.states.${e.state}`)}</td><td>${e.last_error ?? ''}</td><td>${actionButtons(v, e)}</td></tr>`)}</tbody></table>`
        : html`<p class="empty">${v.t('queue.empty')}</p>`}
      ${d && DOMAIN.test(d) && !domainError ? html`<section class="domain-actions" aria-labelledby="dom-h" data-domain="${d}"><h2 id="dom-h">${v.t('queue.domainActions.title', { domain: d })}</h2>
        <p class="row-actions">${ACTIONS.map((a) => buttonForm(v, `/queue/by-domain/${a}`, v.t(`queue.domainActions.${a}`), { name: 'domain', value: d, cls: a === 'delete' ? 'danger' : a, confirm: a === 'delete' ? v.t('queue.domainActions.deleteConfirm', { domain: d }) : undefined }))}</p></section>` : ''}`, domainError ? 400 : 200);
  };

  app.get<{ Querystring: ListQuery }>('/queue', { config: pageRoute('system-admin'), schema: { querystring: listQuery } }, async (req, reply) => queuePage(req, reply, req.query));

  /** Every message with an open recipient in one domain; hold/release also hold or free the domain itself. */
  const runDomain = async (domain: string, action: Action, bounce: boolean): Promise<number> => {
    const sel = { domain };
    if (action === 'retry') return (await svc.queue.retry(sel)).messages;
    if (action === 'hold') return (await svc.queue.hold(sel)).messages;
    if (action === 'release') return (await svc.queue.release(sel)).messages;
    return (await svc.queue.delete(sel, bounce)).messages;
  };

  app.post<{ Params: { action: Action }; Body: { domain?: string; bounce?: string } }>('/queue/by-domain/:action', { config: pageRoute('system-admin'), schema: { params: domainActionParam, body: formBody({ domain: 253, bounce: 10 }) } }, async (req, reply) => {
    const raw = req.body.domain ?? '';
    const domain = raw.trim().toLowerCase();
    const action = req.params.action;
    if (!DOMAIN.test(domain)) return queuePage(req, reply, { domain: raw }, req.t('field.not-domain', { value: raw }));
    const n = await runDomain(domain, action, checked(req.body.bounce));
    req.audit = { action: `queue.${action}`, detail: { domain, messages: n } };
    return reply.redirect(`/queue${query({ domain, done: `domain-${action}`, n })}`, 303);
  });

  app.post<{ Params: { action: Action }; Body: { domain: string; bounce?: boolean } }>('/api/v1/queue/by-domain/:action', {
    config: apiRoute('system-admin'),
    schema: { params: domainActionParam, body: { type: 'object', additionalProperties: false, required: ['domain'], properties: { domain: { type: 'string', maxLength: 253, pattern: DOMAIN.source }, bounce: { type: 'boolean' } } }, response: { '4xx': errorSchema } },
  }, async (req) => {
    const domain = req.body.domain.toLowerCase();
    const n = await runDomain(domain, req.params.action, !!req.body.bounce);
    req.audit = { action: `queue.${req.params.action}`, detail: { domain, messages: n } };
    return { domain, messages: n };
  });

  app.get<{ Params: { id: string } }>('/queue/:id', { config: pageRoute('system-admin'), schema: { params: idParam } }, async (req, reply) => {
    const m = await svc.queue.show(req.params.id);
    if (!m) return page(req, reply, req.t('error.title', { status: 404 }), (v) => html`<h1>${v.t('error.title', { status: 404 })}</h1><p>${v.t('queue.gone')}</p><p><a href="/queue">${v.t('queue.back')}</a></p>`, 404);
    const env = m.envelope;
    return page(req, reply, req.t('queue.message', { id: m.id }), (v) => html`<h1>${v.t('queue.message', { id: m.id })}</h1>
      <p><a href="/queue">${v.t('queue.back')}</a></p>${actionButtons(v, m)}
      <section aria-labelledby="env-h"><h2 id="env-h">${v.t('queue.envelope')}</h2><dl class="envelope">
        <dt>${v.t('queue.state')}</dt><dd id="msg-state">${v.t(`queue.states.${m.state}`)}</dd>
        <dt>${v.t('queue.arrival')}</dt><dd>${when(env.time, v.locale)}</dd>
        <dt>${v.t('queue.sender')}</dt><dd>${env.mailFrom || '<>'}</dd>
        <dt>${v.t('queue.client')}</dt><dd>${env.client.ip} ${env.client.ptr ? `(${env.client.ptr})` : ''} HELO ${env.client.helo}</dd>
        <dt>${v.t('queue.protocol')}</dt><dd>${env.client.protocol}${env.client.tls ? ` ${env.client.tls}` : ''}${env.client.user ? ` (${env.client.user})` : ''}</dd>
        <dt>${v.t('queue.size')}</dt><dd>${formatNumber(m.size, v.locale)}</dd></dl></section>
      <section aria-labelledby="rcpt-h"><h2 id="rcpt-h">${v.t('queue.recipients')}</h2><table class="recipients"><thead><tr><th scope="col">${v.t('queue.address')}</th><th scope="col">${v.t('queue.status')}</th><th scope="col">${v.t('queue.attempts')}</th><th scope="col">${v.t('queue.next')}</th><th scope="col">${v.t('queue.lastError')}</th></tr></thead>
        <tbody>${m.recipients.map((r) => html`<tr><td>${r.address}</td><td>${['pending', 'deferred', 'sent', 'failed'].includes(r.status) ? v.t(`queue.rstatus.${r.status}`) : r.status}${r.held ? ` (${v.t('queue.states.hold')})` : ''}</td><td>${r.attempts}</td><td>${r.next_attempt ? when(Date.parse(r.next_attempt), v.locale) : ''}</td><td>${r.last_error ?? ''}</td></tr>`)}</tbody></table></section>
      <section aria-labelledby="hdr-h"><h2 id="hdr-h">${v.t('queue.headers')}</h2><pre class="headers" id="msg-headers">${m.headers}</pre></section>`);
  });

  const run = (id: string, action: Action, bounce: boolean) => {
    const sel = { id };
    if (action === 'retry') return svc.queue.retry(sel);
    if (action === 'hold') return svc.queue.hold(sel);
    if (action === 'release') return svc.queue.release(sel);
    return svc.queue.delete(sel, bounce);
  };

  for (const action of ACTIONS) {
    app.post<{ Params: { id: string }; Body: { bounce?: string } }>(`/queue/:id/${action}`, { config: pageRoute('system-admin'), schema: { params: idParam, body: formBody({ bounce: 10 }) } }, async (req, reply) => {
      const r = await run(req.params.id, action, checked(req.body?.bounce));
      req.audit = { action: `queue.${action}`, detail: { id: req.params.id, messages: r.messages } };
      if (!r.messages) return page(req, reply, req.t('error.title', { status: 404 }), (v) => html`<h1>${v.t('error.title', { status: 404 })}</h1><p>${v.t('queue.gone')}</p><p><a href="/queue">${v.t('queue.back')}</a></p>`, 404);
      return reply.redirect(action === 'delete' ? '/queue?done=delete' : `/queue/${req.params.id}`, 303);
    });
    app.post<{ Params: { id: string }; Querystring: { bounce?: boolean } }>(`/api/v1/queue/:id/${action}`, {
      config: apiRoute('system-admin'),
      schema: { params: idParam, querystring: { type: 'object', properties: { bounce: { type: 'boolean' } } }, response: { '4xx': errorSchema } },
    }, async (req, reply) => apiAction(req, reply, action, await run(req.params.id, action, !!req.query.bounce)));
  }

  app.get<{ Querystring: { state?: string; domain?: string; q?: string } }>('/api/v1/queue', {
    config: apiRoute('system-admin'),
    schema: { querystring: listQuery, response: { 200: { type: 'object', properties: { messages: { type: 'array', items: entrySchema }, count: { type: 'integer' }, signature: { type: 'string' } } }, '4xx': errorSchema } },
  }, async (req) => {
    const entries = await list(req.query);
    return { messages: entries, count: entries.length, signature: signature(entries) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/queue/:id', {
    config: apiRoute('system-admin'),
    schema: { params: idParam, response: { 200: { ...entrySchema, properties: { ...entrySchema.properties, headers: { type: 'string' }, envelope: { type: 'object', additionalProperties: true } } }, '4xx': errorSchema } },
  }, async (req, reply) => {
    const m = await svc.queue.show(req.params.id);
    if (!m) return reply.code(404).send({ error: 'not-found', message: req.t('queue.gone') });
    return m;
  });

  app.delete<{ Params: { id: string }; Querystring: { bounce?: boolean } }>('/api/v1/queue/:id', {
    config: apiRoute('system-admin'),
    schema: { params: idParam, querystring: { type: 'object', properties: { bounce: { type: 'boolean' } } }, response: { '4xx': errorSchema } },
  }, async (req, reply) => apiAction(req, reply, 'delete', await svc.queue.delete({ id: req.params.id }, !!req.query.bounce)));
}

function apiAction(req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, action: Action, r: { messages: number }) {
  req.audit = { action: `queue.${action}`, detail: { id: req.params.id, messages: r.messages } };
  if (!r.messages) return reply.code(404).send({ error: 'not-found', message: req.t('queue.gone') });
  return r;
}
