// A lean MIME reader for the filters: header fields, and every text/plain and text/html part decoded to
// Unicode (transfer encoding, then charset via decode.ts). It walks the message by byte offsets and turns into
// strings only header sections and the capped prefix of each text part: an attachment is located, never copied
// or decoded. It never rewrites the message and bounds its own work (depth, part count, bytes per part).
import { isAscii as bytesAreAscii } from 'node:buffer';
import { decodeBytes, decodeHeaderValue } from '../mime/charset.js';
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

const MAX_DEPTH = 8;
const MAX_PARTS = 64;

/** Where the header section of raw[start, end) ends and its body starts (the first empty line, CRLF or LF). */
function splitHead(raw: Buffer, start: number, end: number): { headEnd: number; bodyStart: number } {
  const view = raw.subarray(start, end);
  const crlf = view.indexOf('\r\n\r\n');
  const lf = (crlf >= 0 ? view.subarray(0, crlf + 2) : view).indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { headEnd: start + crlf, bodyStart: start + crlf + 4 };
  if (lf >= 0) return { headEnd: start + lf, bodyStart: start + lf + 2 };
  return { headEnd: end, bodyStart: end };
}

export function parseHeaderBlock(head: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const lines = head.split(/\r?\n/);
  let name = '';
  let value = '';
  const push = () => {
    if (!name) return;
    const list = map.get(name);
    if (list) list.push(value);
    else map.set(name, [value]);
  };
  for (const line of lines) {
    if (/^[ \t]/.test(line) && name) {
      value += ' ' + line.trim();
      continue;
    }
    push();
    const c = line.indexOf(':');
    if (c <= 0) {
      name = '';
      continue;
    }
    name = line.slice(0, c).trim().toLowerCase();
    value = line.slice(c + 1).trim();
  }
  push();
  return map;
}

/** "text/plain; charset=\"iso-2022-jp\"; format=flowed" → type and params (RFC 2231 continuations ignored). */
export function parseContentType(v: string | undefined): { type: string; params: Record<string, string> } {
  if (!v) return { type: 'text/plain', params: {} };
  const semi = v.indexOf(';');
  const type = (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase() || 'text/plain';
  const params: Record<string, string> = {};
  if (semi < 0) return { type, params };
  for (const [rawKey, rawVal] of paramPairs(v.slice(semi + 1))) {
    let val = rawVal.trim();
    if (val.startsWith('"')) val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    const key = rawKey.toLowerCase().replace(/\*$/, '');
    if (key.endsWith('*0') || key.endsWith('*0*')) continue;
    if (rawKey.endsWith('*')) val = val.replace(/^[^']*'[^']*'/, '');
    params[key] = val;
  }
  return { type, params };
}

/** White space as the regex class \s knows it. */
export function isSpace(c: number): boolean {
  return (
    c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

function isLineTerminator(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
}

/**
 * name=value pairs of a parameter list, as /([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g finds them, in one pass: that
 * pattern retried the run of name characters before every '=' it could not use, O(n²) on "<<<<…".
 */
export function paramPairs(rest: string): [string, string][] {
  const out: [string, string][] = [];
  const isNameChar = (c: number) => c !== 0x3d && c !== 0x3b && !isSpace(c);
  let pos = 0;
  for (;;) {
    const eq = rest.indexOf('=', pos);
    if (eq < 0) break;
    let nameEnd = eq;
    while (nameEnd > pos && isSpace(rest.charCodeAt(nameEnd - 1))) nameEnd--;
    let nameStart = nameEnd;
    while (nameStart > pos && isNameChar(rest.charCodeAt(nameStart - 1))) nameStart--;
    if (nameStart === nameEnd) {
      pos = eq + 1;
      continue;
    }
    let v = eq + 1;
    while (v < rest.length && isSpace(rest.charCodeAt(v))) v++;
    let end = rest.charCodeAt(v) === 0x22 ? quotedEnd(rest, v) : -1;
    if (end < 0) {
      end = rest.indexOf(';', v);
      if (end < 0) end = rest.length;
    }
    out.push([rest.slice(nameStart, nameEnd), rest.slice(v, end)]);
    pos = end;
  }
  return out;
}

/** The end (after the closing quote) of the quoted-string starting at `at`, or -1 if it is not closed. */
function quotedEnd(s: string, at: number): number {
  for (let j = at + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c === 0x5c) {
      if (j + 1 >= s.length || isLineTerminator(s.charCodeAt(j + 1))) return -1;
      j++;
    }
  }
  return -1;
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

function transferDecode(body: string, cte: string | undefined): Buffer {
  const enc = (cte ?? '').trim().toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (enc === 'quoted-printable') return decodeQp(body);
  return Buffer.from(body, 'latin1');
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

export function parseMessage(raw: Buffer | Uint8Array, opts: ParseOptions = {}): ParsedMessage {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const partCap = Math.max(1, opts.partScanBytes ?? PART_SCAN_DEFAULT);
  const latin1 = (from: number, to: number) => buf.toString('latin1', from, to);
  const top = splitHead(buf, 0, buf.length);
  const headers = parseHeaderBlock(latin1(0, top.headEnd));
  const msg: ParsedMessage = { headers, subject: '', from: '', fromAddress: '', texts: [], htmls: [], mislabelled: false, attachments: 0, types: [], parts: [] };
  const subj = decodeHeaderValue(headers.get('subject')?.[0] ?? '');
  const from = decodeHeaderValue(headers.get('from')?.[0] ?? '');
  msg.subject = subj.text;
  msg.from = from.text;
  msg.mislabelled = subj.mislabelled || from.mislabelled;
  msg.fromAddress = addressOf(from.text);
  let parts = 0;
  let textLeft = MAX_TEXT_CHARS;
  // a part is the byte range [b, e) of buf, its header fields already parsed
  const walk = (h: Map<string, string[]>, b: number, e: number, depth: number) => {
    if (++parts > MAX_PARTS) return;
    const ct = parseContentType(h.get('content-type')?.[0]);
    msg.types.push(ct.type);
    const disposition = (h.get('content-disposition')?.[0] ?? '').toLowerCase();
    if (ct.type.startsWith('multipart/') && ct.params.boundary && depth < MAX_DEPTH) {
      for (const [ps, pe] of splitMultipart(buf, b, e, ct.params.boundary)) {
        const sp = splitHead(buf, ps, pe);
        walk(parseHeaderBlock(latin1(ps, sp.headEnd)), sp.bodyStart, pe, depth + 1);
      }
      return;
    }
    if (ct.type === 'message/rfc822' && depth < MAX_DEPTH) {
      const sp = splitHead(buf, b, e);
      const inner = parseHeaderBlock(latin1(b, sp.headEnd));
      const sub = decodeHeaderValue(inner.get('subject')?.[0] ?? '');
      if (sub.text) msg.texts.push(sub.text);
      walk(inner, sp.bodyStart, e, depth + 1);
      return;
    }
    const isText = ct.type === 'text/plain' || ct.type === 'text/html' || ct.type === 'text/enriched';
    const cte = (h.get('content-transfer-encoding')?.[0] ?? '').trim().toLowerCase();
    if (!isText || disposition.startsWith('attachment')) {
      msg.attachments++;
      if (msg.parts.length < MAX_PARTS) msg.parts.push({ type: ct.type, cte, attachment: true, ascii: false });
      return;
    }
    if (textLeft <= 0) return; // the message's text budget is spent: later parts are not read
    // encoded, a part's first partCap decoded bytes take at most 2 × partCap bytes (base64 with line breaks: 1.4×)
    // a 7bit, 8bit or binary part's bytes are read where they are (its latin1 string turned back into a Buffer
    // was two copies of up to 2 × partCap bytes per part: the same bytes)
    const to = Math.min(e, b + partCap * 2);
    const bytes = cte === 'base64' || cte === 'quoted-printable' ? transferDecode(latin1(b, to), cte) : buf.subarray(b, to);
    msg.parts.push({ type: ct.type, cte, attachment: false, ascii: isAscii(bytes) });
    const d = decodeBytes(bytes.length > partCap ? cutUtf8(bytes, partCap) : bytes, ct.params.charset);
    if (d.mislabelled) msg.mislabelled = true;
    const text = d.text.length > textLeft ? d.text.slice(0, textLeft) : d.text;
    textLeft -= text.length;
    if (ct.type === 'text/html') msg.htmls.push(text);
    else msg.texts.push(text);
  };
  walk(headers, top.bodyStart, buf.length, 0);
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

/** The byte ranges [start, end) of the parts of the multipart body buf[from, to) (preamble and epilogue left out). */
function splitMultipart(buf: Buffer, from: number, to: number, boundary: string): [number, number][] {
  const body = buf.subarray(0, to);
  const delim = Buffer.from('--' + boundary, 'latin1'); // header values were read as latin1: the same bytes
  const nlDelim = Buffer.concat([Buffer.from('\n'), delim]);
  const close = Buffer.concat([delim, Buffer.from('--')]);
  const out: [number, number][] = [];
  let pos = startsWithAt(body, delim, from) ? from : body.indexOf(nlDelim, from);
  if (pos < 0) return out;
  if (pos > from || !startsWithAt(body, delim, from)) pos += 1;
  for (let guard = 0; guard < MAX_PARTS + 1; guard++) {
    const lineEnd = body.indexOf(0x0a, pos);
    if (lineEnd < 0) break;
    if (startsWithAt(body, close, pos)) break;
    const start = lineEnd + 1;
    const next = body.indexOf(nlDelim, start);
    if (next < 0) {
      out.push([start, to]);
      break;
    }
    let end = next;
    if (end > start && body[end - 1] === 0x0d) end--;
    out.push([start, end]);
    pos = next + 1;
  }
  return out;
}

function startsWithAt(buf: Buffer, what: Buffer, at: number): boolean {
  return at + what.length <= buf.length && buf.compare(what, 0, what.length, at, at + what.length) === 0;
}
