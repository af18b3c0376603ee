// A lean MIME reader for the filters: header fields, and every text/plain and text/html part decoded to
// Unicode (transfer encoding, then charset via decode.ts). It keeps only what the filters read; it never
// rewrites the message and bounds its own work (depth, part count, bytes per part).
import { decodeBytes, decodeHeaderValue } from '../mime/charset.js';
import { MAX_PART_BYTES, MAX_TEXT_CHARS } from './limits.js';

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
}

const MAX_DEPTH = 8;
const MAX_PARTS = 64;

/** Split header block / body; works on a latin1 string view so byte offsets equal string offsets. */
function splitHead(s: string): { head: string; body: string } {
  const crlf = s.indexOf('\r\n\r\n');
  const lf = s.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { head: s.slice(0, crlf), body: s.slice(crlf + 4) };
  if (lf >= 0) return { head: s.slice(0, lf), body: s.slice(lf + 2) };
  return { head: s, body: '' };
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

export function parseMessage(raw: Buffer | Uint8Array): ParsedMessage {
  const s = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  const { head, body } = splitHead(s);
  const headers = parseHeaderBlock(head);
  const msg: ParsedMessage = { headers, subject: '', from: '', fromAddress: '', texts: [], htmls: [], mislabelled: false, attachments: 0, types: [] };
  const subj = decodeHeaderValue(headers.get('subject')?.[0] ?? '');
  const from = decodeHeaderValue(headers.get('from')?.[0] ?? '');
  msg.subject = subj.text;
  msg.from = from.text;
  msg.mislabelled = subj.mislabelled || from.mislabelled;
  msg.fromAddress = addressOf(from.text);
  let parts = 0;
  let textLeft = MAX_TEXT_CHARS;
  const walk = (h: Map<string, string[]>, b: string, depth: number) => {
    if (++parts > MAX_PARTS) return;
    const ct = parseContentType(h.get('content-type')?.[0]);
    msg.types.push(ct.type);
    const disposition = (h.get('content-disposition')?.[0] ?? '').toLowerCase();
    if (ct.type.startsWith('multipart/') && ct.params.boundary && depth < MAX_DEPTH) {
      for (const p of splitMultipart(b, ct.params.boundary)) {
        const sp = splitHead(p);
        walk(parseHeaderBlock(sp.head), sp.body, depth + 1);
      }
      return;
    }
    if (ct.type === 'message/rfc822' && depth < MAX_DEPTH) {
      const sp = splitHead(b);
      const inner = parseHeaderBlock(sp.head);
      const sub = decodeHeaderValue(inner.get('subject')?.[0] ?? '');
      if (sub.text) msg.texts.push(sub.text);
      walk(inner, sp.body, depth + 1);
      return;
    }
    const isText = ct.type === 'text/plain' || ct.type === 'text/html' || ct.type === 'text/enriched';
    if (!isText || disposition.startsWith('attachment')) {
      msg.attachments++;
      return;
    }
    if (textLeft <= 0) return; // the message's text budget is spent: later parts are not read
    const bytes = transferDecode(b.length > MAX_PART_BYTES * 2 ? b.slice(0, MAX_PART_BYTES * 2) : b, h.get('content-transfer-encoding')?.[0]);
    const d = decodeBytes(bytes.length > MAX_PART_BYTES ? cutUtf8(bytes, MAX_PART_BYTES) : bytes, ct.params.charset);
    if (d.mislabelled) msg.mislabelled = true;
    const text = d.text.length > textLeft ? d.text.slice(0, textLeft) : d.text;
    textLeft -= text.length;
    if (ct.type === 'text/html') msg.htmls.push(text);
    else msg.texts.push(text);
  };
  walk(headers, body, 0);
  return msg;
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

function splitMultipart(body: string, boundary: string): string[] {
  const delim = '--' + boundary;
  const out: string[] = [];
  let pos = body.startsWith(delim) ? 0 : body.indexOf('\n' + delim);
  if (pos < 0) return out;
  if (pos > 0) pos += 1;
  for (let guard = 0; guard < MAX_PARTS + 1; guard++) {
    const lineEnd = body.indexOf('\n', pos);
    if (lineEnd < 0) break;
    if (body.startsWith(delim + '--', pos)) break;
    const start = lineEnd + 1;
    let next = body.indexOf('\n' + delim, start);
    if (next < 0) {
      out.push(body.slice(start));
      break;
    }
    let end = next;
    if (body[end - 1] === '\r') end--;
    out.push(body.slice(start, end));
    pos = next + 1;
  }
  return out;
}
