// An Email object's content properties (RFC 8621 §4.1.2–4.1.4) computed from the message itself: convenience
// headers (from, subject, sentAt...), header:… properties in any allowed form, bodyStructure, textBody / htmlBody
// / attachments, bodyValues, hasAttachment and preview. Shared by Email/get and Email/parse. Pure.
import { parseMime, parseHeaders, findBodyStart, type HeaderField } from '../../mime/mime-tree.js';
import { invalidArguments } from '../errors.js';
import { htmlToText } from '../../mime/html-text.js';
import {
  BODY_PROPERTIES, bodyStructure, bodyValue, DEFAULT_BODY_PROPERTIES, fieldName, flatten, hasAttachment, partObject, type BodyPart, type BodyValue,
} from './body-parts.js';
import { headerPropertyValue, parseHeaderProperty, rawValue, type HeaderProperty } from './header-forms.js';

export const METADATA = ['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt'];
const CONVENIENCE: Record<string, Pick<HeaderProperty, 'name' | 'form' | 'all'>> = {
  messageId: { name: 'message-id', form: 'MessageIds', all: false },
  inReplyTo: { name: 'in-reply-to', form: 'MessageIds', all: false },
  references: { name: 'references', form: 'MessageIds', all: false },
  sender: { name: 'sender', form: 'Addresses', all: false },
  from: { name: 'from', form: 'Addresses', all: false },
  to: { name: 'to', form: 'Addresses', all: false },
  cc: { name: 'cc', form: 'Addresses', all: false },
  bcc: { name: 'bcc', form: 'Addresses', all: false },
  replyTo: { name: 'reply-to', form: 'Addresses', all: false },
  subject: { name: 'subject', form: 'Text', all: false },
  sentAt: { name: 'date', form: 'Date', all: false },
};
export const CONVENIENCE_PROPERTIES = Object.keys(CONVENIENCE);
const BODY = ['bodyStructure', 'bodyValues', 'textBody', 'htmlBody', 'attachments', 'hasAttachment', 'preview'];
export const EMAIL_PROPERTIES = new Set([...METADATA, ...CONVENIENCE_PROPERTIES, 'headers', ...BODY]);

export const DEFAULT_GET_PROPERTIES = [
  'id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt', 'messageId', 'inReplyTo', 'references', 'sender', 'from',
  'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'hasAttachment', 'preview', 'bodyValues', 'textBody', 'htmlBody', 'attachments',
];
export const DEFAULT_PARSE_PROPERTIES = [
  'messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'hasAttachment', 'preview',
  'bodyValues', 'textBody', 'htmlBody', 'attachments',
];

export interface ViewRequest {
  properties: string[];
  headerProps: HeaderProperty[];
  bodyProperties: string[];
  bodyHeaderProps: HeaderProperty[];
  fetchTextBodyValues: boolean;
  fetchHTMLBodyValues: boolean;
  fetchAllBodyValues: boolean;
  maxBodyValueBytes: number;
  /** The request's remaining body-value octets (CallContext.budget), spent as values are made; none: no bound. */
  budget?: { bodyValueBytes: number };
}

/**
 * header:… properties one Email/get or Email/parse may ask for (and as many per body part): each is answered for
 * every email (and part) asked, so 300,000 of them in a 5 MB request made a 178 MB answer from 20 small emails
 * (500 emails: gigabytes, the server's memory).
 */
export const MAX_HEADER_PROPERTIES = 100;

/** Split and check the properties and bodyProperties arguments (invalidArguments for anything unknown). */
export function viewRequest(
  properties: string[] | null, bodyProperties: string[] | null, defaults: string[],
  flags: Omit<ViewRequest, 'properties' | 'headerProps' | 'bodyProperties' | 'bodyHeaderProps'>,
): ViewRequest {
  const props: string[] = [];
  const headerProps: HeaderProperty[] = [];
  for (const p of new Set(properties ?? defaults)) {
    const h = parseHeaderProperty(p);
    if (h === 'invalid') throw invalidArguments(`property ${p} is not a valid header property`);
    if (h) headerProps.push(h);
    else if (EMAIL_PROPERTIES.has(p)) props.push(p);
    else throw invalidArguments(`unknown Email property ${p}`);
  }
  if (headerProps.length > MAX_HEADER_PROPERTIES) throw invalidArguments(`at most ${MAX_HEADER_PROPERTIES} header: properties`);
  const bodyProps: string[] = [];
  const bodyHeaderProps: HeaderProperty[] = [];
  for (const p of new Set(bodyProperties ?? DEFAULT_BODY_PROPERTIES)) {
    const h = parseHeaderProperty(p);
    if (h === 'invalid') throw invalidArguments(`body property ${p} is not a valid header property`);
    if (h) bodyHeaderProps.push(h);
    else if (BODY_PROPERTIES.has(p)) bodyProps.push(p);
    else throw invalidArguments(`unknown EmailBodyPart property ${p}`);
  }
  if (bodyHeaderProps.length > MAX_HEADER_PROPERTIES) throw invalidArguments(`at most ${MAX_HEADER_PROPERTIES} header: body properties`);
  return { ...flags, properties: [...new Set(props)], headerProps, bodyProperties: bodyProps, bodyHeaderProps };
}

/** Does answering need the message body, or only its header section? */
export function needsBody(v: ViewRequest, cachedExtra: boolean): boolean {
  return v.properties.some((p) => BODY.includes(p) && !(cachedExtra && (p === 'hasAttachment' || p === 'preview')));
}

export function needsHeader(v: ViewRequest): boolean {
  return v.headerProps.length > 0 || v.properties.some((p) => p === 'headers' || p in CONVENIENCE);
}

/** The header fields of a message (or of its first bytes when only the header was read). */
export function topHeaders(raw: Buffer): HeaderField[] {
  return parseHeaders(raw, 0, findBodyStart(raw, 0, raw.length));
}

/** Preview: the first text of the body, white space collapsed, at most 256 characters. */
export function previewOf(raw: Buffer, textBody: BodyPart[]): string {
  let out = '';
  for (const p of textBody) {
    if (!p.type.startsWith('text/')) continue;
    const v = bodyValue(raw, p, 64 * 1024).value;
    out += ' ' + (p.type === 'text/html' ? htmlToText(v) : v);
    if (out.length > 600) break;
  }
  return [...out.replace(/\s+/g, ' ').trim()].slice(0, 256).join('');
}

export interface Derived {
  hasAttachment: boolean;
  preview: string;
}

/**
 * The content properties asked for. `raw` is the whole message, or only its header section when needsBody()
 * said so; `blobFor` names part blobs; `cached` gives hasAttachment/preview without parsing the body.
 */
export function contentView(raw: Buffer, v: ViewRequest, blobFor: (partId: string) => string | null, cached: Derived | null): { view: Record<string, unknown>; derived: Derived | null } {
  const o: Record<string, unknown> = {};
  const headers = topHeaders(raw);
  for (const p of v.properties) {
    const c = CONVENIENCE[p];
    if (c) o[p] = headerPropertyValue(raw, headers, c);
    else if (p === 'headers') o.headers = headers.map((h) => ({ name: fieldName(raw, h), value: rawValue(raw, h) }));
  }
  for (const h of v.headerProps) o[h.property] = headerPropertyValue(raw, headers, h);
  let derived: Derived | null = cached;
  if (needsBody(v, !!cached)) {
    const tree = bodyStructure(raw, parseMime(raw), blobFor);
    const flat = flatten(tree);
    derived = { hasAttachment: hasAttachment(flat.attachments), preview: previewOf(raw, flat.textBody) };
    const part = (b: BodyPart) => partObject(raw, b, v.bodyProperties, v.bodyHeaderProps);
    for (const p of v.properties) {
      // the tree is only a tree with its subParts, whether or not bodyProperties names them
      if (p === 'bodyStructure') o.bodyStructure = partObject(raw, tree, v.bodyProperties.includes('subParts') ? v.bodyProperties : [...v.bodyProperties, 'subParts'], v.bodyHeaderProps);
      else if (p === 'textBody') o.textBody = flat.textBody.map(part);
      else if (p === 'htmlBody') o.htmlBody = flat.htmlBody.map(part);
      else if (p === 'attachments') o.attachments = flat.attachments.map(part);
      else if (p === 'hasAttachment') o.hasAttachment = derived.hasAttachment;
      else if (p === 'preview') o.preview = derived.preview;
      else if (p === 'bodyValues') {
        const values: Record<string, BodyValue> = {};
        const want = (b: BodyPart) => {
          if (!b.partId || !b.type.startsWith('text/') || values[b.partId]) return;
          const left = v.budget ? Math.max(0, v.budget.bodyValueBytes) : Infinity;
          // the request's budget spent: nothing more is decoded, the value is empty and says it was cut
          if (left === 0) {
            values[b.partId] = { value: '', isEncodingProblem: false, isTruncated: true };
            return;
          }
          const cap = Math.min(v.maxBodyValueBytes > 0 ? v.maxBodyValueBytes : Infinity, left);
          // charged before it is decoded: the octets decoding it costs (the part's `size`, counted without decoding, at most
          // the cap), so a part that gives little text for its size (escape sequences, NULs, blank lines) still
          // spends what it costs; a value longer in UTF-8 than its octets is charged the rest after
          const charge = v.budget ? Math.min(b.size, cap) : 0;
          if (v.budget) v.budget.bodyValueBytes -= charge;
          const bv = bodyValue(raw, b, cap === Infinity ? 0 : cap);
          if (v.budget) v.budget.bodyValueBytes -= Math.max(0, Buffer.byteLength(bv.value, 'utf8') - charge);
          values[b.partId] = bv;
        };
        if (v.fetchTextBodyValues) flat.textBody.forEach(want);
        if (v.fetchHTMLBodyValues) flat.htmlBody.forEach(want);
        if (v.fetchAllBodyValues) {
          const all = (b: BodyPart) => {
            want(b);
            b.subParts?.forEach(all);
          };
          all(tree);
        }
        o.bodyValues = values;
      }
    }
  } else if (cached) {
    if (v.properties.includes('hasAttachment')) o.hasAttachment = cached.hasAttachment;
    if (v.properties.includes('preview')) o.preview = cached.preview;
  }
  return { view: o, derived };
}
