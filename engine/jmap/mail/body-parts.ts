// A message's MIME tree as JMAP body parts (RFC 8621 §4.1.4): part ids (IMAP section numbers), blob ids, decoded
// sizes, file names (RFC 2231 and RFC 2047, Japanese charsets included), and the textBody / htmlBody /
// attachments lists by the decomposition RFC 8621 suggests. Bodies are decoded (transfer encoding, then charset)
// only for bodyValues (body-value.ts). Pure over a message Buffer; never throws on malformed mail.
import { CONTENT_TRANSFER_ENCODING } from '../../mime/known-fields.js';
import { header, parseDisposition, type HeaderField, type MimeNode } from '../../mime/mime-tree.js';
import { decodedLength, decodeTransfer } from '../../mime/text-decode.js';
import { headerPropertyValue, rawValue, type HeaderProperty } from './header-forms.js';
import { paramValue } from './mime-params.js';

export interface BodyPart {
  partId: string | null;
  blobId: string | null;
  size: number;
  headers: HeaderField[];
  name: string | null;
  type: string;
  charset: string | null;
  disposition: string | null;
  cid: string | null;
  language: string[] | null;
  location: string | null;
  subParts: BodyPart[] | null;
  node: MimeNode;
}

export const DEFAULT_BODY_PROPERTIES = ['partId', 'blobId', 'size', 'name', 'type', 'charset', 'disposition', 'cid', 'language', 'location'];
export const BODY_PROPERTIES = new Set([...DEFAULT_BODY_PROPERTIES, 'headers', 'subParts']);

/** The blob id of one part of a stored email: "P" + the email's hash + "_" + its part id with "." as "-". */
export function partBlobId(emailId: string, partId: string): string {
  return `P${emailId.slice(1)}_${partId.replace(/\./g, '-')}`;
}

/** The email id and part id a part blob id names, or null. */
export function parsePartBlobId(blobId: string): { emailId: string; partId: string } | null {
  const m = /^P([0-9a-f]{24})_([0-9]{1,6}(?:-[0-9]{1,6}){0,30})$/.exec(blobId);
  return m ? { emailId: `M${m[1]}`, partId: m[2].replace(/-/g, '.') } : null;
}

/** The decoded bytes of a leaf part (transfer encoding undone; unknown encodings give the bytes as they are). */
export function partBytes(raw: Buffer, node: MimeNode): Buffer {
  return decodeTransfer(raw.subarray(node.bodyStart, node.end), node.field(CONTENT_TRANSFER_ENCODING));
}

/** partBytes(raw, node).length, counted without decoding. */
export function partSize(raw: Buffer, node: MimeNode): number {
  return decodedLength(raw.subarray(node.bodyStart, node.end), node.field(CONTENT_TRANSFER_ENCODING));
}

function stripAngles(v: string): string {
  return v.trim().replace(/^<|>$/g, '').trim();
}

/**
 * The tree of body parts. `blobFor(partId)` names each leaf's blob (a stored email's part, or an uploaded
 * blob's for Email/parse). message/rfc822 parts are leaves (their content is reached through Email/parse).
 */
export function bodyStructure(raw: Buffer, root: MimeNode, blobFor: (partId: string) => string | null): BodyPart {
  const build = (node: MimeNode, partId: string | null): BodyPart => {
    const isMultipart = node.type === 'multipart';
    const ct = header(node.headers, 'content-type');
    const cd = header(node.headers, 'content-disposition');
    const disp = cd ? parseDisposition(cd) : null;
    const name = (disp ? paramValue(disp.params, 'filename') : null) ?? paramValue(node.params, 'name');
    const charsetParam = node.params.find((p) => p[0] === 'charset')?.[1] ?? null;
    let charset: string | null = null;
    if (node.type === 'text') charset = charsetParam ?? 'us-ascii';
    else if (ct === undefined) charset = 'us-ascii';
    const lang = header(node.headers, 'content-language');
    const cid = header(node.headers, 'content-id');
    const loc = header(node.headers, 'content-location');
    // counted, not decoded: a 3 MB part costs one pass over its octets, not a copy of them (partSize)
    const size = isMultipart ? 0 : partSize(raw, node);
    const part: BodyPart = {
      partId: isMultipart ? null : (partId ?? '1'),
      blobId: isMultipart ? null : blobFor(partId ?? '1'),
      size,
      headers: node.headers,
      name: name || null,
      type: `${node.type}/${node.subtype}`,
      charset,
      disposition: disp ? disp.value : null,
      cid: cid ? stripAngles(cid) : null,
      language: lang ? lang.split(/[,\s]+/).filter(Boolean) : null,
      location: loc ? loc.trim() : null,
      subParts: null,
      node,
    };
    if (isMultipart) part.subParts = node.children.map((c, i) => build(c, partId ? `${partId}.${i + 1}` : String(i + 1)));
    return part;
  };
  return build(root, root.type === 'multipart' ? null : null);
}

const isInlineMedia = (t: string) => t.startsWith('image/') || t.startsWith('audio/') || t.startsWith('video/');

/** textBody, htmlBody and attachments from the structure (RFC 8621 §4.1.4's suggested decomposition). */
export function flatten(root: BodyPart): { textBody: BodyPart[]; htmlBody: BodyPart[]; attachments: BodyPart[] } {
  const textBody: BodyPart[] = [];
  const htmlBody: BodyPart[] = [];
  const attachments: BodyPart[] = [];
  const walk = (parts: BodyPart[], multipartType: string, inAlternative: boolean, html: BodyPart[] | null, text: BodyPart[] | null) => {
    const textLength = text ? text.length : -1;
    const htmlLength = html ? html.length : -1;
    parts.forEach((part, i) => {
      const isMultipart = part.type.startsWith('multipart/');
      const isInline =
        part.disposition !== 'attachment' &&
        (part.type === 'text/plain' || part.type === 'text/html' || isInlineMedia(part.type)) &&
        (i === 0 || (multipartType !== 'related' && (isInlineMedia(part.type) || !part.name)));
      if (isMultipart) {
        const sub = part.type.split('/')[1];
        walk(part.subParts ?? [], sub, inAlternative || sub === 'alternative', html, text);
      } else if (isInline) {
        if (multipartType === 'alternative') {
          if (part.type === 'text/plain') text?.push(part);
          else if (part.type === 'text/html') html?.push(part);
          else attachments.push(part);
          return;
        }
        if (inAlternative) {
          if (part.type === 'text/plain') html = null;
          if (part.type === 'text/html') text = null;
        }
        text?.push(part);
        html?.push(part);
        if ((!text || !html) && isInlineMedia(part.type)) attachments.push(part);
      } else attachments.push(part);
    });
    if (multipartType === 'alternative' && text && html) {
      // only HTML found: its parts serve as text too, and the reverse
      if (textLength === text.length && htmlLength !== html.length) for (let k = htmlLength; k < html.length; k++) text.push(html[k]);
      if (htmlLength === html.length && textLength !== text.length) for (let k = textLength; k < text.length; k++) html.push(text[k]);
    }
  };
  walk([root], 'mixed', false, htmlBody, textBody);
  return { textBody, htmlBody, attachments };
}

export function hasAttachment(attachments: BodyPart[]): boolean {
  return attachments.some((p) => p.disposition !== 'inline');
}

export { bodyValue, truncateUtf8, type BodyValue } from './body-value.js';

/** One body part as the client asked for it (bodyProperties, header:… included). */
export function partObject(raw: Buffer, part: BodyPart, props: string[], headerProps: HeaderProperty[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const p of props) {
    if (p === 'headers') o.headers = part.headers.map((h) => ({ name: fieldName(raw, h), value: rawValue(raw, h) }));
    else if (p === 'subParts') o.subParts = part.subParts ? part.subParts.map((c) => partObject(raw, c, props, headerProps)) : null;
    else if (p !== 'node') o[p] = part[p as keyof BodyPart];
  }
  for (const h of headerProps) o[h.property] = headerPropertyValue(raw, part.headers, h);
  return o;
}

/** A header field's name as written (capitalisation kept). */
export function fieldName(raw: Buffer, h: HeaderField): string {
  const colon = raw.indexOf(0x3a, h.start);
  return raw.toString('latin1', h.start, colon < 0 ? h.end : colon).trim();
}
