// The dashboard (/): who is signed in with which rights, the server's version and uptime; for a system admin
// the services with their listeners, today's traffic (received, delivered, sent, spam verdicts), the queue
// (size, oldest message) and the latest errors; for a host admin its domains. GET /api/v1/dashboard gives the
// same figures. Listeners, the queue and the monitor's targets come from the operations' status (ops.status())
// when the server runs them, else from the listeners and the queue directly; today's traffic from the logs.
import type { FastifyInstance } from 'fastify';
import type { User } from '../../accounts/directory.js';
import { visibleDomains } from '../domains.js';
import { html } from '../html.js';
import { formatDateTime, formatNumber, i18n, type Translate } from '../i18n.js';
import type { Roles } from '../roles.js';
import { serverStatus, uptimeParts } from '../status.js';
import type { WebDeps } from '../types.js';
import { apiRoute, errorSchema, me, page, pageRoute, query } from './common.js';
import type { AdminServices, ListenerView } from './services.js';
import type { StatusStorage } from '../../metrics/status.js';
import type { DatabaseProbe } from '../../metrics/database-probe.js';
import { LogTally, type Today } from './tally.js';
import { UserQuery } from './user-query.js';

export interface QueueSummary {
  messages: number;
  oldestSeconds: number | null;
  byState: Record<string, number>;
}

export interface MonitorView {
  name: string;
  check: string;
  address: string;
  state: string;
  since: string;
}

export interface Dashboard {
  listeners: ListenerView[];
  today: Today;
  queue: QueueSummary;
  /** The monitor's targets ([[monitor]]), from the operations' status; empty without it. */
  monitor: MonitorView[];
  settingsVersion: number;
  /** The storage backend and this node's name, from the operations' status; absent without it. */
  storage?: StatusStorage;
  /** Whether the accounts database answered a trivial query, and how fast (engine/metrics/database-probe.ts). */
  database?: DatabaseProbe;
}

function roleLabels(t: Translate, user: User, roles: Roles): string[] {
  const out: string[] = [];
  if (roles.isSystemAdmin(user)) out.push(t('role.system'));
  for (const domain of user.hostAdminOf) out.push(t('role.host', { domain }));
  if (user.listAdminOf.length) out.push(t('role.list'));
  return out;
}

export function registerDashboard(app: FastifyInstance, deps: WebDeps, svc: AdminServices, users: UserQuery): void {
  const tally = new LogTally(svc.logsDir);
  let cachedQueue: { at: number; value: QueueSummary } | null = null;

  /** The queue summary, read at most every 5 s (a big queue is many state files). */
  const queueSummary = async (): Promise<QueueSummary> => {
    if (cachedQueue && Date.now() - cachedQueue.at < 5000) return cachedQueue.value;
    const list = await svc.queue.list();
    const byState: Record<string, number> = {};
    for (const e of list) byState[e.state] = (byState[e.state] ?? 0) + 1;
    const value = { messages: list.length, oldestSeconds: list.length ? Math.max(...list.map((e) => e.age_seconds)) : null, byState };
    cachedQueue = { at: Date.now(), value };
    return value;
  };

  const figures = async (): Promise<Dashboard> => {
    const doc = await svc.status.document?.();
    const today = await tally.today();
    const settingsVersion = svc.settings.version();
    if (!doc) return { listeners: svc.status.listeners(), today, queue: await queueSummary(), monitor: [], settingsVersion };
    return {
      listeners: doc.listeners.map((l) => ({ name: l.name, address: l.address, up: l.bound })),
      today,
      queue: { messages: doc.queue.total, oldestSeconds: doc.queue.total ? doc.queue.oldest_age_seconds : null, byState: doc.queue.by_state },
      monitor: doc.monitor.map((t) => ({ name: t.name, check: t.check, address: t.address, state: t.state, since: t.since })),
      settingsVersion,
      storage: doc.storage,
      ...(doc.database ? { database: doc.database } : {}),
    };
  };

  app.get('/', { config: pageRoute('any-admin') }, async (req, reply) => {
    const user = me(req);
    const sys = deps.roles.isSystemAdmin(user);
    const st = serverStatus(deps);
    const d = sys ? await figures() : null;
    const domains = visibleDomains(deps.directory, deps.roles, user).filter((x) => !x.aliasOf);
    return page(req, reply, req.t('dashboard.title'), (v) => {
      const { t } = v;
      const uptimeTemplate = String(i18n().getResource(v.lang, 'translation', 'dashboard.uptime') ?? '');
      return html`<h1>${t('dashboard.title')}</h1>
      <p class="welcome">${user.fullName ? t('dashboard.welcome', { name: user.fullName, address: user.address }) : t('dashboard.welcomeAddress', { address: user.address })}</p>
      <ul class="roles">${roleLabels(t, user, deps.roles).map((r) => html`<li>${r}</li>`)}</ul>
      <p class="tokens-link"><a href="/tokens">${t('tokens.link')}</a></p>
      <section class="status" aria-labelledby="status-h"><h2 id="status-h">${t('dashboard.status')}</h2><dl>
        <dt>${t('dashboard.version')}</dt><dd id="version">${st.version}</dd>
        <dt>${t('dashboard.started')}</dt><dd id="started"><time datetime="${st.startedAt}">${formatDateTime(deps.startedAt, v.locale)}</time></dd>
        <dt>${t('dashboard.uptimeLabel')}</dt><dd id="uptime" data-template="${uptimeTemplate}" data-refresh="/api/v1/status">${t('dashboard.uptime', uptimeParts(st.uptimeSeconds))}</dd>
        ${d?.storage ? html`<dt>${t('dashboard.storage')}</dt><dd id="storage" data-backend="${d.storage.backend}">${t(d.storage.node ? 'dashboard.storageNode' : 'dashboard.storageOne', { backend: d.storage.backend === 'postgresql' ? 'PostgreSQL' : 'SQLite', node: d.storage.node ?? '' })} <code>${d.storage.location}</code></dd>` : ''}
        ${d?.database ? html`<dt>${t('dashboard.database')}</dt><dd id="database" data-ok="${String(d.database.ok)}">${d.database.ok ? t('dashboard.databaseOk', { ms: d.database.ms }) : t('dashboard.databaseDown', { ms: d.database.ms, error: d.database.error ?? '' })}</dd>` : ''}</dl></section>
      ${d ? html`
      <section aria-labelledby="services-h"><h2 id="services-h">${t('dashboard.services')}</h2><table class="services"><thead><tr><th scope="col">${t('dashboard.service')}</th><th scope="col">${t('dashboard.listener')}</th><th scope="col">${t('dashboard.state')}</th></tr></thead>
        <tbody>${d.listeners.map((l) => html`<tr data-service="${l.name}"><td>${l.name}</td><td><code>${l.address}</code></td><td><span class="badge ${l.up ? 'ok' : 'error'}">${t(l.up ? 'dashboard.up' : 'dashboard.down')}</span></td></tr>`)}</tbody></table></section>
      ${d.monitor.length ? html`<section aria-labelledby="monitor-h"><h2 id="monitor-h">${t('dashboard.monitor')}</h2><table class="monitor"><thead><tr><th scope="col">${t('dashboard.target')}</th><th scope="col">${t('dashboard.check')}</th><th scope="col">${t('dashboard.state')}</th></tr></thead>
        <tbody>${d.monitor.map((m) => html`<tr data-target="${m.name}" data-state="${m.state}"><td>${m.name}</td><td><code>${m.check} ${m.address}</code></td><td><span class="badge ${m.state === 'up' ? 'ok' : m.state === 'down' ? 'error' : 'off'}">${t(`dashboard.targetState.${['up', 'down'].includes(m.state) ? m.state : 'unknown'}`)}</span></td></tr>`)}</tbody></table></section>` : ''}
      <section aria-labelledby="today-h"><h2 id="today-h">${t('dashboard.today')}</h2><dl class="figures" id="today">
        <dt>${t('dashboard.received')}</dt><dd data-figure="received">${formatNumber(d.today.received, v.locale)}</dd>
        <dt>${t('dashboard.delivered')}</dt><dd data-figure="delivered">${formatNumber(d.today.delivered, v.locale)}</dd>
        <dt>${t('dashboard.sent')}</dt><dd data-figure="sent">${formatNumber(d.today.sent, v.locale)}</dd>
        <dt>${t('dashboard.bounced')}</dt><dd data-figure="bounced">${formatNumber(d.today.bounced, v.locale)}</dd></dl>
        <h3>${t('dashboard.verdicts')}</h3>${Object.keys(d.today.verdicts).length ? html`<dl class="figures" id="verdicts">${Object.entries(d.today.verdicts).map(([a, n]) => html`<dt>${['inbox', 'spam', 'reject', 'delete'].includes(a) ? t(`dashboard.actions.${a}`) : a}</dt><dd data-verdict="${a}">${formatNumber(n, v.locale)}</dd>`)}</dl>` : html`<p class="empty">${t('dashboard.noVerdicts')}</p>`}</section>
      <section aria-labelledby="queue-h"><h2 id="queue-h"><a href="/queue">${t('dashboard.queue')}</a></h2>
        <p id="queue-summary">${d.queue.messages ? t('dashboard.queueSize', { count: formatNumber(d.queue.messages, v.locale), hours: Math.floor((d.queue.oldestSeconds ?? 0) / 3600), minutes: Math.floor(((d.queue.oldestSeconds ?? 0) % 3600) / 60) }) : t('dashboard.queueEmpty')}</p></section>
      <section aria-labelledby="errors-h"><h2 id="errors-h">${t('dashboard.errors')}</h2>
        ${d.today.errors.length ? html`<ul class="errors">${d.today.errors.map((e) => html`<li><span class="svc">${e.service}</span> <code>${e.line}</code></li>`)}</ul>` : html`<p class="empty">${t('dashboard.noErrors')}</p>`}</section>` : ''}
      ${domains.length ? html`<section class="domains" aria-labelledby="domains-h"><h2 id="domains-h">${t('domains.title')}</h2><table class="domains">
        <thead><tr><th scope="col">${t('domains.name')}</th><th scope="col">${t('dashboard.users')}</th></tr></thead>
        <tbody>${domains.map((x) => html`<tr data-domain="${x.name}"><td><a href="/domains/${x.name}">${x.name}</a></td><td><a href="/users${query({ domain: x.name })}">${formatNumber(users.count({ domains: [x.name], search: '' }), v.locale)}</a></td></tr>`)}</tbody></table></section>` : ''}`;
    });
  });

  app.get('/api/v1/dashboard', {
    config: apiRoute('system-admin'),
    schema: {
      response: {
        200: {
          type: 'object',
          properties: {
            listeners: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, address: { type: 'string' }, up: { type: 'boolean' } } } },
            today: { type: 'object', properties: { day: { type: 'string' }, received: { type: 'integer' }, delivered: { type: 'integer' }, sent: { type: 'integer' }, bounced: { type: 'integer' }, verdicts: { type: 'object', additionalProperties: { type: 'integer' } }, errors: { type: 'array', items: { type: 'object', properties: { service: { type: 'string' }, line: { type: 'string' } } } } } },
            queue: { type: 'object', properties: { messages: { type: 'integer' }, oldestSeconds: { type: ['integer', 'null'] }, byState: { type: 'object', additionalProperties: { type: 'integer' } } } },
            monitor: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, check: { type: 'string' }, address: { type: 'string' }, state: { type: 'string' }, since: { type: 'string' } } } },
            settingsVersion: { type: 'integer' },
            storage: { type: 'object', properties: { backend: { type: 'string' }, location: { type: 'string' }, node: { type: ['string', 'null'] } } },
            database: { type: 'object', properties: { backend: { type: 'string' }, where: { type: 'string' }, ok: { type: 'boolean' }, ms: { type: 'number' }, error: { type: 'string' } } },
          },
        },
        '4xx': errorSchema,
      },
    },
  }, async () => figures());
}
