// A lean MIME reader for the filters: header fields, and every text/plain and text/html part decoded to
// Unicode (transfer encoding, then charset via decode.ts). It keeps only what the filters read; it never
// rewrites the message and bounds its own work (depth, part count, bytes per part).
import { decodeBytes, decodeHeaderValue } from '../mime/charset.js';

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
const MAX_PART_BYTES = 512 * 1024;

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
  const parts = v.split(';');
  const type = parts[0].trim().toLowerCase() || 'text/plain';
  const params: Record<string, string> = {};
  const re = /([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  const rest = parts.slice(1).join(';');
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest))) {
    let val = m[2].trim();
    if (val.startsWith('"')) val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    const key = m[1].toLowerCase().replace(/\*$/, '');
    if (key.endsWith('*0') || key.endsWith('*0*')) continue;
    if (m[1].endsWith('*')) val = val.replace(/^[^']*'[^']*'/, '');
    params[key] = val;
  }
  return { type, params };
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

function addressOf(from: string): string {
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(from);
  if (angle) return angle[1].toLowerCase();
  const bare = /([^\s<>"(),;:]+@[^\s<>"(),;:]+)/.exec(from);
  return bare ? bare[1].toLowerCase() : '';
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
    const bytes = transferDecode(b.length > MAX_PART_BYTES * 2 ? b.slice(0, MAX_PART_BYTES * 2) : b, h.get('content-transfer-encoding')?.[0]);
    const d = decodeBytes(bytes.subarray(0, MAX_PART_BYTES), ct.params.charset);
    if (d.mislabelled) msg.mislabelled = true;
    if (ct.type === 'text/html') msg.htmls.push(d.text);
    else msg.texts.push(d.text);
  };
  walk(headers, body, 0);
  return msg;
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
