// Decodes message text to Unicode for SEARCH: header values (RFC 2047 encoded words, raw 8-bit or ISO-2022-JP
// header text) and quoted-printable / base64 text parts, through the one charset decoder (engine/mime/charset.ts)
// the filters use, so SEARCH finds what the filters see. It never throws on bad input.
import { decodeBytes, decodeHeaderValue as decodeHeader } from './charset.js';
import { CONTENT_TRANSFER_ENCODING } from './known-fields.js';
import { type MimeNode } from './mime-tree.js';

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
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/**
 * The start of decodeTransfer(body, encoding) that `body`'s first `octets` octets decide: the same octets as the
 * whole decode's first ones, never a guess at what the cut splits (a base64 group of four, a quoted-printable
 * "=XX" or soft line break). The whole decode when `octets` covers the body. For the webmail's body values
 * (engine/jmap/mail/body-value.ts), which need only the first maxBodyValueBytes of a part.
 */
export function decodeTransferPrefix(body: Buffer, encoding: string | undefined, octets: number): Buffer {
  if (octets >= body.length) return decodeTransfer(body, encoding);
  const enc = (encoding ?? '').trim().toLowerCase();
  const head = body.subarray(0, Math.max(0, octets));
  if (enc === 'base64') {
    // whole groups of four only: the octets they give are those of the whole part (decoding stops at a "=" in both)
    const text = head.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
    return Buffer.from(text.slice(0, text.length - (text.length % 4)), 'base64');
  }
  if (enc === 'quoted-printable') return decodeQuotedPrintable(head, true);
  return head;
}

/**
 * decodeTransfer(body, encoding).length, counted without decoding (nothing the size of the part is made): base64
 * from the number of its alphabet's characters before the first "=" (what the decoder reads: every 4 give 3
 * octets, a last 2 or 3 give 1 or 2), quoted-printable in one pass that follows decodeQuotedPrintable's two
 * (JMAP's `size` of a part, engine/jmap/mail/body-parts.ts; docs/security-review-8.md).
 */
export function decodedLength(body: Buffer, encoding: string | undefined): number {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === 'base64') {
    let n = 0;
    for (let i = 0; i < body.length; i++) {
      const c = body[i];
      if (c === 0x3d) break;
      if (BASE64_ALPHABET[c]) n++;
    }
    return Math.floor((n * 3) / 4);
  }
  if (enc === 'quoted-printable') return quotedPrintableLength(body);
  return body.length;
}

const BASE64_ALPHABET = new Uint8Array(256);
for (const c of Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1')) BASE64_ALPHABET[c] = 1;

/**
 * The length decodeQuotedPrintable gives, in one pass: soft line breaks are skipped as its first pass skips them,
 * and what is left goes through a window of its next three octets, where "=" and two hex digits count one octet
 * and anything else one octet each (the last two never start an escape: its `i + 2 < n`).
 */
function quotedPrintableLength(body: Buffer): number {
  let count = 0;
  // the window: up to three octets of the first pass's output not yet counted
  let w0 = -1;
  let w1 = -1;
  let held = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === 0x3d) {
      if (body[i + 1] === 0x0a) {
        i++;
        continue;
      }
      if (body[i + 1] === 0x0d && body[i + 2] === 0x0a) {
        i += 2;
        continue;
      }
    }
    if (held === 0) {
      w0 = c;
      held = 1;
    } else if (held === 1) {
      w1 = c;
      held = 2;
    } else {
      // three octets: an escape counts one and empties the window; else its first counts one and it moves on
      count++;
      if (w0 === 0x3d && hexValue(w1) >= 0 && hexValue(c) >= 0) held = 0;
      else {
        w0 = w1;
        w1 = c;
      }
    }
  }
  return count + held;
}

/** A hex digit's value, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Quoted-printable on the bytes, in two linear passes into one buffer: soft line breaks ("=" before LF or CRLF)
 * taken out, then each "=XX" made its octet (so "=" + a soft break + "41" is "A"); anything else is kept as it is.
 * The same octets as two regular-expression replaces with a callback per "=XX", which took 5–10 s of the main
 * thread for a 19 MB part (IMAP SEARCH BODY, JMAP body values; docs/security-review-7.md).
 */
function decodeQuotedPrintable(body: Buffer, partial = false): Buffer {
  const out = Buffer.alloc(body.length);
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === 0x3d) {
      if (body[i + 1] === 0x0a) {
        i++;
        continue;
      }
      if (body[i + 1] === 0x0d && body[i + 2] === 0x0a) {
        i += 2;
        continue;
      }
    }
    out[n++] = c;
  }
  // a cut body: its last two octets after the first pass may be a soft break the rest would complete, and an
  // "=XX" reads two octets on; what those decide is left out, so the result is a prefix of the whole decode
  const end = partial ? Math.max(0, n - 4) : n;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = out[i];
    if (c === 0x3d && i + 2 < n) {
      const hi = hexValue(out[i + 1]);
      const lo = hi < 0 ? -1 : hexValue(out[i + 2]);
      if (lo >= 0) {
        out[o++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[o++] = c;
  }
  return out.subarray(0, o);
}

/** All header fields of a node decoded, "name: value" per line. */
export function decodedHeaders(raw: Buffer, node: MimeNode): string {
  return node.headers.map((h) => `${h.name}: ${decodeHeaderValue(h.value)}`).join('\n');
}

/**
 * Octets of text parts (as stored, before decoding) SEARCH BODY/TEXT reads of one message. The decoding and the fold
 * run in the main thread at every search (nothing is cached): 20 MB of a stranger's text held every listener for
 * about a second (docs/security-review-7.md, left open 2). RFC 3501/9051 set no bound; a word past the first 4 MiB
 * of a message's text parts is not found (docs/imap.md, known limits).
 */
export const SEARCH_TEXT_OCTETS = 4 * 1024 * 1024;

/** The decoded text of every text part (and of encapsulated messages' text parts), joined; to `budget` octets in all. */
export function decodedBodyText(raw: Buffer, node: MimeNode, out: string[] = [], budget = { bytes: SEARCH_TEXT_OCTETS }): string[] {
  if (budget.bytes <= 0) return out;
  if (node.type === 'multipart') {
    for (const c of node.children) decodedBodyText(raw, c, out, budget);
  } else if (node.message) {
    out.push(decodedHeaders(raw, node.message));
    decodedBodyText(raw, node.message, out, budget);
  } else if (node.type === 'text') {
    let body = raw.subarray(node.bodyStart, node.end);
    if (body.length > budget.bytes) {
      // cut at the last line break within what is left (a base64 or quoted-printable line is decoded whole); the
      // rest of the message is not read
      const nl = body.lastIndexOf(10, budget.bytes - 1);
      body = body.subarray(0, nl > 0 ? nl + 1 : budget.bytes);
      budget.bytes = 0;
    } else budget.bytes -= body.length;
    const charset = node.params.find((p) => p[0] === 'charset')?.[1];
    out.push(decodeCharset(decodeTransfer(body, node.field(CONTENT_TRANSFER_ENCODING)), charset));
  }
  return out;
}

const ASCII = /^[\x00-\x7f]*$/;

/** Normalised for case-insensitive substring matching (full-width forms folded too; ASCII is its own NFKC form). */
export function fold(s: string): string {
  return ASCII.test(s) ? s.toLowerCase() : s.normalize('NFKC').toLowerCase();
}


