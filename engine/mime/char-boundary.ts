// Where the first bytes of a text may be cut without splitting a character: for decoding only the start of a large
// part (the webmail's body values, engine/jmap/mail/body-value.ts), so that start decodes to exactly the first
// characters of the whole. Labels as normaliseCharset gives them (engine/mime/charset.ts).
//
// Each charset is walked only over its tail where it can be: an octet that is never part of a multibyte
// character (below 0x40 in Shift_JIS, below 0x80 in EUC-JP) starts the walk; ISO-2022-JP keeps a shift state and
// is walked from the start (the bytes given are already bounded).

/** The largest n ≤ buf.length such that buf[0, n) ends on a character boundary in `charset`. */
export function charBoundary(buf: Uint8Array, charset: string): number {
  const cs = charset.toLowerCase();
  if (cs === 'utf-8') return utf8Boundary(buf);
  if (cs === 'cp932') return sjisBoundary(buf);
  if (cs === 'euc-jp') return eucBoundary(buf);
  if (cs === 'iso-2022-jp') return jisBoundary(buf);
  if (cs.startsWith('utf-16') || cs === 'ucs-2' || cs === 'ucs2') return utf16Boundary(buf, cs);
  if (cs.startsWith('utf-32') || cs === 'ucs-4') return buf.length - (buf.length % 4);
  if (SINGLE_BYTE.test(cs)) return buf.length;
  // other multibyte charsets (GB18030, Big5, EUC-KR, CP949…): no octet below 0x30 is ever inside one of their
  // characters, so the text may end after the last such octet
  for (let i = buf.length - 1; i >= 0; i--) if (buf[i] < 0x30) return i + 1;
  return buf.length;
}

/** Labels of charsets with one octet per character. */
const SINGLE_BYTE = /^(us-ascii|ascii|latin\d*|l\d|iso-?8859-\d+|windows-125\d|cp125\d|cp8\d\d|ibm\d+|koi8-[a-z]+|mac[a-z]*|tis-620)$/;

function utf8Boundary(buf: Uint8Array): number {
  const n = buf.length;
  // the last octet that is not a continuation, within the longest character
  for (let j = n - 1; j >= 0 && j >= n - 4; j--) {
    const b = buf[j];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return j + need > n ? j : n;
  }
  return n;
}

const sjisLead = (c: number) => (c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc);

function sjisBoundary(buf: Uint8Array): number {
  // an octet below 0x40 is neither a lead nor a trail octet: the next one starts a character
  let i = buf.length - 1;
  while (i >= 0 && buf[i] >= 0x40) i--;
  let safe = i + 1;
  for (i = safe; i < buf.length; ) {
    if (sjisLead(buf[i])) {
      if (i + 1 >= buf.length) return safe;
      i += 2;
    } else i++;
    safe = i;
  }
  return safe;
}

function eucBoundary(buf: Uint8Array): number {
  // ASCII octets are never part of an EUC-JP multibyte character
  let i = buf.length - 1;
  while (i >= 0 && buf[i] >= 0x80) i--;
  let safe = i + 1;
  for (i = safe; i < buf.length; ) {
    const c = buf[i];
    const len = c === 0x8f ? 3 : c === 0x8e || (c >= 0xa1 && c <= 0xfe) ? 2 : 1;
    if (i + len > buf.length) return safe;
    i += len;
    safe = i;
  }
  return safe;
}

/**
 * ISO-2022-JP as decodeIso2022jp (engine/mime/charset.ts) reads it: never inside an escape sequence, and in the
 * two-octet set only after an even count of octets since the set was entered (or since a line break, which
 * returns it to ASCII).
 */
function jisBoundary(buf: Uint8Array): number {
  let kanji = false;
  let pending = 0;
  let safe = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x1b) {
      const len = escapeLength(buf, i);
      if (len < 0) return safe; // cut inside what may be an escape sequence
      if (len > 0) {
        kanji = buf[i + 1] === 0x24;
        pending = 0;
        i += len - 1;
        safe = i + 1;
        continue;
      }
    }
    if (c === 0x0a || c === 0x0d) kanji = false;
    else if (kanji && c >= 0x21 && c <= 0x7e) {
      pending++;
      if (pending % 2 === 0) safe = i + 1;
      continue;
    }
    pending = 0;
    safe = i + 1;
  }
  return safe;
}

/** The length of the escape sequence at `i` that decodeIso2022jp knows, 0 for none, -1 when the bytes end first. */
function escapeLength(buf: Uint8Array, i: number): number {
  const a = buf[i + 1];
  const b = buf[i + 2];
  if (a === undefined || (b === undefined && (a === 0x28 || a === 0x24))) return -1;
  if (a === 0x28 && (b === 0x42 || b === 0x4a || b === 0x49)) return 3;
  if (a === 0x24 && (b === 0x40 || b === 0x42)) return 3;
  if (a === 0x24 && b === 0x28) {
    const d = buf[i + 3];
    if (d === undefined) return -1;
    if (d === 0x44 || d === 0x51 || d === 0x4f) return 4;
  }
  return 0;
}

function utf16Boundary(buf: Uint8Array, cs: string): number {
  let n = buf.length - (buf.length % 2);
  if (n < 2) return n;
  // the order the decoder reads: named, else a byte order mark (iconv-lite reads unmarked UTF-16 as little-endian)
  const be = cs === 'utf-16be' || (cs !== 'utf-16le' && buf[0] === 0xfe && buf[1] === 0xff);
  const last = be ? (buf[n - 2] << 8) | buf[n - 1] : (buf[n - 1] << 8) | buf[n - 2];
  if (last >= 0xd800 && last <= 0xdbff) n -= 2; // a high surrogate waits for its low half
  return n;
}
