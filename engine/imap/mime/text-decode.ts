// Decodes message text to Unicode for SEARCH: header values (RFC 2047 encoded words, raw 8-bit or ISO-2022-JP
// header text) and quoted-printable / base64 text parts, through the one charset decoder (engine/mime/charset.ts)
// the filters use, so SEARCH finds what the filters see. It never throws on bad input.
import { decodeBytes, decodeHeaderValue as decodeHeader } from '../../mime/charset.js';
import { header, type MimeNode } from './mime-tree.js';

/** Bytes in a named charset (or none: detected) → string. */
export function decodeCharset(b: Buffer, charset: string | undefined): string {
  return decodeBytes(b, charset).text;
}

/** Text the decoder would hand back unchanged: no encoded word, no 8-bit octet, no ISO-2022-JP escape. */
const PLAIN_HEADER = /=\?|[\x80-\xff\x1b]/;

/** A header value (latin1 text as parsed) → Unicode, decoding encoded words. */
export function decodeHeaderValue(latin1: string): string {
  return PLAIN_HEADER.test(latin1) ? decodeHeader(latin1).text : latin1;
}

/**
 * fold(decodeHeaderValue(latin1)) with one test for the common case: a value with no encoded word, 8-bit octet or
 * ESC is ASCII, so decoding leaves it and folding only lower-cases it.
 */
export function foldedHeaderValue(latin1: string): string {
  return PLAIN_HEADER.test(latin1) ? fold(decodeHeader(latin1).text) : latin1.toLowerCase();
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

const ASCII = /^[\x00-\x7f]*$/;

/** Normalised for case-insensitive substring matching (full-width forms folded too; ASCII is its own NFKC form). */
export function fold(s: string): string {
  return ASCII.test(s) ? s.toLowerCase() : s.normalize('NFKC').toLowerCase();
}


