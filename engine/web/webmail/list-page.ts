// The message list of a mailbox, or the results of a search, a page of 50 at a time (Email/query with a
// position, then Email/get of that page by back-reference), with the form that marks, moves and deletes the
// checked messages. Search goes to Email/query's filters (text, from, to, subject, body, dates, attachment),
// which match Japanese after decoding. Threads view (threads.ts): one row per conversation, expandable, chosen by a
// toggle that a cookie remembers. It never builds a query of its own over the store.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { boolAttr, html } from '../html.js';
import { formatNumber } from '../i18n.js';
import { hiddenCsrf, viewOf, type View } from '../layout.js';
import { requireRole } from '../roles.js';
import { clientIp } from '../app.js';
import type { JmapService } from '../../jmap/service.js';
import { byRole, MailApi, MailError, mailboxes, type Address, type Mailbox } from './mail-api.js';
import { folderList, mailboxName, mailPage, messageUrl, PAGE_SIZE, senderName, sendMailError, url, when } from './views.js';
import { listView, ROW_PROPERTIES, threadPage, type Row, type ThreadRow } from './threads.js';

const access = { access: { guard: requireRole('signed-in') } };

export const apiFor = (svc: JmapService, req: FastifyRequest): MailApi => new MailApi(svc, req.caller!.user, clientIp(req));

const str = (v: unknown, max = 500): string => (typeof v === 'string' ? v.slice(0, max).trim() : '');
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The search fields a list URL may carry, turned into an Email/query filter (all conditions ANDed). */
export function searchFilter(q: Record<string, unknown>, mailboxId: string | null): { filter: Record<string, unknown>; searching: boolean } {
  const f: Record<string, unknown> = {};
  for (const k of ['text', 'from', 'to', 'subject', 'body'] as const) {
    const v = str(q[k === 'text' ? 'q' : k], 200);
    if (v) f[k] = v;
  }
  const after = str(q.after, 10);
  const before = str(q.before, 10);
  if (DATE.test(after) && Number.isFinite(Date.parse(after))) f.after = `${after}T00:00:00Z`;
  if (DATE.test(before) && Number.isFinite(Date.parse(before))) f.before = `${before}T00:00:00Z`;
  if (q.attachment === '1') f.hasAttachment = true;
  const searching = Object.keys(f).length > 0;
  if (mailboxId) f.inMailbox = mailboxId;
  return { filter: f, searching };
}

const SORTS: Record<string, { property: string; isAscending: boolean }> = {
  date: { property: 'receivedAt', isAscending: false },
  from: { property: 'from', isAscending: true },
  subject: { property: 'subject', isAscending: true },
  size: { property: 'size', isAscending: false },
};

function rowHtml(v: View, r: Row, member = false) {
  const unread = !r.keywords.$seen;
  const flagged = !!r.keywords.$flagged;
  return html`<tr class="${unread ? 'unread' : 'read'}${member ? ' member' : ''}" data-id="${r.id}">
    <td><input type="checkbox" name="id" value="${r.id}" aria-label="${v.t('mail.select')}"></td>
    <td class="flag">${flagged ? html`<span title="${v.t('mail.flagged')}">★</span>` : ''}</td>
    <td class="from">${senderName(r.from)}</td>
    <td class="subject"><a href="${messageUrl(r.id)}">${r.subject || v.t('mail.noSubject')}</a>${r.hasAttachment ? html` <span class="clip" title="${v.t('mail.hasAttachment')}">📎</span>` : ''}<span class="preview">${r.preview}</span></td>
    <td class="date">${when(v, r.receivedAt)}</td>
  </tr>`;
}

/** A conversation's row (its checkbox acts on every email of it), then its emails when it is expanded. */
function threadHtml(v: View, t: ThreadRow, expandUrl: string, collapseUrl: string) {
  const open = t.members.length > 0;
  return html`<tr class="thread ${t.unread ? 'unread' : 'read'}${open ? ' open' : ''}" data-thread="${t.threadId}" data-count="${String(t.count)}">
    <td><input type="checkbox" name="thread" value="${t.threadId}" aria-label="${v.t('mail.select')}"></td>
    <td class="flag">${t.lead.keywords.$flagged ? html`<span title="${v.t('mail.flagged')}">★</span>` : ''}</td>
    <td class="from">${t.senders.join(', ')}</td>
    <td class="subject"><a href="${messageUrl(t.lead.id)}">${t.lead.subject || v.t('mail.noSubject')}</a>${t.count > 1 ? html` <a class="thread-count" href="${open ? collapseUrl : expandUrl}" title="${v.t(open ? 'reading.collapse' : 'reading.expand')}" aria-expanded="${open ? 'true' : 'false'}">${v.t('reading.threadCount', { n: t.count })}</a>` : ''}${t.lead.hasAttachment ? html` <span class="clip" title="${v.t('mail.hasAttachment')}">📎</span>` : ''}<span class="preview">${t.lead.preview}</span></td>
    <td class="date">${when(v, t.newest)}</td>
  </tr>${t.members.map((m) => rowHtml(v, m, true))}`;
}

/** The buttons and target folder of the list's form (also used on the reading page). */
export function actionBar(v: View, list: Mailbox[], current: Mailbox | undefined) {
  return html`<div class="actions">
    <button type="submit" name="op" value="read">${v.t('mail.op.read')}</button>
    <button type="submit" name="op" value="unread">${v.t('mail.op.unread')}</button>
    <button type="submit" name="op" value="flag">${v.t('mail.op.flag')}</button>
    <button type="submit" name="op" value="unflag">${v.t('mail.op.unflag')}</button>
    <button type="submit" name="op" value="${current?.role === 'junk' ? 'notspam' : 'spam'}">${v.t(current?.role === 'junk' ? 'mail.op.notspam' : 'mail.op.spam')}</button>
    <button type="submit" name="op" value="delete" class="danger">${v.t('mail.op.delete')}</button>
    <label class="inline">${v.t('mail.moveTo')} <select name="to">${list.filter((m) => m.id !== current?.id).map((m) => html`<option value="${m.id}">${mailboxName(v, m)}</option>`)}</select></label>
    <button type="submit" name="op" value="move">${v.t('mail.op.move')}</button>
  </div>`;
}

export function registerListPage(app: FastifyInstance, svc: JmapService): void {
  app.get('/', { config: access }, async (_req, reply) => reply.redirect('/mail', 303));

  app.get('/mail', { config: access }, async (req, reply) => {
    const v = viewOf(req, reply, 'webmail');
    const q = req.query as Record<string, unknown>;
    const api = apiFor(svc, req);
    try {
      const list = await mailboxes(api);
      const { searching } = searchFilter(q, null);
      // a search without a folder looks everywhere; a folder list without a folder is the inbox
      const chosen = str(q.mb, 100);
      const current = chosen ? list.find((m) => m.id === chosen) : searching ? undefined : byRole(list, 'inbox');
      if (chosen && !current) return sendMailError(req, reply, new MailError('notFound'));
      const { filter } = searchFilter(q, current?.id ?? null);
      const page = Math.max(0, Math.min(100_000, Number.parseInt(str(q.page, 6), 10) || 0));
      const sortKey = typeof q.sort === 'string' && q.sort in SORTS ? q.sort : 'date';
      const view = listView(req, reply);
      const expand = typeof q.thread === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(q.thread) ? q.thread : null;
      const query = { filter, sort: [SORTS[sortKey]], position: page * PAGE_SIZE, limit: PAGE_SIZE };
      let total: number;
      let rows: Row[] = [];
      let threads: ThreadRow[] = [];
      if (view === 'threads') {
        ({ total, threads } = await threadPage(api, query, expand));
      } else {
        const answers = await api.run([
          ['Email/query', { ...query, calculateTotal: true }, 'q'],
          ['Email/get', { '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ROW_PROPERTIES }, 'g'],
        ]);
        total = Number(answers[0][1].total ?? 0);
        // Email/get answers in its own order: the page keeps the query's
        const got = new Map((answers[1][1].list as Row[]).map((r) => [r.id, r]));
        rows = (answers[0][1].ids as string[]).map((id) => got.get(id)).filter((r): r is Row => !!r);
      }
      const keep = { mb: current?.id, q: str(q.q, 200), from: str(q.from, 200), to: str(q.to, 200), subject: str(q.subject, 200), body: str(q.body, 200), after: str(q.after, 10), before: str(q.before, 10), attachment: q.attachment === '1' ? '1' : '', sort: sortKey === 'date' ? '' : sortKey };
      const title = searching ? v.t('mail.results') : current ? mailboxName(v, current) : v.t('mail.title');
      const last = Math.max(0, Math.ceil(total / PAGE_SIZE) - 1);
      const done = q.done === 'sent' || q.done === 'draft' ? q.done : null;
      const content = html`<h1>${title}</h1>
        ${done ? html`<p class="notice" role="status" data-done="${done}">${v.t(`mail.done.${done}`)}</p>` : ''}
        <p class="notice new-mail" role="status" data-events="/jmap/eventsource?types=EmailDelivery&amp;closeafter=state&amp;ping=0"${boolAttr('hidden', true)}>${v.t('mail.newMail')} <a href="${url('/mail', { ...keep, page: page || undefined })}">${v.t('mail.reload')}</a></p>
        <p class="view-toggle">${v.t('reading.viewAs')}: <a href="${url('/mail', { ...keep, view: 'threads' })}" aria-current="${view === 'threads' ? 'true' : 'false'}" data-view="threads">${v.t('reading.threads')}</a> · <a href="${url('/mail', { ...keep, view: 'messages' })}" aria-current="${view === 'messages' ? 'true' : 'false'}" data-view="messages">${v.t('reading.messages')}</a></p>
        ${searching ? html`<p class="hint search-summary">${v.t('mail.found', { n: formatNumber(total, v.locale) })}</p>` : ''}
        <form method="post" action="/mail/act" class="message-list">
          ${hiddenCsrf(v)}<input type="hidden" name="back" value="${url('/mail', { ...keep, page: page || undefined })}">
          ${actionBar(v, list, current)}
          <table>
            <thead><tr><th><input type="checkbox" class="select-all" aria-label="${v.t('mail.selectAll')}"></th><th></th>
              <th><a href="${url('/mail', { ...keep, sort: 'from' })}">${v.t('mail.from')}</a></th>
              <th><a href="${url('/mail', { ...keep, sort: 'subject' })}">${v.t('mail.subject')}</a></th>
              <th><a href="${url('/mail', { ...keep, sort: '' })}">${v.t('mail.date')}</a></th></tr></thead>
            <tbody>${view === 'threads'
              ? threads.map((t) => threadHtml(v, t, url('/mail', { ...keep, page: page || undefined, thread: t.threadId }), url('/mail', { ...keep, page: page || undefined })))
              : rows.map((r) => rowHtml(v, r))}${rows.length || threads.length ? '' : html`<tr><td colspan="5" class="empty">${v.t('mail.empty')}</td></tr>`}</tbody>
          </table>
        </form>
        <nav class="pager" aria-label="${v.t('mail.pages')}">
          ${page > 0 ? html`<a rel="prev" href="${url('/mail', { ...keep, page: page - 1 || undefined })}">${v.t('mail.prev')}</a>` : ''}
          <span>${v.t(view === 'threads' ? 'reading.pageOfThreads' : 'mail.pageOf', { page: page + 1, pages: last + 1, total: formatNumber(total, v.locale) })}</span>
          ${page < last ? html`<a rel="next" href="${url('/mail', { ...keep, page: page + 1 })}">${v.t('mail.next')}</a>` : ''}
        </nav>`;
      return mailPage(req, reply, title, folderList(v, list, current?.id ?? null), content);
    } catch (e) {
      return sendMailError(req, reply, e);
    }
  });

  app.get('/mail/search', { config: access }, async (req, reply) => {
    const v = viewOf(req, reply, 'webmail');
    const api = apiFor(svc, req);
    try {
      const list = await mailboxes(api);
      const field = (name: string, label: string, type = 'text') => html`<p><label for="s-${name}">${label}</label><input id="s-${name}" type="${type}" name="${name}" maxlength="200"></p>`;
      const content = html`<h1>${v.t('mail.advanced')}</h1>
        <form method="get" action="/mail" class="advanced-search">
          ${field('q', v.t('mail.anywhere'))}${field('from', v.t('mail.from'))}${field('to', v.t('mail.to'))}${field('subject', v.t('mail.subject'))}${field('body', v.t('mail.body'))}
          ${field('after', v.t('mail.after'), 'date')}${field('before', v.t('mail.before'), 'date')}
          <p><label class="inline"><input type="checkbox" name="attachment" value="1"> ${v.t('mail.hasAttachment')}</label></p>
          <p><label for="s-mb">${v.t('mail.in')}</label><select id="s-mb" name="mb"><option value="">${v.t('mail.allFolders')}</option>${list.map((m) => html`<option value="${m.id}"${boolAttr('selected', false)}>${mailboxName(v, m)}</option>`)}</select></p>
          <p><button type="submit">${v.t('mail.searchGo')}</button></p>
        </form>`;
      return mailPage(req, reply, v.t('mail.advanced'), folderList(v, list, null), content);
    } catch (e) {
      return sendMailError(req, reply, e);
    }
  });
}
