// Decodes message text to Unicode for SEARCH: RFC 2047 encoded words, raw 8-bit or ISO-2022-JP header text,
// quoted-printable / base64 bodies in any charset iconv-lite (or ICU, for ISO-2022-JP) knows.
// It never throws on bad input: undecodable bytes become U+FFFD.
import iconv from 'iconv-lite';
import { header, type MimeNode } from './mime-tree.js';

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Bytes in a named charset → string. */
export function decodeCharset(b: Buffer, charset: string | undefined): string {
  const cs = (charset ?? '').trim().toLowerCase().replace(/^"|"$/g, '');
  if (!cs || cs === 'us-ascii' || cs === 'ascii') return sniff(b);
  if (cs === 'utf-8' || cs === 'utf8') return b.toString('utf8');
  if (cs.startsWith('iso-2022-jp') || cs === 'csiso2022jp') return icu('iso-2022-jp', b);
  if (iconv.encodingExists(cs)) return iconv.decode(b, cs);
  return icu(cs, b) ?? sniff(b);
}

function icu(label: string, b: Buffer): string {
  try {
    return new TextDecoder(label).decode(b);
  } catch {
    return sniff(b);
  }
}

/** Undeclared text: ISO-2022-JP when it has its escapes, UTF-8 when valid, else Windows-1252. */
export function sniff(b: Buffer): string {
  if (b.includes(0x1b) && /\x1b[$(][@BJ]/.test(b.toString('latin1'))) return icu('iso-2022-jp', b);
  let ascii = true;
  for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) {
    ascii = false;
    break;
  }
  if (ascii) return b.toString('latin1');
  try {
    return utf8Strict.decode(b);
  } catch {
    return iconv.decode(b, 'windows-1252');
  }
}

/** A header value (latin1 text as parsed) → Unicode, decoding encoded words. */
export function decodeHeaderValue(latin1: string): string {
  const raw = Buffer.from(latin1, 'latin1');
  const text = sniff(raw);
  return text.replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)(\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=))?/g, (_m, word: string) => decodeWord(word));
}

function decodeWord(word: string): string {
  const m = /^=\?([^?*]+)(?:\*[^?]*)?\?([BbQq])\?([^?]*)\?=$/.exec(word);
  if (!m) return word;
  const bytes = m[2].toUpperCase() === 'B' ? Buffer.from(m[3], 'base64') : qDecode(m[3]);
  return decodeCharset(bytes, m[1]);
}

function qDecode(s: string): Buffer {
  return Buffer.from(s.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
}

/** Content-Transfer-Encoding applied in reverse. */
export function decodeTransfer(body: Buffer, encoding: string | undefined): Buffer {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (enc === 'quoted-printable') {
    const s = body.toString('latin1').replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(s, 'latin1');
  }
  return body;
}

/** All header fields of a node decoded, "name: value" per line. */
export function decodedHeaders(raw: Buffer, node: MimeNode): string {
  return node.headers.map((h) => `${h.name}: ${decodeHeaderValue(h.value)}`).join('\n');
}

/** The decoded text of every text part (and of encapsulated messages' text parts), joined. */
export function decodedBodyText(raw: Buffer, node: MimeNode, out: string[] = [], budget = { bytes: 20 * 1024 * 1024 }): string[] {
  if (budget.bytes <= 0) return out;
  if (node.type === 'multipart') {
    for (const c of node.children) decodedBodyText(raw, c, out, budget);
  } else if (node.message) {
    out.push(decodedHeaders(raw, node.message));
    decodedBodyText(raw, node.message, out, budget);
  } else if (node.type === 'text') {
    const body = raw.subarray(node.bodyStart, node.end);
    budget.bytes -= body.length;
    const charset = node.params.find((p) => p[0] === 'charset')?.[1];
    out.push(decodeCharset(decodeTransfer(body, header(node.headers, 'content-transfer-encoding')), charset));
  }
  return out;
}

/** Normalised for case-insensitive substring matching (full-width forms folded too). */
export function fold(s: string): string {
  return s.normalize('NFKC').toLowerCase();
}


