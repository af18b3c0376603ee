// Writing: a new message, a reply, a reply to all, or a forward (text inline, the original's attachments kept).
// Send = Email/set create in Drafts, then EmailSubmission/set (the submission path SMTP AUTH uses: restrict_sender,
// DKIM, the queue), which files it in Sent; "save draft" stops after the first step. The From is one of the
// user's Identity objects chosen by id — never an address typed by the user; its signature goes in under "-- "
// (above the quoted text of a reply) and its Reply-To with the message. The text goes out as UTF-8, or as
// ISO-2022-JP when the user chooses it (checked here first, so a character it cannot carry is named in the form).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { boolAttr, html } from '../html.js';
import { CSRF_FIELD } from '../csrf.js';
import { hiddenCsrf, viewOf, type View } from '../layout.js';
import { requireRole } from '../roles.js';
import type { JmapService } from '../../jmap/service.js';
import { byRole, MailApi, MailError, mailboxes, type Address } from './mail-api.js';
import { parseAddresses } from './addresses.js';
import { apiFor } from './list-page.js';
import { bodyText, readEmail, type ReadEmail } from './read-page.js';
import { addressList, addressText, folderList, mailPage, sendMailError, url, when } from './views.js';
import { checkJis } from '../../mime/iso2022jp.js';
import { CHARSETS, getPrefs, type SendCharset } from './prefs.js';
import { listIdentities, type Identity } from './settings-identities.js';

const access = { access: { guard: requireRole('signed-in') } };
const MODES = ['reply', 'all', 'forward'] as const;
type Mode = (typeof MODES)[number];

/** A file uploaded by the page script to /jmap/upload (its blob id), to attach. */
interface Upload {
  blobId: string;
  type: string;
  name: string;
}

const BLOB_ID = /^[A-Za-z0-9_-]{1,255}$/;
const TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** The attachment fields of the form (JSON written by web.js), each checked; null when one is malformed. */
function uploads(v: unknown): Upload[] | null {
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  const out: Upload[] = [];
  for (const item of list) {
    let u: unknown;
    try {
      u = JSON.parse(String(item));
    } catch {
      return null;
    }
    const o = u as Record<string, unknown>;
    if (!o || typeof o !== 'object' || typeof o.blobId !== 'string' || !BLOB_ID.test(o.blobId) || typeof o.name !== 'string' || o.name.length > 255) return null;
    out.push({ blobId: o.blobId, type: typeof o.type === 'string' && TYPE.test(o.type) ? o.type.toLowerCase() : 'application/octet-stream', name: o.name.replace(/[\x00-\x1f\x7f]/g, '') || 'attachment' });
  }
  return out;
}

interface Draft {
  uploads?: Upload[];
  from?: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  body: string;
  orig?: string;
  mode?: Mode;
  charset?: SendCharset;
}

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to', 'subject', 'body', 'op'],
  properties: {
    from: { type: 'string', maxLength: 100 },
    to: { type: 'string', maxLength: 20_000 },
    cc: { type: 'string', maxLength: 20_000 },
    bcc: { type: 'string', maxLength: 20_000 },
    subject: { type: 'string', maxLength: 1000 },
    body: { type: 'string', maxLength: 1_000_000 },
    orig: { type: 'string', maxLength: 100, pattern: '^[A-Za-z0-9_-]*$' },
    mode: { type: 'string', enum: ['', ...MODES] },
    attachment: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 2000 } }] },
    op: { type: 'string', enum: ['send', 'draft'] },
    charset: { type: 'string', enum: [...CHARSETS] },
    [CSRF_FIELD]: { type: 'string', maxLength: 100 },
  },
} as const;

const prefixed = (prefix: string, subject: string | null) => {
  const s = (subject ?? '').trim();
  return new RegExp(`^${prefix}:`, 'i').test(s) ? s : `${prefix}: ${s}`;
};
const quote = (text: string) => text.split('\n').map((l) => `> ${l}`).join('\n');
const lower = (a: Address) => a.email.toLowerCase();

/** The form's starting values for a reply, reply-all or forward of `o`. */
function startFrom(v: View, o: ReadEmail, mode: Mode, mine: Set<string>): Draft {
  const text = bodyText(o);
  const who = addressList(o.from);
  if (mode === 'forward') {
    const head = [`${v.t('mail.from')}: ${who}`, `${v.t('mail.date')}: ${when(v, o.sentAt ?? o.receivedAt)}`, `${v.t('mail.subject')}: ${o.subject ?? ''}`, `${v.t('mail.to')}: ${addressList(o.to)}`];
    return { to: '', cc: '', bcc: '', subject: prefixed('Fwd', o.subject), body: `\n\n${v.t('mail.forwarded')}\n${head.join('\n')}\n\n${text}`, orig: o.id, mode };
  }
  const to = o.replyTo?.length ? o.replyTo : (o.from ?? []);
  const seen = new Set(to.map(lower));
  const cc = mode === 'all' ? [...(o.to ?? []), ...(o.cc ?? [])].filter((a) => !mine.has(lower(a)) && !seen.has(lower(a)) && (seen.add(lower(a)), true)) : [];
  const intro = v.t('mail.wrote', { date: when(v, o.sentAt ?? o.receivedAt), who });
  return { to: addressList(to), cc: addressList(cc), bcc: '', subject: prefixed('Re', o.subject), body: `\n\n${intro}\n${quote(text)}`, orig: o.id, mode };
}

function form(v: View & { accountId: string }, ids: Identity[], d: Draft, error?: string) {
  const field = (name: 'to' | 'cc' | 'bcc', label: string) => html`<p><label for="c-${name}">${label}</label><input id="c-${name}" name="${name}" type="text" value="${d[name]}" autocomplete="off"></p>`;
  return html`<h1>${v.t(d.mode === 'forward' ? 'mail.forward' : d.mode ? 'mail.reply' : 'mail.compose')}</h1>
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    <form method="post" action="/compose" class="compose-form">
      ${hiddenCsrf(v)}<input type="hidden" name="orig" value="${d.orig ?? ''}"><input type="hidden" name="mode" value="${d.mode ?? ''}">
      <p><label for="c-from">${v.t('mail.from')}</label><select id="c-from" name="from">${ids.map((i) => html`<option value="${i.id}" data-sig="${i.textSignature ?? ''}"${boolAttr('selected', i.id === d.from)}>${addressText({ name: i.name || null, email: i.email })}</option>`)}</select></p>
      ${field('to', v.t('mail.to'))}${field('cc', v.t('mail.cc'))}${field('bcc', v.t('mail.bcc'))}
      <p><label for="c-charset">${v.t('mail.charset')}</label><select id="c-charset" name="charset">${CHARSETS.map((c) => html`<option value="${c}"${boolAttr('selected', c === (d.charset ?? 'utf-8'))}>${v.t(`mail.charsets.${c}`)}</option>`)}</select></p>
      <p><label for="c-subject">${v.t('mail.subject')}</label><input id="c-subject" name="subject" type="text" value="${d.subject}"></p>
      <p><label for="c-body">${v.t('mail.body')}</label><textarea id="c-body" name="body" rows="16">
${d.body}</textarea></p>
      <p class="attach"><label for="c-file">${v.t('mail.attach')}</label><input id="c-file" type="file" multiple data-upload="${`/jmap/upload/${encodeURIComponent(v.accountId)}`}" data-failed="${v.t('mail.uploadFailed')}">
        <span class="hint">${v.t('mail.attachHint')}</span></p>
      <ul class="uploads">${(d.uploads ?? []).map((u) => html`<li>${u.name}<input type="hidden" name="attachment" value="${JSON.stringify(u)}"></li>`)}</ul>
      <p><button type="submit" name="op" value="send" class="primary">${v.t('mail.send')}</button> <button type="submit" name="op" value="draft">${v.t('mail.saveDraft')}</button></p>
    </form>`;
}

const identities = listIdentities;

/** The first character of the message's text or header fields that ISO-2022-JP cannot carry, if any. */
function notJis(d: Draft, identity: Identity, fields: Record<string, Address[]>): string | null {
  const texts = [d.subject, d.body, identity.name, ...Object.values(fields).flat().map((a) => a.name ?? '')];
  for (const t of texts) {
    const c = checkJis(t);
    if (!c.ok) return `${c.char} (${c.codePoint})`;
  }
  return null;
}

async function page(req: FastifyRequest, reply: FastifyReply, api: MailApi, ids: Identity[], d: Draft, error?: string, status = 200) {
  const v = viewOf(req, reply, 'webmail');
  return mailPage(req, reply, v.t('mail.compose'), folderList(v, await mailboxes(api), null), form({ ...v, accountId: api.accountId }, ids, d, error), status);
}

export function registerComposePage(app: FastifyInstance, svc: JmapService): void {
  app.get('/compose', { config: access }, async (req, reply) => {
    const v = viewOf(req, reply, 'webmail');
    const q = req.query as Record<string, unknown>;
    const api = apiFor(svc, req);
    try {
      const ids = await identities(api);
      let d: Draft = { to: typeof q.to === 'string' ? q.to.slice(0, 2000) : '', cc: '', bcc: '', subject: '', body: '' };
      let identity = ids[0];
      if (typeof q.reply === 'string') {
        const o = await readEmail(api, q.reply);
        if (!o) throw new MailError('notFound');
        const mode = (MODES as readonly string[]).includes(String(q.mode)) ? (q.mode as Mode) : 'reply';
        d = startFrom(v, o, mode, new Set(ids.map((i) => i.email.toLowerCase())));
        // answer from the identity the original was addressed to
        const to = new Set([...(o.to ?? []), ...(o.cc ?? [])].map(lower));
        identity = ids.find((i) => to.has(i.email.toLowerCase())) ?? identity;
      }
      // the signature under "-- " (RFC 3676 §4.3), above the quoted text of a reply or forward
      const sig = identity?.textSignature;
      if (sig) d.body = `\n\n-- \n${sig}${d.body}`;
      d.from = identity?.id;
      d.charset = (await getPrefs(svc, req.caller!.user.address)).charset;
      return page(req, reply, api, ids, d);
    } catch (e) {
      return sendMailError(req, reply, e);
    }
  });

  app.post('/compose', { config: access, schema: { body: bodySchema } }, async (req, reply) => {
    const v = viewOf(req, reply, 'webmail');
    const b = req.body as Omit<Draft, 'uploads'> & { from: string; op: 'send' | 'draft'; attachment?: string | string[] };
    const files = uploads(b.attachment);
    const d: Draft = { to: b.to, cc: b.cc ?? '', bcc: b.bcc ?? '', subject: b.subject, body: b.body, orig: b.orig, from: b.from, mode: b.mode || undefined, uploads: files ?? [], charset: b.charset ?? 'utf-8' };
    const api = apiFor(svc, req);
    try {
      const ids = await identities(api);
      const identity = ids.find((i) => i.id === b.from);
      if (!identity) return page(req, reply, api, ids, d, v.t('mail.badFrom'), 400);
      if (!files) return page(req, reply, api, ids, d, v.t('mail.badAttachment'), 400);
      const fields: Record<string, Address[]> = {};
      for (const k of ['to', 'cc', 'bcc'] as const) {
        const p = parseAddresses(d[k]);
        if (!p.ok) return page(req, reply, api, ids, d, v.t('mail.badAddress', { address: p.bad }), 400);
        if (p.list.length) fields[k] = p.list;
      }
      if (b.op === 'send' && !fields.to && !fields.cc && !fields.bcc) return page(req, reply, api, ids, d, v.t('mail.noRecipient'), 400);
      const jis = d.charset === 'iso-2022-jp';
      const bad = jis ? notJis(d, identity, fields) : null;
      if (bad) return page(req, reply, api, ids, d, v.t('mail.notJis', { char: bad }), 400);
      const orig = d.orig ? await readEmail(api, d.orig) : null;
      if (d.orig && !orig) throw new MailError('notFound');
      const list = await mailboxes(api);
      const drafts = byRole(list, 'drafts');
      const sent = byRole(list, 'sent');
      if (!drafts || !sent) throw new MailError('serverFail', 'no Drafts or Sent mailbox');
      const email: Record<string, unknown> = {
        mailboxIds: { [drafts.id]: true },
        keywords: { $draft: true, $seen: true },
        from: [{ name: identity.name || null, email: identity.email }],
        ...fields,
        subject: d.subject,
        ...(identity.replyTo?.length ? { replyTo: identity.replyTo } : {}),
        textBody: [{ partId: 't', type: 'text/plain', ...(jis ? { charset: 'iso-2022-jp' } : {}) }],
        bodyValues: { t: { value: d.body.replace(/\r\n?/g, '\n') } },
      };
      if (orig && d.mode !== 'forward' && orig.messageId?.length) {
        email.inReplyTo = orig.messageId;
        email.references = [...(orig.references ?? []), ...orig.messageId].slice(-30);
      }
      const attachments = [
        ...(orig && d.mode === 'forward' ? orig.attachments.filter((p) => p.blobId).map((p) => ({ blobId: p.blobId, type: p.type, name: p.name })) : []),
        ...files.map((u) => ({ blobId: u.blobId, type: u.type, name: u.name })),
      ];
      if (attachments.length) email.attachments = attachments.map((a) => ({ ...a, disposition: 'attachment' }));
      const calls: [string, Record<string, unknown>, string][] = [['Email/set', { create: { e: email } }, 'c']];
      if (b.op === 'send') {
        calls.push(['EmailSubmission/set', {
          create: { s: { identityId: identity.id, emailId: '#e' } },
          onSuccessUpdateEmail: { '#s': { [`mailboxIds/${drafts.id}`]: null, [`mailboxIds/${sent.id}`]: true, 'keywords/$draft': null } },
        }, 's']);
        if (orig) calls.push(['Email/set', { update: { [orig.id]: { [d.mode === 'forward' ? 'keywords/$forwarded' : 'keywords/$answered']: true } } }, 'a']);
      }
      let answers;
      try {
        answers = await api.run(calls);
      } catch (e) {
        if (e instanceof MailError && e.type !== 'serverFail') return page(req, reply, api, ids, d, v.t('mail.notSent', { reason: e.description ?? e.type }), 400);
        throw e;
      }
      const created = MailApi.setError(answers[0][1], 'e');
      if (created) return page(req, reply, api, ids, d, v.t('mail.notSent', { reason: created.description ?? created.type }), 400);
      if (b.op === 'send') {
        const sub = MailApi.setError(answers[1][1], 's');
        if (sub) {
          // the draft stays in Drafts: nothing typed is lost
          return page(req, reply, api, ids, d, sub.type === 'rateLimit' ? v.t('mail.sendLimit', { reason: sub.description ?? '' }) : v.t('mail.notSent', { reason: sub.description ?? sub.type }), 400);
        }
      }
      req.audit = { action: b.op === 'send' ? 'mail.send' : 'mail.draft' };
      return reply.redirect(url('/mail', b.op === 'send' ? { done: 'sent' } : { mb: drafts.id, done: 'draft' }), 303);
    } catch (e) {
      return sendMailError(req, reply, e);
    }
  });
}
