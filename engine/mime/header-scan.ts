// One header field's values read straight from a header block's bytes, for SEARCH on header keys over the
// blocks FETCH kept (message-cache.ts): only the lines of the field asked for become strings, where
// parseHeaders (mime-tree.ts) makes a string and an object of every line of the block. The values are exactly those
// parseHeaders gives for that name (same line splitting, unfolding, trimming and latin1 text, same bounds). Pure.
import { FIELD_READ_OCTETS, MAX_HEADER_LINES } from './header-lines.js';

/** Octets String.prototype.trim removes from latin1 text: \t \n \v \f \r, space and no-break space. */
function trimmed(b: number): boolean {
  return (b >= 9 && b <= 13) || b === 32 || b === 160;
}

/** A field name this scan compares octet by octet: printable ASCII without ":" (what parseHeaders can yield for it). */
const PLAIN_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/** Can fieldValues answer for this (lower-case) name? Others take parseHeaders. */
export function scannableName(name: string): boolean {
  return PLAIN_NAME.test(name) && name === name.toLowerCase();
}

/** The end of the text of the header line [i, lineEnd): without its final "\n" or "\r\n" (te === i: the empty line). */
export function lineTextEnd(raw: Buffer, i: number, lineEnd: number): number {
  let te = lineEnd;
  if (raw[te - 1] === 10) {
    te--;
    if (te > i && raw[te - 1] === 13) te--;
  }
  return te;
}

/**
 * Is the line [i, te) a field named `name` (lower case, scannableName)? Its colon's index when it is, -1 when it
 * is another field, -2 when it has no colon after its first octet (parseHeaders ends the current field there).
 */
export function fieldAt(raw: Buffer, i: number, te: number, name: string): number {
  // the colon looked for within the line only (an indexOf to the block's end per line would make a block of many
  // lines without a colon quadratic)
  let colon = i;
  while (colon < te && raw[colon] !== 58) colon++;
  if (colon <= i || colon >= te) return -2;
  let a = i;
  let z = colon;
  while (a < z && trimmed(raw[a])) a++;
  while (z > a && trimmed(raw[z - 1])) z--;
  if (z - a !== name.length) return -1;
  for (let k = 0; k < name.length; k++) {
    let b = raw[a + k];
    if (b >= 65 && b <= 90) b += 32;
    if (b !== name.charCodeAt(k)) return -1;
  }
  return colon;
}

/**
 * The trimmed, unfolded values of every field named `name` (lower case, scannableName) in the header block
 * raw[start, end), in order: parseHeaders(raw, start, end).filter((h) => h.name === name).map((h) => h.value),
 * within the same bounds (MAX_HEADER_LINES lines, a value to FIELD_READ_OCTETS octets).
 */
export function fieldValues(raw: Buffer, start: number, end: number, name: string): string[] {
  const out: string[] = [];
  let i = start;
  // the field the line before belongs to: none (0), another (1), the one asked for (2)
  let cur = 0;
  let value = '';
  let lines = 0;
  while (i < end) {
    if (++lines > MAX_HEADER_LINES) break;
    let nl = raw.indexOf(10, i);
    if (nl < 0 || nl >= end) nl = end - 1;
    const lineEnd = nl + 1;
    const te = lineTextEnd(raw, i, lineEnd);
    if (te === i) break;
    const b0 = raw[i];
    if ((b0 === 32 || b0 === 9) && cur) {
      if (cur === 2 && value.length <= FIELD_READ_OCTETS) value += raw.toString('latin1', i, te - i > FIELD_READ_OCTETS ? i + FIELD_READ_OCTETS : te);
    } else {
      if (cur === 2) out.push(cutValue(value));
      const colon = fieldAt(raw, i, te, name);
      cur = colon >= 0 ? 2 : colon === -1 ? 1 : 0;
      if (cur === 2) value = raw.toString('latin1', colon + 1, te - colon - 1 > FIELD_READ_OCTETS ? colon + 1 + FIELD_READ_OCTETS : te);
    }
    i = lineEnd;
  }
  if (cur === 2) out.push(cutValue(value));
  return out;
}

/** A value trimmed, then cut to FIELD_READ_OCTETS as parseHeaders cuts it. */
function cutValue(value: string): string {
  const v = value.trim();
  return v.length > FIELD_READ_OCTETS ? v.slice(0, FIELD_READ_OCTETS) : v;
}
