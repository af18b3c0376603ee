// Facts about a stored message read from its header section once and kept in the index: message ids for
// threading, the decoded subject, first From/To names for sorting, the Date: header. Pure and bounded; a
// malformed header gives empty values, never a throw. It never reads the body.
import { fieldText } from '../mime/address-list.js';
import { stripComments } from '../mime/comments.js';
import { parseDateTime } from '../mime/date-time.js';
import { decodeHeaderValue as decodeHeader } from '../mime/charset.js';
import { parseHeaders, findBodyStart } from '../mime/mime-tree.js';
import { parseAddressList } from '../imap/mime/envelope.js';

/** Header facts of one message (what the index keeps per email). */
export interface EmailMeta {
  messageId: string[];
  inReplyTo: string[];
  references: string[];
  /** Subject decoded to Unicode ('' when absent). */
  subject: string;
  /** First From address: display name or address, for sorting and the thread list. */
  from: string;
  to: string;
  /** From, To, Cc and Bcc decoded ("name <address>, ..."), for text search. */
  addresses: { from: string; to: string; cc: string; bcc: string };
  /** Date: header as ms since the epoch, with its zone offset in minutes; null when absent or unreadable. */
  sentAt: { ms: number; offset: number } | null;
}

/** The header section is read up to this many bytes. */
export const META_HEAD_LIMIT = 256 * 1024;
const MAX_IDS = 200;

const decodeHeaderValue = (v: string): string => decodeHeader(v).text;

export function metaOf(raw: Buffer): EmailMeta {
  const limit = Math.min(raw.length, META_HEAD_LIMIT);
  const end = findBodyStart(raw, 0, limit);
  const headers = parseHeaders(raw, 0, end);
  const last = (name: string) => {
    for (let i = headers.length - 1; i >= 0; i--) if (headers[i].name === name) return headers[i].value;
    return undefined;
  };
  const firstAddress = (name: string) => {
    const v = last(name);
    if (v === undefined) return '';
    const a = parseAddressList(fieldText(v)).find((x) => x.mailbox !== null && x.host !== null);
    if (!a) return '';
    return a.name ? decodeHeaderValue(a.name).trim() : `${a.mailbox}@${a.host}`;
  };
  const allOf = (name: string) =>
    headers
      .filter((h) => h.name === name)
      .map((h) =>
        parseAddressList(fieldText(h.value))
          .filter((x) => x.mailbox !== null && x.host !== null)
          .map((x) => (x.name ? `${decodeHeaderValue(x.name).trim()} <${x.mailbox}@${x.host}>` : `${x.mailbox}@${x.host}`))
          .join(', '),
      )
      .join(', ')
      .slice(0, 4000);
  return {
    messageId: messageIds(last('message-id')),
    inReplyTo: messageIds(last('in-reply-to')),
    references: messageIds(last('references')),
    subject: decodeHeaderValue(last('subject') ?? '').normalize('NFC'),
    from: firstAddress('from'),
    to: firstAddress('to'),
    addresses: { from: allOf('from'), to: allOf('to'), cc: allOf('cc'), bcc: allOf('bcc') },
    sentAt: parseDate(last('date')),
  };
}

/** "<a@b> (comment) <c@d>" → ["a@b", "c@d"]; ids without angle brackets are taken word by word. */
export function messageIds(v: string | undefined): string[] {
  if (!v) return [];
  const text = stripComments(v);
  const out: string[] = [];
  const angled = text.match(/<[^<>\s]{1,998}>/g);
  if (angled) for (const a of angled) out.push(a.slice(1, -1));
  else for (const w of text.split(/\s+/)) if (w.includes('@') && w.length <= 998) out.push(w);
  return out.slice(-MAX_IDS);
}

/** The Date: field's instant and zone, as the index keeps them ({ ms, offset }); null when absent or unreadable. */
export function parseDate(v: string | undefined): { ms: number; offset: number } | null {
  const t = v ? parseDateTime(v) : null;
  return t && { ms: t.ms, offset: t.zone };
}

/**
 * The base subject (RFC 5256 §2.1, as JMAP sorts and threads): compatibility forms folded (ＲＥ：→ re:), reply and
 * forward prefixes (re, fw, fwd, aw, sv, 返信, 転送, with counts like "Re[2]:") and "[list]" tags removed from the
 * front, "(fwd)" from the end, white space collapsed, lower case.
 */
export function baseSubject(subject: string): string {
  let s = subject.normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();
  for (let guard = 0; guard < 50; guard++) {
    const before = s;
    s = s.replace(/^(?:re|fw|fwd|aw|wg|sv|vs|tr|rif|res|返信|転送|返|转发|回复)(?:\s*[[(]\d+[\])])?\s*:\s*/u, '');
    s = s.replace(/^\[[^\]]{0,100}\]\s*/u, '');
    s = s.replace(/\s*\(fwd\)$/u, '');
    if (s === before) break;
  }
  return s.trim();
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Header facts read back from the index, checked field by field; null when they are not what metaOf writes. */
export function checkedMeta(v: unknown): EmailMeta | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (!strings(o.messageId) || !strings(o.inReplyTo) || !strings(o.references)) return null;
  if (typeof o.subject !== 'string' || typeof o.from !== 'string' || typeof o.to !== 'string') return null;
  const a = o.addresses as Record<string, unknown> | undefined;
  if (!a || typeof a !== 'object' || !['from', 'to', 'cc', 'bcc'].every((k) => typeof a[k] === 'string')) return null;
  const d = o.sentAt as { ms?: unknown; offset?: unknown } | null;
  if (d !== null && (typeof d !== 'object' || typeof d.ms !== 'number' || typeof d.offset !== 'number')) return null;
  const addresses = { from: a.from as string, to: a.to as string, cc: a.cc as string, bcc: a.bcc as string };
  return { messageId: o.messageId, inReplyTo: o.inReplyTo, references: o.references, subject: o.subject, from: o.from, to: o.to, addresses, sentAt: d ? { ms: d.ms as number, offset: d.offset as number } : null };
}
