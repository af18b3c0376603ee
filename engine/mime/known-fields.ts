// The header fields FETCH's ENVELOPE, BODY and BODYSTRUCTURE and SEARCH's columns read, found in one pass over a
// part's header block: only their values become strings (parseHeaders makes a name, a value and an object of
// every field, and a message has dozens: Received, DKIM-Signature …). Values are exactly what parseHeaders gives
// for those names (same line splitting, unfolding, trimming and latin1 text), in header order. Pure.
import { FIELD_READ_OCTETS, MAX_HEADER_LINES } from './header-lines.js';
import { lineTextEnd } from './header-scan.js';

/**
 * How many header lines one message's MIME parse reads field by field, over all its parts (each part's header
 * also stops at MAX_HEADER_LINES, the limit SMTP puts on the top-level header). SMTP bounds only the top-level
 * header; a part's header can hold millions of lines, and the parse runs in the main thread at every FETCH that needs
 * the tree (docs/security-review-7.md). Past the budget a part's blank line is found by a native search and its
 * fields are not read (its type is then the default). Real mail uses a few lines a part.
 */
export const MESSAGE_HEADER_LINES = 10 * MAX_HEADER_LINES;

/** The header lines a parse may still read (shared by every part of one message). */
export interface LineBudget {
  left: number;
}

export { FIELD_READ_OCTETS } from './header-lines.js';

const LF_LF = Buffer.from('\n\n', 'latin1');
const LF_CRLF = Buffer.from('\n\r\n', 'latin1');

/** The offset after the first blank line of raw[i, end), i at a line start (findBodyStart's answer), found natively. */
function afterBlankLine(raw: Buffer, i: number, end: number): number {
  if (i >= end) return end;
  if (raw[i] === 10) return i + 1;
  if (raw[i] === 13 && raw[i + 1] === 10 && i + 1 < end) return i + 2;
  const view = raw.subarray(i, end);
  const a = view.indexOf(LF_LF);
  const b = view.indexOf(LF_CRLF);
  // the earlier blank line; "\n\r\n" needs its "\n" within the part, as the line scan does
  if (a >= 0 && (b < 0 || a < b)) return i + a + 2;
  if (b >= 0 && b + 2 < view.length) return i + b + 3;
  return end;
}

/** The known names, lower case; a field's number is its index here. */
export const KNOWN = [
  'date', 'subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'in-reply-to', 'message-id',
  'content-type', 'content-id', 'content-description', 'content-transfer-encoding', 'content-md5',
  'content-disposition', 'content-language', 'content-location',
] as const;

export const DATE = 0;
export const SUBJECT = 1;
export const FROM = 2;
export const SENDER = 3;
export const REPLY_TO = 4;
export const TO = 5;
export const CC = 6;
export const BCC = 7;
export const IN_REPLY_TO = 8;
export const MESSAGE_ID = 9;
export const CONTENT_TYPE = 10;
export const CONTENT_ID = 11;
export const CONTENT_DESCRIPTION = 12;
export const CONTENT_TRANSFER_ENCODING = 13;
export const CONTENT_MD5 = 14;
export const CONTENT_DISPOSITION = 15;
export const CONTENT_LANGUAGE = 16;
export const CONTENT_LOCATION = 17;

/** Per name length, the known fields of that length. */
const BY_LENGTH: number[][] = [];
for (let k = 0; k < KNOWN.length; k++) (BY_LENGTH[KNOWN[k].length] ??= []).push(k);

/** Octets String.prototype.trim removes from latin1 text: \t \n \v \f \r, space and no-break space. */
function trimmed(b: number): boolean {
  return (b >= 9 && b <= 13) || b === 32 || b === 160;
}

/** The known field whose name is raw[a, z) once trimmed and lower-cased as parseHeaders does, or -1. */
export function knownAt(raw: Buffer, a: number, z: number): number {
  while (a < z && trimmed(raw[a])) a++;
  while (z > a && trimmed(raw[z - 1])) z--;
  const candidates = BY_LENGTH[z - a];
  if (candidates === undefined) return -1;
  for (let c = 0; c < candidates.length; c++) {
    const name = KNOWN[candidates[c]];
    let k = 0;
    for (; k < name.length; k++) {
      let b = raw[a + k];
      if (b >= 65 && b <= 90) b += 32;
      if (b !== name.charCodeAt(k)) break;
    }
    if (k === name.length) return candidates[c];
  }
  return -1;
}

/** The latin1 text of raw[a, z) trimmed as String.prototype.trim would: the octets trimmed, one string made. */
function trimmedText(raw: Buffer, a: number, z: number): string {
  while (a < z && trimmed(raw[a])) a++;
  // a field is read to the octets SMTP allows one (its start is what BODYSTRUCTURE and ENVELOPE see)
  if (z - a > FIELD_READ_OCTETS) z = a + FIELD_READ_OCTETS;
  while (z > a && trimmed(raw[z - 1])) z--;
  return raw.toString('latin1', a, z);
}

/** A folded field's unfolded text, trimmed, and no longer than FIELD_READ_OCTETS. */
function foldedText(text: string): string {
  text = text.trim();
  return text.length > FIELD_READ_OCTETS ? text.slice(0, FIELD_READ_OCTETS) : text;
}

/**
 * The header of the part raw[start, end), read once: its known fields in order (their numbers pushed to `ids`, their
 * values — unfolded, trimmed latin1 text — to `values`) and the offset after its blank line, which it returns.
 * What findBodyStart(raw, start, end) returns, and parseHeaders(raw, start, that) filtered to KNOWN names, for a
 * header within the bounds: a field's value is read to FIELD_READ_OCTETS octets, the header to
 * MAX_HEADER_LINES lines and what is left of `budget` (past them, no more fields are read: the blank line is searched
 * for natively).
 */
export function scanKnown(raw: Buffer, start: number, end: number, ids: number[], values: string[], budget?: LineBudget): number {
  // an empty first line (findBodyStart's first two tests, whatever `end` is): no header at all
  if (raw[start] === 10) return start + 1;
  if (raw[start] === 13 && raw[start + 1] === 10) return start + 2;
  let i = start;
  // the field the line before belongs to: none (0), another (1), a known one (2)
  let cur = 0;
  let id = -1;
  // the known field's first line's value [vs, ve), and its text once a continuation line came
  let vs = 0;
  let ve = 0;
  let text: string | null = null;
  const left = budget ? budget.left : MESSAGE_HEADER_LINES;
  const maxLines = left < MAX_HEADER_LINES ? left : MAX_HEADER_LINES;
  let lines = 0;
  while (i < end) {
    if (lines++ === maxLines) {
      end = afterBlankLine(raw, i, end);
      break;
    }
    let nl = raw.indexOf(10, i);
    if (nl < 0 || nl >= end) nl = end - 1;
    const lineEnd = nl + 1;
    const te = lineTextEnd(raw, i, lineEnd);
    if (te === i) {
      // the blank line: the body starts after it
      end = lineEnd;
      break;
    }
    const b0 = raw[i];
    if ((b0 === 32 || b0 === 9) && cur !== 0) {
      if (cur === 2) {
        if (text === null) text = raw.toString('latin1', vs, ve - vs > FIELD_READ_OCTETS ? vs + FIELD_READ_OCTETS : ve);
        // a folded field: its lines past FIELD_READ_OCTETS octets are not read
        if (text.length <= FIELD_READ_OCTETS) text += raw.toString('latin1', i, te - i > FIELD_READ_OCTETS ? i + FIELD_READ_OCTETS : te);
      }
    } else {
      if (cur === 2) {
        ids.push(id);
        values.push(text === null ? trimmedText(raw, vs, ve) : foldedText(text));
      }
      let colon = i;
      while (colon < te && raw[colon] !== 58) colon++;
      if (colon === i || colon === te) cur = 0;
      else {
        id = knownAt(raw, i, colon);
        cur = id >= 0 ? 2 : 1;
        vs = colon + 1;
        ve = te;
        text = null;
      }
    }
    i = lineEnd;
  }
  if (cur === 2) {
    ids.push(id);
    values.push(text === null ? trimmedText(raw, vs, ve) : foldedText(text));
  }
  if (budget) budget.left -= lines < maxLines ? lines : maxLines;
  return end;
}
