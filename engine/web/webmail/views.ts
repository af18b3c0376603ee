// Pieces the webmail pages share: the folder list with unread counts, addresses and dates in the user's
// language, URLs built whole (every id percent-encoded), and the JMAP error → HTTP status mapping.
// Templates only: nothing here calls JMAP or writes a reply.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.js';
import { formatDateTime, formatNumber } from '../i18n.js';
import { layout, sendPage, viewOf, type View } from '../layout.js';
import { sendError } from '../errors.js';
import { MailError, type Address, type Mailbox } from './mail-api.js';

export const PAGE_SIZE = 50;

/** A same-site URL with its query, each value encoded. */
export function url(path: string, query: Record<string, string | number | undefined | null> = {}): string {
  const q = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return q ? `${path}?${q}` : path;
}

export const messageUrl = (id: string): string => `/mail/message/${encodeURIComponent(id)}`;

/** The name shown for a mailbox: the catalogue's for special-use ones, else the folder's own. */
export function mailboxName(v: View, m: Mailbox): string {
  return m.role && ['inbox', 'drafts', 'sent', 'junk', 'trash', 'archive'].includes(m.role) ? v.t(`mail.role.${m.role}`) : m.name;
}

export function folderList(v: View, list: Mailbox[], current: string | null): SafeHtml {
  return html`<nav class="folders" aria-label="${v.t('mail.folders')}">
    <p><a class="compose" href="/compose">${v.t('mail.compose')}</a></p>
    <ul>${list.map(
      (m) => html`<li data-mailbox="${m.id}" data-role="${m.role ?? ''}"><a href="${url('/mail', { mb: m.id })}" aria-current="${m.id === current ? 'page' : 'false'}">${mailboxName(v, m)}</a>${m.unreadEmails > 0 ? html` <span class="unread" title="${v.t('mail.unreadCount', { n: m.unreadEmails })}">${formatNumber(m.unreadEmails, v.locale)}</span>` : ''}</li>`,
    )}</ul>
    <form class="search" method="get" action="/mail" role="search">
      <input type="search" name="q" aria-label="${v.t('mail.search')}" placeholder="${v.t('mail.search')}">
      <button type="submit">${v.t('mail.searchGo')}</button>
    </form>
    <p><a href="/mail/search">${v.t('mail.advanced')}</a> · <a href="/folders">${v.t('folders.title')}</a> · <a href="/settings">${v.t('settings.title')}</a></p>
  </nav>`;
}

/** "Name <a@b>", the name quoted when it holds characters that would change how the address is read. */
export function addressText(a: Address): string {
  if (!a.name) return a.email;
  return /[<>",;:@()\\[\]]/.test(a.name) ? `"${a.name.replace(/["\\]/g, '')}" <${a.email}>` : `${a.name} <${a.email}>`;
}

export function addressList(list: Address[] | null | undefined): string {
  return (list ?? []).map(addressText).join(', ');
}

/** The sender as a list shows it: the name, else the address. */
export function senderName(list: Address[] | null | undefined): string {
  const a = list?.[0];
  return a ? a.name || a.email : '';
}

export function when(v: View, iso: unknown): string {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? formatDateTime(t, v.locale) : '';
}

/** A page of the webmail: the folder list beside the content. */
export function mailPage(req: FastifyRequest, reply: FastifyReply, title: string, folders: SafeHtml | null, content: SafeHtml, status = 200): FastifyReply {
  const v = viewOf(req, reply, 'webmail');
  const main = html`<div class="mail${folders ? '' : ' single'}">${folders}<div class="content">${content}</div></div>`;
  return sendPage(reply, layout(v, title, main), status);
}

/** A method error as the page's answer: notFound (someone else's id, a deleted message) is 404, bad input 400. */
export function sendMailError(req: FastifyRequest, reply: FastifyReply, e: unknown): FastifyReply {
  if (!(e instanceof MailError)) throw e;
  const status = e.type === 'notFound' || e.type === 'accountNotFound' ? 404 : e.type === 'serverFail' ? 500 : 400;
  return sendError(req, reply, 'webmail', status, e.description ?? e.type);
}
