// tegami's one MIME structure parser: byte offsets of every part's header and body in the raw message, content
// types with parameters, nested multiparts and message/rfc822. Every reader of a message's structure reads it:
// IMAP (FETCH BODY[section], BODYSTRUCTURE, SEARCH), JMAP and the webmail, Sieve, the rules and the spam filter
// (engine/spam/message.ts). Pure and bounded (nesting depth, part count, header lines: the bounds below and in
// known-fields.ts); malformed input gives a best-effort tree, never a throw.
import { MAX_HEADER_LINES } from './header-lines.js';
import { lineTextEnd } from './header-scan.js';
import { CONTENT_TYPE, FIELD_READ_OCTETS, KNOWN, MESSAGE_HEADER_LINES, scanKnown, type LineBudget } from './known-fields.js';

export interface HeaderField {
  /** Lower-case field name. */
  name: string;
  /** Unfolded value as latin1 text (one char per octet), without leading/trailing whitespace. */
  value: string;
  /** Octet range of the whole field including its line ending(s) (to the last line parseHeaders read of it). */
  start: number;
  end: number;
  /**
   * Where reading its value stopped: `end` for a field within the bounds, else the octet after the last one read
   * (FIELD_READ_OCTETS of text, perhaps within a line). Readers of the field's octets (JMAP's raw and text forms)
   * read to here, so they are bounded as `value` is.
   */
  readEnd: number;
}

/**
 * One part: its octet ranges, content type, children, and the header fields ENVELOPE and BODYSTRUCTURE read
 * (known-fields.ts), found in one pass. Every field (`headers`) is parsed only when something asks for it
 * (BODY[HEADER.FIELDS …], SEARCH on any header, JMAP, Sieve): a FETCH of ENVELOPE and BODYSTRUCTURE makes no object
 * per header field.
 */
export class MimeNode {
  children: MimeNode[] = [];
  /** For message/rfc822: the encapsulated message. */
  message?: MimeNode = undefined;
  private fieldList?: HeaderField[] = undefined;

  constructor(
    private readonly raw: Buffer,
    /** Start of this part's header. */
    readonly start: number,
    /** Start of the body (after the blank line). */
    readonly bodyStart: number,
    /** End of the body. */
    readonly end: number,
    /** The known fields present (KNOWN numbers), in header order, and their values (read only). */
    readonly ids: number[],
    readonly values: string[],
    readonly type: string,
    readonly subtype: string,
    /** Content-Type parameters in order, names lower-case. */
    readonly params: [string, string][],
  ) {}

  /** Every header field of the part, in order (parsed when first asked for). */
  get headers(): HeaderField[] {
    return (this.fieldList ??= parseHeaders(this.raw, this.start, this.bodyStart));
  }

  /** The first value of a known field (a KNOWN number): header(headers, KNOWN[id]). */
  field(id: number): string | undefined {
    const ids = this.ids;
    for (let i = 0; i < ids.length; i++) if (ids[i] === id) return this.values[i];
    return undefined;
  }
}

/**
 * How much of a message's structure one parse reads: parts nested deeper than `depth` (the message itself is at 0)
 * are not split (a multipart there has no children, a message/rfc822 no `message`), and past `parts` parts (every
 * node counted, in document order) no more are made. Header lines are bounded per message too (known-fields.ts
 * MESSAGE_HEADER_LINES), and each multipart's delimiter search (splitMultipart). Real mail is a few levels and a
 * few dozen parts deep at most.
 */
export interface MimeBounds {
  depth: number;
  parts: number;
}

/** What IMAP (BODYSTRUCTURE shows every part), JMAP and the webmail, Sieve and the rules read. */
export const MIME_BOUNDS: MimeBounds = { depth: 30, parts: 5000 };
/**
 * What the spam filter reads (engine/spam/message.ts): like SpamAssassin it judges the first parts of a message,
 * not all of a hostile one; with [spam] part_scan_size bytes of each text part, its work per message is bounded.
 */
export const SPAM_BOUNDS: MimeBounds = { depth: 8, parts: 64 };

export function parseMime(raw: Buffer, bounds: MimeBounds = MIME_BOUNDS): MimeNode {
  const budget = { parts: 0, left: MESSAGE_HEADER_LINES, bounds };
  return parseEntity(raw, 0, raw.length, false, 0, budget);
}

interface Budget extends LineBudget {
  parts: number;
  bounds: MimeBounds;
}

/** A part; `inDigest`: its default type is message/rfc822 (RFC 2046 §5.1.5), else text/plain. */
function parseEntity(raw: Buffer, start: number, end: number, inDigest: boolean, depth: number, budget: Budget): MimeNode {
  budget.parts++;
  const ids: number[] = [];
  const values: string[] = [];
  const bodyStart = scanKnown(raw, start, end, ids, values, budget);
  let ct: string | undefined;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === CONTENT_TYPE) {
      ct = values[i];
      break;
    }
  }
  let type = inDigest ? 'message' : 'text';
  let subtype = inDigest ? 'rfc822' : 'plain';
  let params: [string, string][] = [];
  if (ct !== undefined) {
    const parsed = parseContentType(ct);
    if (parsed) {
      type = parsed.type;
      subtype = parsed.subtype;
      params = parsed.params;
    }
  }
  if (ct === undefined && type === 'text') params = [['charset', 'us-ascii']];
  const node = new MimeNode(raw, start, bodyStart, end, ids, values, type, subtype, params);
  const { depth: maxDepth, parts: maxParts } = budget.bounds;
  if (depth >= maxDepth || budget.parts >= maxParts) return node;
  if (type === 'multipart') {
    let boundary: string | undefined;
    for (let i = 0; i < params.length; i++) {
      if (params[i][0] === 'boundary') {
        boundary = params[i][1];
        break;
      }
    }
    if (boundary) {
      const digest = subtype === 'digest';
      const ranges = splitMultipart(raw, bodyStart, end, boundary, maxParts);
      for (let k = 0; k < ranges.length; k += 2) {
        if (budget.parts >= maxParts) break;
        node.children.push(parseEntity(raw, ranges[k], ranges[k + 1], digest, depth + 1, budget));
      }
    }
  } else if (type === 'message' && (subtype === 'rfc822' || subtype === 'global')) {
    node.message = parseEntity(raw, bodyStart, end, false, depth + 1, budget);
  }
  return node;
}

/** The offset after the header's terminating blank line (or `end` when there is none). */
export function findBodyStart(raw: Buffer, start: number, end: number): number {
  if (raw[start] === 10) return start + 1;
  if (raw[start] === 13 && raw[start + 1] === 10) return start + 2;
  let i = start;
  while (i < end) {
    const nl = raw.indexOf(10, i);
    if (nl < 0 || nl >= end) return end;
    const next = nl + 1;
    if (raw[next] === 10 && next < end) return next + 1;
    if (raw[next] === 13 && raw[next + 1] === 10 && next + 1 < end) return next + 2;
    i = next;
  }
  return end;
}

/** Header sections up to this size are decoded to one string by parseHeaders (real ones are a few KB). */
const BLOCK_TEXT_OCTETS = 64 * 1024;

/**
 * The header fields of raw[start, end), read within the bounds SMTP puts on a message's header and scanKnown reads
 * a MIME part's with (known-fields.ts): at most MAX_HEADER_LINES lines (past them no field is read), a value to
 * FIELD_READ_OCTETS octets (a folded field's lines past it are not read into it). The one reader of whole headers
 * for every caller — a part's `headers`, the top-level header for JMAP, Sieve, SEARCH, the store's metadata and
 * submission — so a header APPENDed over IMAP or written into the Maildir by another program, which SMTP never
 * checked, costs every reader bounded work (docs/security-review-7.md, stop 29). SMTP refuses a header past the
 * same bounds, so mail that came that way reads whole. header-scan.ts fieldValues reads one field with the same
 * bounds (SEARCH over kept header blocks).
 */
export function parseHeaders(raw: Buffer, start: number, end: number): HeaderField[] {
  const out: HeaderField[] = [];
  // a header of ordinary size is made one latin1 string and its names and values cut from it (slices of one string
  // cost less than a Buffer decode each); a larger one is decoded piece by piece, as far as the bounds read it
  const block = end - start <= BLOCK_TEXT_OCTETS ? raw.toString('latin1', start, end) : undefined;
  const text = (a: number, b: number): string => (block === undefined ? raw.toString('latin1', a, b) : block.slice(a - start, b - start));
  let i = start;
  let cur: HeaderField | null = null;
  let curText = '';
  let lines = 0;
  while (i < end) {
    if (++lines > MAX_HEADER_LINES) break;
    let nl = raw.indexOf(10, i);
    if (nl < 0 || nl >= end) nl = end - 1;
    const lineEnd = nl + 1;
    // the line's text without a final "\n" or "\r\n", found on the octets (no string of the whole line)
    const te = lineTextEnd(raw, i, lineEnd);
    if (te === i) break;
    const b0 = raw[i];
    if ((b0 === 32 || b0 === 9) && cur) {
      if (curText.length <= FIELD_READ_OCTETS) {
        const stop = te - i > FIELD_READ_OCTETS ? i + FIELD_READ_OCTETS : te;
        curText += text(i, stop);
        cur.readEnd = stop === te ? lineEnd : stop;
      }
      cur.end = lineEnd;
    } else {
      if (cur) {
        cur.value = curText.trim();
        out.push(cur);
      }
      let colon = i;
      while (colon < te && raw[colon] !== 58) colon++;
      if (colon === i || colon === te) {
        cur = null;
      } else {
        const stop = te - colon - 1 > FIELD_READ_OCTETS ? colon + 1 + FIELD_READ_OCTETS : te;
        cur = { name: text(i, colon).trim().toLowerCase(), value: '', start: i, end: lineEnd, readEnd: stop === te ? lineEnd : stop };
        curText = text(colon + 1, stop);
      }
    }
    i = lineEnd;
  }
  if (cur) {
    cur.value = curText.trim();
    out.push(cur);
  }
  for (const f of out) if (f.value.length > FIELD_READ_OCTETS) f.value = f.value.slice(0, FIELD_READ_OCTETS);
  return out;
}

export function header(headers: HeaderField[], name: string): string | undefined {
  return headers.find((h) => h.name === name)?.value;
}

/** "text/plain; charset=utf-8" → type, subtype, params (quoted values unquoted, comments dropped). */
export function parseContentType(v: string): { type: string; subtype: string; params: [string, string][] } | null {
  const parts = splitParams(v);
  const m = /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*\/\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*$/.exec(parts[0] ?? '');
  if (!m) return null;
  return { type: m[1].toLowerCase(), subtype: m[2].toLowerCase(), params: paramPairs(parts.slice(1)) };
}

/** "attachment; filename=a.txt" → value and params. */
export function parseDisposition(v: string): { value: string; params: [string, string][] } | null {
  const parts = splitParams(v);
  const value = (parts[0] ?? '').trim().toLowerCase();
  if (!value) return null;
  return { value, params: paramPairs(parts.slice(1)) };
}

/**
 * Parameters kept of one Content-Type or Content-Disposition: real mail has a handful (an RFC 2231 file name split
 * in continuations a few dozen); past them only `boundary` and `charset` are kept (the structure and decoding need
 * them), so BODYSTRUCTURE never echoes a stranger's thousands of parameters (docs/security-review-7.md).
 */
export const MAX_PARAMS = 100;

function paramPairs(parts: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    if (out.length >= MAX_PARAMS && ((name !== 'boundary' && name !== 'charset') || out.some((q) => q[0] === name))) continue;
    let value = p.slice(eq + 1).trim();
    if (value.charCodeAt(0) === 34) {
      value = value.slice(1, value.endsWith('"') && value.length > 1 ? -1 : undefined);
      if (value.includes('\\')) value = value.replace(/\\(.)/g, '$1');
    }
    if (name) out.push([name, value]);
  }
  return out;
}

/**
 * Split on ";" outside quotes, dropping (comments). The text between separators is taken as slices of `v` (a
 * quoted string verbatim, with its backslashes; a comment, nested or not, left out), not a char at a time.
 */
function splitParams(v: string): string[] {
  // no quote and no comment: every ";" separates
  if (!v.includes('"') && !v.includes('(')) return v.split(';');
  const out: string[] = [];
  let cur = '';
  let from = 0;
  let inQ = false;
  let depth = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (inQ) {
      if (c === 92 && i + 1 < v.length) i++;
      else if (c === 34) inQ = false;
    } else if (depth > 0) {
      if (c === 40) depth++;
      else if (c === 41 && --depth === 0) from = i + 1;
    } else if (c === 34) inQ = true;
    else if (c === 40) {
      cur += v.slice(from, i);
      depth = 1;
    } else if (c === 59) {
      out.push(cur + v.slice(from, i));
      cur = '';
      from = i + 1;
    }
  }
  out.push(depth > 0 ? cur : cur + v.slice(from));
  return out;
}

const LF_DASHES = Buffer.from('\n--', 'latin1');

/** Octet ranges of the body parts between boundary delimiter lines (RFC 2046 §5.1.1): start, end, start, end … */
function splitMultipart(raw: Buffer, start: number, end: number, boundary: string, maxParts: number): number[] {
  const delim = Buffer.from('--' + boundary, 'latin1');
  // Line starts where the delimiter's text is found, delimiter or not, looked at in one multipart: real mail has one per
  // part (maxParts at most); millions of "--b" lines that are not delimiters cost the main thread ~0.2 µs each at
  // every FETCH that needs the tree, times the nesting depth (docs/security-review-7.md). Past them the rest is the
  // last part's.
  const maxFound = 4 * maxParts;
  let found = 0;
  const parts: number[] = [];
  let partStart = -1;
  // A delimiter starts a line: the places looked at are the line starts that begin "--", and the boundary is compared
  // there, up to its first difference. Buffer.indexOf of the whole delimiter cost the length of the boundary at
  // each of many places in a body of lines that almost match it (a boundary of 16 KB, 1 MB of such lines: 2.5 s),
  // and a boundary holds up to a header field's 256 KiB (security review 11). Compared at line starts, each
  // comparison ends by the end of its line (a boundary holds no line break), so the search is linear.
  if (delim.includes(10) || delim.includes(13)) return parts;
  let i = start;
  while (i < end) {
    let at: number;
    if (i === start && raw[start] === 0x2d && raw[start + 1] === 0x2d) at = start;
    else {
      const nl = raw.indexOf(LF_DASHES, i === start ? start : i - 1);
      if (nl < 0) break;
      at = nl + 1;
    }
    if (at + delim.length > end) break;
    if (raw.compare(delim, 0, delim.length, at, at + delim.length) !== 0) {
      i = at + 1;
      continue;
    }
    if (++found > maxFound) break;
    let j = at + delim.length;
    const closing = raw[j] === 0x2d && raw[j + 1] === 0x2d;
    if (closing) j += 2;
    while (j < end && (raw[j] === 0x20 || raw[j] === 0x09)) j++;
    let lineEnd: number;
    if (raw[j] === 13 && raw[j + 1] === 10) lineEnd = j + 2;
    else if (raw[j] === 10) lineEnd = j + 1;
    else if (j >= end) lineEnd = end;
    else {
      i = at + 1;
      continue;
    }
    // the line break before the delimiter belongs to the delimiter
    let partEnd = at;
    if (partEnd > start && raw[partEnd - 1] === 10) partEnd--;
    if (partEnd > start && raw[partEnd - 1] === 13) partEnd--;
    if (partStart >= 0) parts.push(partStart, Math.max(partStart, partEnd));
    if (closing) return parts;
    partStart = lineEnd;
    i = lineEnd;
  }
  if (partStart >= 0 && partStart <= end) parts.push(partStart, end);
  return parts;
}

/**
 * The node a section part number names ("1.2" → second part of the first part). Part 1 of a non-multipart
 * is the body itself; inside a message/rfc822 part, numbers continue in the encapsulated message.
 */
export function findPart(root: MimeNode, path: number[]): MimeNode | undefined {
  let node: MimeNode = root;
  for (let k = 0; k < path.length; k++) {
    const n = path[k];
    if (node.type === 'multipart') {
      const c = node.children[n - 1];
      if (!c) return undefined;
      node = c;
    } else if (n !== 1) {
      return undefined;
    }
    if (k < path.length - 1) {
      if (node.message) node = node.message;
      else if (node.type !== 'multipart') return undefined;
    }
  }
  return node;
}
