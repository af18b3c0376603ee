// The logs page and API (system admin): pick a service and a day, search for a queue id, an address, an IP
// or a session id, page through the matching lines (log-reader.ts streams the file; .log.gz days too). Log
// lines are shown as text: whatever a client managed to get logged renders escaped.
import type { FastifyInstance } from 'fastify';
import { boolAttr, html } from '../html.js';
import type { WebDeps } from '../types.js';
import { apiRoute, errorSchema, page, pageRoute, query } from './common.js';
import { logDays, readLogPage, type LogDay } from './log-reader.js';
import type { AdminServices } from './services.js';

const PAGE_SIZE = 100;
const logQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    service: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,30}$' },
    day: { type: 'string', pattern: '^\\d{8}$' },
    q: { type: 'string', maxLength: 200 },
    page: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const;

type LogQuery = { service?: string; day?: string; q?: string; page?: number };

/** The file asked for, or the newest day of the service (default smtp), or null when there is none. */
function pick(days: LogDay[], q: LogQuery): LogDay | null {
  const service = q.service ?? (days.some((d) => d.service === 'smtp') ? 'smtp' : days[0]?.service);
  const of = days.filter((d) => d.service === service);
  return (q.day ? of.find((d) => d.day === q.day) : of[0]) ?? null;
}

/** Why nothing was found: no log at all, or none of the service or the day asked for (the API and the page say which). */
function missing(t: (k: string, o?: Record<string, string | number>) => string, days: LogDay[], q: LogQuery): string {
  if (!days.length) return t('logs.none');
  const services = [...new Set(days.map((d) => d.service))];
  if (q.service && !services.includes(q.service)) return t('logs.noService', { service: q.service, services: services.join(', ') });
  return t('logs.noDay', { service: q.service ?? 'smtp', day: q.day ?? '' });
}

const dayLabel = (day: string, locale: string) =>
  new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))));

export function registerLogs(app: FastifyInstance, _deps: WebDeps, svc: AdminServices): void {
  app.get<{ Querystring: LogQuery }>('/logs', { config: pageRoute('system-admin'), schema: { querystring: logQuery } }, async (req, reply) => {
    const days = logDays(svc.logsDir);
    const d = pick(days, req.query);
    const search = (req.query.q ?? '').trim();
    const pageNo = req.query.page ?? 1;
    const result = d ? await readLogPage(d, search, pageNo, PAGE_SIZE) : null;
    const services = [...new Set(days.map((x) => x.service))];
    const service = d?.service ?? req.query.service ?? '';
    const link = (p: number) => `/logs${query({ service, day: d?.day, q: search, page: p })}`;
    return page(req, reply, req.t('logs.title'), (v) => html`<h1>${v.t('logs.title')}</h1>
      <form class="filters" method="get" action="/logs" role="search">
        <label for="l-service">${v.t('logs.service')}</label><select id="l-service" name="service">${services.map((s) => html`<option value="${s}"${boolAttr('selected', s === service)}>${s}</option>`)}</select>
        <label for="l-day">${v.t('logs.day')}</label><select id="l-day" name="day">${days.filter((x) => x.service === service).map((x) => html`<option value="${x.day}"${boolAttr('selected', x.day === d?.day)}>${dayLabel(x.day, v.locale)}${x.gz ? ' (gz)' : ''}</option>`)}</select>
        <label for="l-q">${v.t('logs.search')}</label><input id="l-q" name="q" type="search" value="${search}" maxlength="200" placeholder="${v.t('logs.searchHint')}">
        <button type="submit">${v.t('logs.show')}</button></form>
      ${!d ? html`<p class="empty">${missing(v.t, days, req.query)}</p>` : html`
        <p class="count" id="log-summary">${v.t(search ? 'logs.summarySearch' : 'logs.summary', { file: `${d.service}-${d.day}.log${d.gz ? '.gz' : ''}`, page: pageNo, search })}</p>
        ${result!.lines.length ? html`<ol class="log-lines">${result!.lines.map((l) => html`<li value="${String(l.n)}"><code>${l.text}</code>${l.cut ? html` <span class="cut">${v.t('logs.cut')}</span>` : ''}</li>`)}</ol>` : html`<p class="empty">${v.t('logs.noMatch')}</p>`}
        <nav class="pager" aria-label="${v.t('pager.label')}">${pageNo > 1 ? html`<a rel="prev" href="${link(pageNo - 1)}">${v.t('pager.prev')}</a>` : ''}${result!.more ? html`<a rel="next" href="${link(pageNo + 1)}">${v.t('pager.next')}</a>` : ''}</nav>`}`);
  });

  app.get('/api/v1/logs/days', {
    config: apiRoute('system-admin'),
    schema: { response: { 200: { type: 'object', properties: { days: { type: 'array', items: { type: 'object', properties: { service: { type: 'string' }, day: { type: 'string' }, gz: { type: 'boolean' }, bytes: { type: 'integer' } } } } } }, '4xx': errorSchema } },
  }, async () => ({ days: logDays(svc.logsDir) }));

  app.get<{ Querystring: LogQuery }>('/api/v1/logs', {
    config: apiRoute('system-admin'),
    schema: {
      querystring: logQuery,
      response: {
        200: { type: 'object', properties: { service: { type: 'string' }, day: { type: 'string' }, page: { type: 'integer' }, more: { type: 'boolean' }, lines: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer' }, text: { type: 'string' }, cut: { type: 'boolean' } } } } } },
        '4xx': errorSchema,
      },
    },
  }, async (req, reply) => {
    const days = logDays(svc.logsDir);
    const d = pick(days, req.query);
    if (!d) return reply.code(404).send({ error: 'not-found', message: missing(req.t, days, req.query) });
    const r = await readLogPage(d, (req.query.q ?? '').trim(), req.query.page ?? 1, PAGE_SIZE);
    return { service: d.service, day: d.day, ...r };
  });
}
