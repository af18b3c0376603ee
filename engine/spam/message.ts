// The spam filter's reading of a message: header fields, and every text/plain and text/html part decoded to
// Unicode (transfer encoding, then charset via engine/mime/charset.ts). The message's structure — header fields,
// part boundaries, content types, dispositions and transfer encodings — is the one MIME parser's
// (engine/mime/mime-tree.ts, read within its SPAM_BOUNDS: depth and part count); what is the filter's own is which
// parts are text, the capped prefix of each it decodes ([spam] part_scan_size), the charset read from those bytes
// and the `mislabelled` flag. Only header sections and those prefixes become strings: an attachment is located,
// never copied or decoded. It never rewrites the message.
import { isAscii as bytesAreAscii } from 'node:buffer';
import { decodeBytes, decodeHeaderValue } from '../mime/charset.js';
import { CONTENT_DISPOSITION, CONTENT_TRANSFER_ENCODING, CONTENT_TYPE } from '../mime/known-fields.js';
import { parseMime, SPAM_BOUNDS, type HeaderField, type MimeNode } from '../mime/mime-tree.js';
import { MAX_TEXT_CHARS, PART_SCAN_DEFAULT } from './limits.js';

export interface ParseOptions {
  /** Bytes of each text part that are decoded and analysed ([spam] part_scan_size, the default when absent); the rest is not read. */
  partScanBytes?: number;
}

export interface ParsedMessage {
  /** Lower-case field name → raw (unfolded, latin1) values, in order. */
  headers: Map<string, string[]>;
  subject: string;
  from: string;
  /** The address in From:, lower-cased, or ''. */
  fromAddress: string;
  texts: string[];
  htmls: string[];
  /** Some part or header declared a charset its bytes did not fit. */
  mislabelled: boolean;
  attachments: number;
  /** Content types seen, for the tokeniser. */
  types: string[];
  /** Every leaf part, text or not (for the MIME-shape rules). */
  parts: PartInfo[];
}

export interface PartInfo {
  type: string;
  /** Content-Transfer-Encoding, lower case ('' when absent). */
  cte: string;
  /** Marked as an attachment, or not a text type. */
  attachment: boolean;
  /** A text part whose decoded bytes are all 7-bit (only meaningful for text parts). */
  ascii: boolean;
}

/** White space as the regex class \s knows it. */
export function isSpace(c: number): boolean {
  return (
    c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

function decodeQp(s: string): Buffer {
  const t = s.replace(/=\r?\n/g, '');
  const out = Buffer.allocUnsafe(t.length);
  let n = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x3d && i + 2 < t.length + 0) {
      const h = parseInt(t.substr(i + 1, 2), 16);
      if (!Number.isNaN(h) && /^[0-9A-Fa-f]{2}$/.test(t.substr(i + 1, 2))) {
        out[n++] = h;
        i += 2;
        continue;
      }
    }
    out[n++] = c & 0xff;
  }
  return out.subarray(0, n);
}

/** The bytes of buf[from, to) after their transfer encoding: an unencoded part's bytes are a view, not a copy. */
function transferDecode(buf: Buffer, from: number, to: number, cte: string): Buffer {
  if (cte === 'base64') return Buffer.from(buf.toString('latin1', from, to).replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') return decodeQp(buf.toString('latin1', from, to));
  return buf.subarray(from, to);
}

/**
 * The address of a From: value: the first <local@domain> (no '<', '>' or white space inside), else the first run
 * of address characters with an '@' inside it. One pass each (the patterns /<([^<>\s]+@[^<>\s]+)>/ and
 * /([^\s<>"(),;:]+@[^\s<>"(),;:]+)/ backtracked over every '@' of "<a@a@a@…", O(n²)).
 */
export function addressOf(from: string): string {
  for (let lt = from.indexOf('<'); lt >= 0; lt = from.indexOf('<', lt + 1)) {
    let end = lt + 1;
    while (end < from.length && !isAngleStop(from.charCodeAt(end))) end++;
    if (from.charCodeAt(end) === 0x3e && hasInnerAt(from, lt + 1, end)) return from.slice(lt + 1, end).toLowerCase();
  }
  let i = 0;
  while (i < from.length) {
    if (isBareStop(from.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < from.length && !isBareStop(from.charCodeAt(i))) i++;
    if (hasInnerAt(from, start, i)) return from.slice(start, i).toLowerCase();
  }
  return '';
}

function isAngleStop(c: number): boolean {
  return c === 0x3c || c === 0x3e || isSpace(c);
}

/** White space and < > " ( ) , ; : end a bare address. */
function isBareStop(c: number): boolean {
  return c === 0x3c || c === 0x3e || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x2c || c === 0x3b || c === 0x3a || isSpace(c);
}

/** s[start, end) has an '@' with at least one character before and after it (looking no further than end). */
function hasInnerAt(s: string, start: number, end: number): boolean {
  for (let i = start + 1; i < end - 1; i++) if (s.charCodeAt(i) === 0x40) return true;
  return false;
}

/**
 * The filter's header map of a header: lower-case name → values in order, each unfolded as the rules and the
 * tokeniser have always read it (every line trimmed, folded lines joined by one space; parseHeaders keeps the
 * folding white space as RFC 5322 §2.2.3 unfolds it). The fields are parseHeaders' (the same lines and bounds).
 */
function headerMap(raw: Buffer, fields: HeaderField[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (!f.name) continue;
    const value = filterValue(raw, f);
    const list = map.get(f.name);
    if (list) list.push(value);
    else map.set(f.name, [value]);
  }
  return map;
}

/** A field's value with each of its lines trimmed and folded lines joined by one space. */
function filterValue(raw: Buffer, f: HeaderField): string {
  const nl = raw.indexOf(10, f.start);
  if (nl < 0 || nl + 1 >= f.readEnd) return f.value; // one line: parseHeaders' value is already trimmed
  const lines = raw.toString('latin1', f.start, f.readEnd).split('\n');
  const first = lines[0];
  let value = first.slice(first.indexOf(':') + 1).trim();
  const last = lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
  for (let k = 1; k < last; k++) value += ' ' + lines[k].trim();
  return value;
}

/**
 * The first value of a parameter; with `extended`, an RFC 2231 `name*` value without its charset'language' prefix
 * when only that is given (the tree splits a multipart on a plain `boundary` only).
 */
function param(node: MimeNode, name: string, extended: boolean): string | undefined {
  const ps = node.params;
  for (let i = 0; i < ps.length; i++) if (ps[i][0] === name) return ps[i][1];
  if (!extended) return undefined;
  const star = name + '*';
  for (let i = 0; i < ps.length; i++) if (ps[i][0] === star) return ps[i][1].replace(/^[^']*'[^']*'/, '');
  return undefined;
}

/** The first Subject: of a part's header, unfolded as headerMap does. */
function subjectOf(raw: Buffer, node: MimeNode): string {
  const fields = node.headers;
  for (let i = 0; i < fields.length; i++) if (fields[i].name === 'subject') return filterValue(raw, fields[i]);
  return '';
}

export function parseMessage(raw: Buffer | Uint8Array, opts: ParseOptions = {}): ParsedMessage {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const partCap = Math.max(1, opts.partScanBytes ?? PART_SCAN_DEFAULT);
  const root = parseMime(buf, SPAM_BOUNDS);
  const headers = headerMap(buf, root.headers);
  const msg: ParsedMessage = { headers, subject: '', from: '', fromAddress: '', texts: [], htmls: [], mislabelled: false, attachments: 0, types: [], parts: [] };
  const subj = decodeHeaderValue(headers.get('subject')?.[0] ?? '');
  const from = decodeHeaderValue(headers.get('from')?.[0] ?? '');
  msg.subject = subj.text;
  msg.from = from.text;
  msg.mislabelled = subj.mislabelled || from.mislabelled;
  msg.fromAddress = addressOf(from.text);
  let parts = 0;
  let textLeft = MAX_TEXT_CHARS;
  const walk = (node: MimeNode, depth: number) => {
    if (++parts > SPAM_BOUNDS.parts) return;
    const type = node.type + '/' + node.subtype;
    msg.types.push(type);
    if (node.type === 'multipart' && param(node, 'boundary', false) && depth < SPAM_BOUNDS.depth) {
      for (const child of node.children) walk(child, depth + 1);
      return;
    }
    const inner = node.message;
    if (inner && node.subtype === 'rfc822' && depth < SPAM_BOUNDS.depth) {
      const sub = decodeHeaderValue(subjectOf(buf, inner));
      if (sub.text) msg.texts.push(sub.text);
      walk(inner, depth + 1);
      return;
    }
    const isText = type === 'text/plain' || type === 'text/html' || type === 'text/enriched';
    const cte = (node.field(CONTENT_TRANSFER_ENCODING) ?? '').toLowerCase();
    if (!isText || (node.field(CONTENT_DISPOSITION) ?? '').toLowerCase().startsWith('attachment')) {
      msg.attachments++;
      if (msg.parts.length < SPAM_BOUNDS.parts) msg.parts.push({ type, cte, attachment: true, ascii: false });
      return;
    }
    if (textLeft <= 0) return; // the message's text budget is spent: later parts are not read
    // encoded, a part's first partCap decoded bytes take at most 2 × partCap bytes (base64 with line breaks: 1.4×)
    const b = node.bodyStart;
    const bytes = transferDecode(buf, b, Math.min(node.end, b + partCap * 2), cte);
    msg.parts.push({ type, cte, attachment: false, ascii: isAscii(bytes) });
    // a charset only from a Content-Type the part has (the tree's default us-ascii is not a label the sender wrote)
    const charset = node.field(CONTENT_TYPE) === undefined ? undefined : param(node, 'charset', true);
    const d = decodeBytes(bytes.length > partCap ? cutUtf8(bytes, partCap) : bytes, charset);
    if (d.mislabelled) msg.mislabelled = true;
    const text = d.text.length > textLeft ? d.text.slice(0, textLeft) : d.text;
    textLeft -= text.length;
    if (type === 'text/html') msg.htmls.push(text);
    else msg.texts.push(text);
  };
  walk(root, 0);
  return msg;
}

/** ASCII without an ESC (ISO-2022-JP's shifts are 7-bit): both found by native scans, not byte by byte. */
function isAscii(b: Buffer): boolean {
  return bytesAreAscii(b) && b.indexOf(0x1b) < 0;
}

/**
 * The first `max` bytes, less an incomplete UTF-8 sequence at the cut (so valid UTF-8 stays valid and is not
 * taken for a mislabelled Japanese charset). Bytes that are not UTF-8 lose at most three bytes.
 */
function cutUtf8(b: Buffer, max: number): Buffer {
  let end = max;
  let back = 0;
  while (back < 3 && end > 0 && (b[end - 1] & 0xc0) === 0x80) {
    end--;
    back++;
  }
  if (end > 0 && b[end - 1] >= 0xc0) {
    const lead = b[end - 1];
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (need > back + 1) return b.subarray(0, end - 1);
  }
  return b.subarray(0, max);
}
