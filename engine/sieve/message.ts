// What a Sieve script may look at in a message, read through the project's MIME reader (engine/mime/mime-tree.ts) and
// its one charset decoder (engine/mime/charset.ts): header fields raw and decoded to Unicode, body parts decoded
// lazily (transfer encoding, then charset), the envelope and the size. It never rewrites the message and
// bounds the text it hands out (parts, characters per part).
import { decodeHeaderValue } from '../mime/charset.js';
import { CONTENT_TRANSFER_ENCODING } from '../mime/known-fields.js';
import { findBodyStart, header, parseHeaders, parseMime, type MimeNode } from '../mime/mime-tree.js';
import { decodeCharset, decodeTransfer } from '../mime/text-decode.js';

export interface SieveHeader {
  /** Field name, lower-case. */
  name: string;
  /** Unfolded value, one char per octet (latin1), leading/trailing white space removed. */
  value: string;
}

export interface SieveBodyPart {
  /** "text/plain", "text/html", "application/pdf"… lower-case. */
  type: string;
  /** The part's content decoded to Unicode (transfer encoding, then charset). */
  text(): string;
}

export interface SieveEnvelope {
  /** MAIL FROM without angle brackets; "" for the null sender. */
  from: string;
  /** The recipient this evaluation is for. */
  to: string;
  /** The authenticated submitter (MAIL FROM AUTH=, or the SASL login), for envelope "auth". */
  auth?: string;
}

export interface SieveMessage {
  size: number;
  envelope: SieveEnvelope;
  headers: readonly SieveHeader[];
  /** Leaf parts in document order (nested message/rfc822 included). */
  bodyParts(): readonly SieveBodyPart[];
  /** The top-level body as written, undecoded (read as UTF-8 where it is, else byte for byte). */
  rawBody(): string;
}

const MAX_PARTS = 256;

/** A SieveMessage over raw message bytes (the spool file's message, after our trace and spam headers). */
export function sieveMessage(raw: Buffer, envelope: SieveEnvelope, opts: { maxBodyChars?: number } = {}): SieveMessage {
  const maxChars = opts.maxBodyChars ?? 1024 * 1024;
  const bodyStart = findBodyStart(raw, 0, raw.length);
  const headers = parseHeaders(raw, 0, bodyStart).map((h) => ({ name: h.name, value: h.value }));
  let parts: SieveBodyPart[] | null = null;
  let rawBody: string | null = null;
  return {
    size: raw.length,
    envelope,
    headers,
    bodyParts() {
      if (!parts) {
        parts = [];
        collectParts(raw, parseMime(raw), parts, maxChars);
      }
      return parts;
    },
    rawBody() {
      if (rawBody === null) {
        const b = raw.subarray(bodyStart, Math.min(raw.length, bodyStart + maxChars * 4));
        rawBody = b.toString('utf8');
        if (rawBody.length > maxChars) rawBody = rawBody.slice(0, maxChars);
      }
      return rawBody;
    },
  };
}

function collectParts(raw: Buffer, node: MimeNode, out: SieveBodyPart[], maxChars: number): void {
  if (out.length >= MAX_PARTS) return;
  if (node.type === 'multipart') {
    for (const c of node.children) collectParts(raw, c, out, maxChars);
    return;
  }
  if (node.message) {
    // RFC 5173: body :content "message/rfc822" looks at the encapsulated message's header, as written (Pigeonhole too)
    const inner = node.message;
    out.push({ type: `${node.type}/${node.subtype}`, text: () => raw.toString('utf8', inner.start, inner.bodyStart) });
    collectParts(raw, inner, out, maxChars);
    return;
  }
  let text: string | null = null;
  const type = `${node.type}/${node.subtype}`;
  out.push({
    type,
    text() {
      if (text === null) {
        const body = raw.subarray(node.bodyStart, Math.min(node.end, node.bodyStart + maxChars * 4));
        const decoded = decodeTransfer(body, node.field(CONTENT_TRANSFER_ENCODING));
        const charset = node.params.find((p) => p[0] === 'charset')?.[1];
        text = node.type === 'text' ? decodeCharset(decoded, charset) : decoded.toString('latin1');
        if (text.length > maxChars) text = text.slice(0, maxChars);
      }
      return text;
    },
  });
}

/** Only short values are remembered (at most 2000 × 2 KB), so hostile headers cannot grow the cache. */
export const CACHE_MAX_VALUE = 2048;
const decodedCache = new Map<string, string>();

/** A header value as a script sees it: RFC 2047 words and raw 8-bit or ISO-2022-JP text decoded to Unicode. */
export function decodedValue(raw: string): string {
  if (!/=\?|[\x80-\xff\x1b]/.test(raw)) return raw;
  if (raw.length > CACHE_MAX_VALUE) return decodeHeaderValue(raw).text;
  let v = decodedCache.get(raw);
  if (v === undefined) {
    v = decodeHeaderValue(raw).text;
    if (decodedCache.size > 2000) decodedCache.clear();
    decodedCache.set(raw, v);
  }
  return v;
}

