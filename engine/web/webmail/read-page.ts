// Reading one message: Email/get with its text decoded by the JMAP layer (engine/mime/charset.ts: ISO-2022-JP,
// Shift_JIS, EUC-JP, UTF-8, RFC 2047 headers, RFC 2231 file names), marked read, its attachments linked to the
// JMAP download route. HTML mail is never markup on this page: it is shown in an <iframe sandbox> whose document
// (html-frame.ts) is sanitised and served under its own CSP, remote images blocked until the user asks for them.
import type { FastifyInstance } from 'fastify';
import { html } from '../html.js';
import { hiddenCsrf, viewOf } from '../layout.js';
import { requireRole } from '../roles.js';
import { htmlToText } from '../../mime/html-text.js';
import type { JmapService } from '../../jmap/service.js';
import { MailError, mailboxes, type Address } from './mail-api.js';
import { actionBar, apiFor } from './list-page.js';
import { addressList, folderList, mailPage, messageUrl, sendMailError, url, when } from './views.js';
import type { View } from '../layout.js';
import { FRAME_SANDBOX, sanitisedHtml } from './html-frame.js';
import { clientIp } from '../app.js';

const ID = /^[A-Za-z0-9_-]{1,100}$/;

interface Part {
  partId: string | null;
  blobId: string | null;
  type: string;
  name: string | null;
  size: number;
  disposition: string | null;
}

export interface ReadEmail {
  id: string;
  threadId: string;
  mailboxIds: Record<string, boolean>;
  keywords: Record<string, boolean>;
  subject: string | null;
  from: Address[] | null;
  to: Address[] | null;
  cc: Address[] | null;
  replyTo: Address[] | null;
  sentAt: string | null;
  receivedAt: string;
  messageId: string[] | null;
  references: string[] | null;
  textBody: Part[];
  attachments: Part[];
  bodyValues: Record<string, { value: string; isTruncated: boolean }>;
  /** The server's own verdict headers (forged copies are removed when mail arrives); null when absent. */
  'header:X-IMAIL-SPAM:asText'?: string | null;
  'header:X-Tegami-Spam-Status:asText'?: string | null;
}

/** The spam verdict this server wrote on the message ("score=… threshold=… verdict=… tags=…"), if it did. */
export interface SpamVerdict {
  spam: boolean;
  score: string;
  threshold: string;
  tags: string[];
}

const NUMBER = /^-?\d{1,6}(?:\.\d{1,3})?$/;
const TAG = /^[A-Z0-9_]{1,40}(?:\([^()\s]{0,60}\))?$/;

/** Read the verdict header; anything not in the shape the server writes is ignored (null), never shown raw. */
export function spamVerdict(e: Pick<ReadEmail, 'header:X-IMAIL-SPAM:asText' | 'header:X-Tegami-Spam-Status:asText'>): SpamVerdict | null {
  const text = e['header:X-IMAIL-SPAM:asText'] ?? e['header:X-Tegami-Spam-Status:asText'];
  if (!text || text.length > 4000) return null;
  const fields = new Map<string, string>();
  for (const part of text.trim().split(/\s+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const score = fields.get('score') ?? '';
  const threshold = fields.get('threshold') ?? '';
  const verdict = fields.get('verdict');
  if (!NUMBER.test(score) || !NUMBER.test(threshold) || (verdict !== 'spam' && verdict !== 'ham')) return null;
  const tags = (fields.get('tags') ?? '').split(',').filter((t) => t && t !== 'NONE' && TAG.test(t)).slice(0, 30);
  return { spam: verdict === 'spam', score, threshold, tags };
}

export const READ_PROPERTIES = ['id', 'threadId', 'mailboxIds', 'keywords', 'subject', 'from', 'to', 'cc', 'replyTo', 'sentAt', 'receivedAt', 'messageId', 'references', 'textBody', 'attachments', 'bodyValues', 'header:X-IMAIL-SPAM:asText', 'header:X-Tegami-Spam-Status:asText'];

/** The body as text: text/plain parts as they are, text/html parts reduced to their text. */
export function bodyText(e: ReadEmail): string {
  return e.textBody
    .map((p) => {
      const v = p.partId ? e.bodyValues[p.partId]?.value ?? '' : '';
      return p.type === 'text/html' ? htmlToText(v) : v;
    })
    .join('\n\n');
}

/** One message by id (fetched with its text); null when it is not there (or not the user's). */
export async function readEmail(api: ReturnType<typeof apiFor>, id: string): Promise<ReadEmail | null> {
  if (!ID.test(id)) return null;
  const r = await api.one('Email/get', { ids: [id], properties: READ_PROPERTIES, fetchTextBodyValues: true, maxBodyValueBytes: 1_000_000 });
  return ((r.list as ReadEmail[])[0] as ReadEmail | undefined) ?? null;
}

/** The HTML body's frame, with the bar that says how many remote images were blocked (or that they are shown). */
function htmlBody(v: View, id: string, blocked: number, remote: boolean, tooDeep: boolean) {
  const bar = tooDeep
    ? html`<p class="images-bar" data-html="too-deep">${v.t('reading.htmlTooDeep')}</p>`
    : remote
    ? html`<p class="images-bar" data-images="shown">${v.t('reading.imagesShown')} <a href="${messageUrl(id)}">${v.t('reading.hideImages')}</a></p>`
    : blocked > 0
      ? html`<p class="images-bar" data-images="blocked" data-blocked="${String(blocked)}">${v.t('reading.imagesBlocked', { n: blocked })} <a class="show-images" href="${url(messageUrl(id), { images: '1' })}">${v.t('reading.showImages')}</a></p>`
      : '';
  return html`${bar}<iframe class="html-body" sandbox="${FRAME_SANDBOX}" referrerpolicy="no-referrer" title="${v.t('reading.htmlFrame')}" src="${url(`${messageUrl(id)}/frame`, { images: remote ? '1' : undefined })}"></iframe>`;
}

/** The verdict line above the body: spam or not, the score against the threshold, the checks that matched. */
function verdictLine(v: View, s: SpamVerdict | null) {
  if (!s) return '';
  const args = { score: s.score, threshold: s.threshold };
  return html`<p class="${s.spam ? 'spam-verdict is-spam' : 'spam-verdict'}" data-verdict="${s.spam ? 'spam' : 'ham'}">${v.t(s.spam ? 'reading.verdictSpam' : 'reading.verdictHam', args)}${s.tags.length ? html` <span class="hint">${v.t('reading.verdictTags', { tags: s.tags.join(', ') })}</span>` : ''}</p>`;
}

export function registerReadPage(app: FastifyInstance, svc: JmapService): void {
  app.get('/mail/message/:id', { config: { access: { guard: requireRole('signed-in') } } }, async (req, reply) => {
    const v = viewOf(req, reply, 'webmail');
    const { id } = req.params as { id: string };
    const api = apiFor(svc, req);
    try {
      const e = await readEmail(api, id);
      if (!e) return sendMailError(req, reply, new MailError('notFound'));
      if (!e.keywords.$seen) await api.one('Email/set', { update: { [e.id]: { 'keywords/$seen': true } } });
      const list = await mailboxes(api);
      const inId = Object.keys(e.mailboxIds)[0];
      const current = list.find((m) => m.id === inId);
      const dl = (p: Part) => url(`/jmap/download/${encodeURIComponent(api.accountId)}/${encodeURIComponent(p.blobId ?? '')}/${encodeURIComponent(p.name || 'attachment')}`, { type: p.type });
      const remote = (req.query as Record<string, unknown>).images === '1';
      const rich = await sanitisedHtml(api, svc, clientIp(req), e.id, remote);
      const head = (label: string, value: string, cls: string) => (value ? html`<dt>${label}</dt><dd class="${cls}">${value}</dd>` : '');
      const content = html`<article class="message" data-id="${e.id}">
        <h1 class="subject">${e.subject || v.t('mail.noSubject')}</h1>
        <p class="reply-links">
          <a href="${url('/compose', { reply: e.id })}">${v.t('mail.reply')}</a>
          <a href="${url('/compose', { reply: e.id, mode: 'all' })}">${v.t('mail.replyAll')}</a>
          <a href="${url('/compose', { reply: e.id, mode: 'forward' })}">${v.t('mail.forward')}</a>
        </p>
        <dl class="headers">
          ${head(v.t('mail.from'), addressList(e.from), 'from')}
          ${head(v.t('mail.to'), addressList(e.to), 'to')}
          ${head(v.t('mail.cc'), addressList(e.cc), 'cc')}
          ${head(v.t('mail.date'), when(v, e.sentAt ?? e.receivedAt), 'date')}
        </dl>
        ${e.attachments.length ? html`<ul class="attachments" aria-label="${v.t('mail.attachments')}">${e.attachments.map((p) => (p.blobId ? html`<li><a href="${dl(p)}" download="${p.name || 'attachment'}">${p.name || v.t('mail.unnamed')}</a> <span class="hint">(${p.type}, ${String(p.size)} B)</span></li>` : ''))}</ul>` : ''}
        ${verdictLine(v, spamVerdict(e))}
        ${rich ? htmlBody(v, e.id, rich.blockedImages, remote, !!rich.tooDeep) : html`<pre class="body">${bodyText(e)}</pre>`}
        <form method="post" action="/mail/act" class="message-actions">
          ${hiddenCsrf(v)}<input type="hidden" name="id" value="${e.id}"><input type="hidden" name="back" value="${messageUrl(e.id)}">
          ${actionBar(v, list, current)}
        </form>
      </article>`;
      return mailPage(req, reply, e.subject || v.t('mail.noSubject'), folderList(v, list, current?.id ?? null), content);
    } catch (err) {
      return sendMailError(req, reply, err);
    }
  });
}
