// An HTML message's body as its own document, for the reading page's <iframe sandbox> (no scripts, an opaque
// origin): sanitised (html-sanitise.ts), decoded by engine/mime/charset.ts (a <meta charset> counts when the MIME
// part names none), cid: images inlined as data: URIs read through the JMAP blob path as the user, and served with
// its own CSP (nothing but inline style and data: images; remote images only when the user asked, for that view).
// It never serves mail markup at the webmail's origin without that CSP and sandbox, and never reads another account.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireRole } from '../roles.js';
import { clientIp } from '../app.js';
import { decodeBytes, normaliseCharset } from '../../mime/charset.js';
import { CallContext } from '../../jmap/request.js';
import { readBlob } from '../../jmap/mail/blob-source.js';
import type { JmapService } from '../../jmap/service.js';
import type { MailApi } from './mail-api.js';
import { MailError } from './mail-api.js';
import { sanitiseMailHtml, type Sanitised } from './html-sanitise.js';
import { sendMailError } from './views.js';

const ID = /^[A-Za-z0-9_-]{1,100}$/;
const INLINE_TYPES = /^image\/(?:png|gif|jpeg|webp)$/;
/** Inline images are inlined into the frame document: at most this much in all (the rest show as missing). */
const MAX_INLINE_BYTES = 8 * 1024 * 1024;
const MAX_HTML_BYTES = 2_000_000;

interface HtmlPart {
  partId: string | null;
  blobId: string | null;
  type: string;
  charset: string | null;
  cid: string | null;
  size: number;
}

interface HtmlEmail {
  id: string;
  htmlBody: HtmlPart[];
  attachments: HtmlPart[];
  bodyValues: Record<string, { value: string }>;
}

/** The frame's policy: inline style and data: images only; remote images (http, https) only on request. */
export function frameCsp(remoteImages: boolean): string {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `img-src data:${remoteImages ? ' https: http:' : ''}`,
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
    'sandbox allow-popups allow-popups-to-escape-sandbox',
  ].join('; ');
}

/** The sandbox of the reading page's <iframe>: links may open a new top-level window; nothing else. */
export const FRAME_SANDBOX = 'allow-popups allow-popups-to-escape-sandbox';

/** The charset a document names for itself in its first 2 KiB (<meta charset> or http-equiv Content-Type). */
export function metaCharset(text: string): string | null {
  const head = text.slice(0, 2048);
  const m = /<meta\s[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})/i.exec(head);
  return m ? m[1].toLowerCase() : null;
}

const ctxFor = (api: MailApi, svc: JmapService, ip: string) => new CallContext(svc, api.user, new Map(), new Set(), ip);

/** The message's HTML body as one string, or null when it has none (then the page shows its text). */
async function htmlOf(api: MailApi, svc: JmapService, ip: string, e: HtmlEmail): Promise<string | null> {
  const parts = e.htmlBody.filter((p) => p.type === 'text/html' && p.partId);
  if (!parts.length) return null;
  const out: string[] = [];
  for (const p of parts) {
    let value = e.bodyValues[p.partId!]?.value ?? '';
    // MIME says nothing (or us-ascii) but the document names its charset: decode the part's bytes by that name
    const declared = metaCharset(value);
    const mimeSays = normaliseCharset(p.charset ?? undefined);
    if (declared && (!mimeSays || mimeSays === 'us-ascii') && normaliseCharset(declared) !== 'us-ascii' && p.blobId) {
      const bytes = await readBlob(ctxFor(api, svc, ip), p.blobId);
      if (bytes) value = decodeBytes(bytes, declared).text;
    }
    out.push(value);
  }
  return out.join('\n<hr>\n');
}

/** cid: → data: URI for the message's inline images (png, gif, jpeg, webp), within MAX_INLINE_BYTES in all. */
async function cidResolver(api: MailApi, svc: JmapService, ip: string, e: HtmlEmail, wanted: Set<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let budget = MAX_INLINE_BYTES;
  for (const p of [...e.htmlBody, ...e.attachments]) {
    const cid = p.cid?.replace(/^<|>$/g, '');
    if (!cid || !p.blobId || !wanted.has(cid) || out.has(cid) || !INLINE_TYPES.test(p.type) || p.size > budget) continue;
    const bytes = await readBlob(ctxFor(api, svc, ip), p.blobId);
    if (!bytes || bytes.length > budget) continue;
    budget -= bytes.length;
    out.set(cid, `data:${p.type};base64,${bytes.toString('base64')}`);
  }
  return out;
}

/** The sanitised body of a message that has HTML; null when it has none. The reading page uses it for the count. */
export async function sanitisedHtml(api: MailApi, svc: JmapService, ip: string, id: string, remoteImages: boolean): Promise<Sanitised | null> {
  if (!ID.test(id)) throw new MailError('notFound');
  const r = await api.one('Email/get', {
    ids: [id],
    properties: ['id', 'htmlBody', 'attachments', 'bodyValues'],
    bodyProperties: ['partId', 'blobId', 'type', 'charset', 'cid', 'size'],
    fetchHTMLBodyValues: true,
    maxBodyValueBytes: MAX_HTML_BYTES,
  });
  const e = (r.list as HtmlEmail[])[0];
  if (!e) throw new MailError('notFound');
  const text = await htmlOf(api, svc, ip, e);
  if (text === null) return null;
  // first pass finds the cid: references, so only the images the body uses are read
  const first = sanitiseMailHtml(text, { remoteImages, cid: () => undefined });
  if (!first.cidRefs.length) return first;
  const cids = await cidResolver(api, svc, ip, e, new Set(first.cidRefs));
  return sanitiseMailHtml(text, { remoteImages, cid: (c) => cids.get(c) });
}

/** The frame document: the sanitised body with a base style, nothing else. */
export function frameDocument(body: string, lang: string): string {
  return `<!doctype html><html lang="${lang === 'ja' ? 'ja' : 'en'}"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
    '<style>body{font-family:system-ui,sans-serif;margin:.75rem;overflow-wrap:anywhere}img{max-width:100%;height:auto}</style>' +
    `</head><body>${body}</body></html>`;
}

const wantsRemote = (req: FastifyRequest): boolean => (req.query as Record<string, unknown>).images === '1';

export function registerHtmlFrame(app: FastifyInstance, svc: JmapService, apiFor: (req: FastifyRequest) => MailApi): void {
  app.get('/mail/message/:id/frame', {
    config: { access: { guard: requireRole('signed-in') } },
    // after the app's own onSend (which sets the pages' CSP and X-Frame-Options: DENY): this document's own policy
    onSend: async (req, reply, payload) => {
      if (reply.statusCode === 200) reply.header('content-security-policy', frameCsp(wantsRemote(req))).header('x-frame-options', 'SAMEORIGIN');
      return payload;
    },
  }, async (req, reply) => {
    const { id } = req.params as { id: string };
    try {
      const s = await sanitisedHtml(apiFor(req), svc, clientIp(req), id, wantsRemote(req));
      if (!s) throw new MailError('notFound');
      return reply.type('text/html; charset=utf-8').send(frameDocument(s.html, req.lang));
    } catch (err) {
      return sendMailError(req, reply, err);
    }
  });
}
