// SEARCH's header keys (FROM, SUBJECT, HEADER …) matched straight on a header block's bytes, for the fields whose
// value needs no decoding: one line of printable ASCII with no encoded word ("=?") and no ESC. For those the decoded,
// folded value SEARCH compares with is the value's own text in lower case, so a case-blind byte comparison answers
// exactly what decoding would. A field that needs decoding (RFC 2047 words, raw ISO-2022-JP, Shift_JIS, EUC-JP or
// UTF-8 octets, a value continued on another line) is left undecided, and the caller decodes it as before. Read
// within the same bounds as parseHeaders. Pure, never throws.
import { FIELD_READ_OCTETS, MAX_HEADER_LINES } from '../../mime/header-lines.js';
import { fieldAt, lineTextEnd } from '../../mime/header-scan.js';

/**
 * A test of one header key: `match(raw, start, end)` over the header block raw[start, end) answers true or false
 * when every field named `name` (lower case, scannableName) in it was decided from its bytes, or null when one
 * needs decoding and none of the others matched. `folded` is the key's string as fold() made it.
 */
export type HeaderMatch = (raw: Buffer, start: number, end: number) => boolean | null;

/** Octets trim() removes from a plain (ASCII) value. */
function space(b: number): boolean {
  return (b >= 9 && b <= 13) || b === 32;
}

/** Octet comparisons the loop below may make per value; a longer value or key is searched as a string. */
const LOOP_WORK = 1 << 14;

/**
 * Does raw[a, z) hold the needle (lower-case ASCII octets), ASCII letters compared without case? A short value is
 * compared octet by octet (no string per message); a long one by the string search, linear in its length.
 */
function holds(raw: Buffer, a: number, z: number, needle: Buffer): boolean {
  const n = needle.length;
  if (n === 0) return true;
  if ((z - a) * n > LOOP_WORK) return raw.toString('latin1', a, z).toLowerCase().includes(needle.toString('latin1'));
  const first = needle[0];
  for (let i = a; i + n <= z; i++) {
    let b = raw[i];
    if (b >= 65 && b <= 90) b += 32;
    if (b !== first) continue;
    let k = 1;
    for (; k < n; k++) {
      let c = raw[i + k];
      if (c >= 65 && c <= 90) c += 32;
      if (c !== needle[k]) break;
    }
    if (k === n) return true;
  }
  return false;
}

/**
 * Is raw[a, z) a value decoding leaves as it is and fold() only lower-cases: no octet ≥ 0x80, no ESC (ISO-2022-JP),
 * no "=?" (an RFC 2047 word)? The same test as text-decode.ts's PLAIN_HEADER, on octets.
 */
function plain(raw: Buffer, a: number, z: number): boolean {
  for (let i = a; i < z; i++) {
    const b = raw[i];
    if (b >= 0x80 || b === 0x1b) return false;
    if (b === 61 && raw[i + 1] === 63 && i + 1 < z) return false;
  }
  return true;
}

export function headerMatcher(name: string, folded: string): HeaderMatch {
  // a key with a character beyond ASCII never matches a plain value (its folded text is ASCII)
  const ascii = /^[\x00-\x7f]*$/.test(folded);
  const needle = ascii ? Buffer.from(folded, 'latin1') : null;
  // an empty string matches every message that has the field, whatever its value
  const any = folded === '';
  return (raw, start, end) => {
    let undecided = false;
    let i = start;
    // the field the line before belongs to: none (0), another (1), the one asked for (2)
    let cur = 0;
    // the value of the field asked for: [va, vz) on one line, until a continuation line makes it undecided
    let va = -1;
    let vz = -1;
    let wrapped = false;
    const settle = (): boolean => {
      if (any) return true;
      if (wrapped) {
        undecided = true;
        return false;
      }
      while (va < vz && space(raw[va])) va++;
      while (vz > va && space(raw[vz - 1])) vz--;
      if (!plain(raw, va, vz)) {
        undecided = true;
        return false;
      }
      return needle !== null && holds(raw, va, vz, needle);
    };
    // within the bounds parseHeaders reads a header with (mime-tree.ts): so many lines, a value to so many octets
    let lines = 0;
    while (i < end) {
      if (++lines > MAX_HEADER_LINES) break;
      // the line's end found here, not by indexOf: a header line is a few dozen octets, shorter than a call's cost
      let nl = i;
      while (nl < end && raw[nl] !== 10) nl++;
      if (nl >= end) nl = end - 1;
      const lineEnd = nl + 1;
      const te = lineTextEnd(raw, i, lineEnd);
      if (te === i) break;
      const b0 = raw[i];
      if ((b0 === 32 || b0 === 9) && cur) {
        if (cur === 2) wrapped = true;
      } else {
        if (cur === 2 && settle()) return true;
        const colon = fieldAt(raw, i, te, name);
        cur = colon >= 0 ? 2 : colon === -1 ? 1 : 0;
        if (cur === 2) {
          va = colon + 1;
          vz = te - va > FIELD_READ_OCTETS ? va + FIELD_READ_OCTETS : te;
          wrapped = false;
        }
      }
      i = lineEnd;
    }
    if (cur === 2 && settle()) return true;
    return undecided ? null : false;
  };
}
