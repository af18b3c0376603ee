// Charset decoding to Unicode, the one decoder for every filter, IMAP SEARCH and anything else that reads text:
// ISO-2022-JP (decoded here), Shift_JIS/CP932, EUC-JP, UTF-8 and everything iconv-lite or ICU knows, with
// detection of mislabelled or unlabelled Japanese. It never throws on bad input: unknown charsets and broken
// bytes degrade to a best guess.
import { isAscii } from 'node:buffer';
import iconv from 'iconv-lite';

/** The bytes as a Buffer without copying them (a view of the same memory): they are only read into a string. */
function viewOf(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

export interface Decoded {
  text: string;
  /** The charset actually used. */
  charset: string;
  /** The declared charset was wrong (e.g. Shift_JIS sent as iso-8859-1 or iso-2022-jp). */
  mislabelled: boolean;
}

const ALIASES: Record<string, string> = {
  'shift_jis': 'cp932',
  'shift-jis': 'cp932',
  'sjis': 'cp932',
  'x-sjis': 'cp932',
  'ms_kanji': 'cp932',
  'csshiftjis': 'cp932',
  'windows-31j': 'cp932',
  'x-ms-cp932': 'cp932',
  'cp932': 'cp932',
  'euc-jp': 'euc-jp',
  'x-euc-jp': 'euc-jp',
  'eucjp': 'euc-jp',
  'iso-2022-jp': 'iso-2022-jp',
  'csiso2022jp': 'iso-2022-jp',
  'iso-2022-jp-1': 'iso-2022-jp',
  'iso-2022-jp-2': 'iso-2022-jp',
  'iso-2022-jp-3': 'iso-2022-jp',
  'utf8': 'utf-8',
  'utf-8': 'utf-8',
  'us-ascii': 'us-ascii',
  'ascii': 'us-ascii',
  'ks_c_5601-1987': 'cp949',
};

export function normaliseCharset(cs: string | undefined): string | undefined {
  if (!cs) return undefined;
  const c = cs.trim().replace(/^["']|["']$/g, '').toLowerCase();
  return ALIASES[c] ?? c;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

function validUtf8(buf: Uint8Array): boolean {
  try {
    utf8Fatal.decode(buf);
    return true;
  } catch {
    return false;
  }
}

function has8bit(buf: Uint8Array): boolean {
  return buf.length > 0 && !isAscii(buf);
}

function hasJisEscape(buf: Uint8Array): boolean {
  // ESC found by the engine's own search, not byte by byte in script
  for (let i = buf.indexOf(0x1b); i >= 0 && i + 2 < buf.length; i = buf.indexOf(0x1b, i + 1)) {
    if (buf[i + 1] === 0x24 || buf[i + 1] === 0x28) return true;
  }
  return false;
}

/** Invalid byte sequences when read as Shift_JIS (CP932). */
function sjisErrors(b: Uint8Array): { errors: number; pairs: number } {
  let errors = 0;
  let pairs = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c < 0x80 || (c >= 0xa1 && c <= 0xdf)) continue;
    if ((c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc)) {
      const t = b[i + 1];
      if (t !== undefined && ((t >= 0x40 && t <= 0x7e) || (t >= 0x80 && t <= 0xfc))) {
        pairs++;
        i++;
        continue;
      }
    }
    errors++;
  }
  return { errors, pairs };
}

/** Invalid byte sequences when read as EUC-JP. */
function eucErrors(b: Uint8Array): { errors: number; pairs: number } {
  let errors = 0;
  let pairs = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c < 0x80) continue;
    const t = b[i + 1];
    if (c >= 0xa1 && c <= 0xfe && t !== undefined && t >= 0xa1 && t <= 0xfe) {
      pairs++;
      i++;
    } else if (c === 0x8e && t !== undefined && t >= 0xa1 && t <= 0xdf) {
      pairs++;
      i++;
    } else if (c === 0x8f && t !== undefined && t >= 0xa1 && b[i + 2] !== undefined && b[i + 2] >= 0xa1) {
      pairs++;
      i += 2;
    } else errors++;
  }
  return { errors, pairs };
}

/** Guess the charset of 8-bit bytes: UTF-8 if valid, else the Japanese encoding with fewest errors. */
export function detectCharset(buf: Uint8Array): string {
  if (hasJisEscape(buf) && !has8bit(buf)) return 'iso-2022-jp';
  if (!has8bit(buf)) return 'us-ascii';
  if (validUtf8(buf)) return 'utf-8';
  const s = sjisErrors(buf);
  const e = eucErrors(buf);
  if (s.errors === 0 && e.errors === 0) {
    // both readable: prefer the one whose text has more kana (Japanese prose is full of hiragana); half-width
    // katakana count against (all-kanji EUC-JP, such as a short subject, reads in Shift_JIS as half-width kana)
    return japaneseScore(iconv.decode(Buffer.from(buf), 'euc-jp')) > japaneseScore(iconv.decode(Buffer.from(buf), 'cp932')) ? 'euc-jp' : 'cp932';
  }
  if (s.errors <= e.errors && s.pairs > 0) return 'cp932';
  if (e.pairs > 0) return 'euc-jp';
  return 'windows-1252';
}

function kanaRatio(s: string): number {
  const m = s.match(/[\u3040-\u30ff]/g);
  return m ? m.length / Math.max(1, s.length) : 0;
}

function japaneseScore(s: string): number {
  const half = s.match(/[\uff61-\uff9f]/g);
  return kanaRatio(s) - (half ? half.length / Math.max(1, s.length) : 0);
}

/**
 * Build the Japanese decoders' tables now (EUC-JP, which ISO-2022-JP maps to, and CP932): iconv-lite makes them on
 * first use, 15–30 ms of CPU, which would otherwise land in the first command that meets Japanese text.
 */
export function prepareJapaneseDecoders(): void {
  iconv.getCodec('euc-jp');
  iconv.getCodec('cp932');
}

/** ISO-2022-JP (RFC 1468, with JIS X 0201 kana): escape sequences switch sets; JIS X 0208 maps to EUC-JP. */
export function decodeIso2022jp(buf: Uint8Array): string {
  let out = '';
  type Mode = 'ascii' | 'roman' | 'kanji' | 'kana';
  let mode = 'ascii' as Mode;
  let pending: number[] = [];
  const flush = () => {
    if (pending.length) {
      out += iconv.decode(Buffer.from(pending), 'euc-jp');
      pending = [];
    }
  };
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x1b) {
      const a = buf[i + 1];
      const b = buf[i + 2];
      let next: Mode | null = null;
      if (a === 0x28 && (b === 0x42 || b === 0x4a)) next = b === 0x42 ? 'ascii' : 'roman';
      else if (a === 0x28 && b === 0x49) next = 'kana';
      else if (a === 0x24 && (b === 0x40 || b === 0x42)) next = 'kanji';
      else if (a === 0x24 && b === 0x28 && (buf[i + 3] === 0x44 || buf[i + 3] === 0x51 || buf[i + 3] === 0x4f)) {
        flush();
        mode = 'kanji';
        i += 3;
        continue;
      }
      if (next) {
        flush();
        mode = next;
        i += 2;
        continue;
      }
    }
    if (c === 0x0a || c === 0x0d) {
      flush();
      mode = mode === 'kanji' || mode === 'kana' ? 'ascii' : mode;
      out += String.fromCharCode(c);
      continue;
    }
    if (mode === 'kanji' && c >= 0x21 && c <= 0x7e) {
      pending.push(c | 0x80);
      continue;
    }
    flush();
    if (mode === 'kana' && c >= 0x21 && c <= 0x5f) out += String.fromCharCode(0xff61 + c - 0x21);
    else if (c >= 0x80) out += '\ufffd';
    else out += String.fromCharCode(c);
  }
  flush();
  return out;
}

/** Bytes decoded in a charset as decodeBytes names it (its `charset`), without detection. */
export function decodeAs(buf: Uint8Array, cs: string): string {
  if (cs === 'iso-2022-jp') return decodeIso2022jp(buf);
  if (cs === 'us-ascii') return viewOf(buf).toString('latin1');
  if (cs === 'utf-8') return viewOf(buf).toString('utf8');
  if (iconv.encodingExists(cs)) return iconv.decode(Buffer.from(buf), cs);
  try {
    return new TextDecoder(cs).decode(buf); // labels only ICU knows
  } catch {
    return decodeAs(buf, detectCharset(buf)); // a label nobody knows: read the bytes for what they are
  }
}

/** Whether text in this charset can be decoded as such (IMAP SEARCH CHARSET answers BADCHARSET otherwise). */
export function knownCharset(cs: string): boolean {
  const label = normaliseCharset(cs);
  if (!label) return false;
  if (label === 'iso-2022-jp' || label === 'utf-8' || label === 'us-ascii' || iconv.encodingExists(label)) return true;
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

const LATIN = new Set(['iso-8859-1', 'latin1', 'windows-1252', 'cp1252', 'us-ascii']);

/** Bytes → Unicode: trust the label when the bytes fit it, else detect (and say the label was wrong). */
export function decodeBytes(buf: Uint8Array, declared?: string): Decoded {
  const label = normaliseCharset(declared);
  const eight = has8bit(buf);
  if (!label || label === 'us-ascii') {
    if (!eight) {
      if (hasJisEscape(buf)) return { text: decodeIso2022jp(buf), charset: 'iso-2022-jp', mislabelled: false };
      return { text: viewOf(buf).toString('latin1'), charset: 'us-ascii', mislabelled: false };
    }
    const cs = detectCharset(buf);
    return { text: decodeAs(buf, cs), charset: cs, mislabelled: !!label };
  }
  if (label === 'iso-2022-jp') {
    if (!eight) return { text: decodeIso2022jp(buf), charset: label, mislabelled: false };
    const cs = detectCharset(buf);
    return { text: decodeAs(buf, cs), charset: cs, mislabelled: true };
  }
  if (label === 'utf-8') {
    if (!eight || validUtf8(buf)) return { text: viewOf(buf).toString('utf8'), charset: 'utf-8', mislabelled: false };
    const cs = detectCharset(buf);
    return { text: decodeAs(buf, cs), charset: cs, mislabelled: cs !== 'windows-1252' };
  }
  if (label === 'cp932' || label === 'euc-jp') {
    if (!eight) return { text: hasJisEscape(buf) ? decodeIso2022jp(buf) : viewOf(buf).toString('latin1'), charset: label, mislabelled: hasJisEscape(buf) };
    const errs = label === 'cp932' ? sjisErrors(buf).errors : eucErrors(buf).errors;
    if (errs === 0) return { text: decodeAs(buf, label), charset: label, mislabelled: false };
    const cs = detectCharset(buf);
    return { text: decodeAs(buf, cs), charset: cs, mislabelled: cs !== label };
  }
  if (LATIN.has(label) && eight) {
    // Japanese sent as Latin-1: the classic mislabel. Believe it only when the bytes read as clean Japanese.
    if (validUtf8(buf)) return { text: viewOf(buf).toString('utf8'), charset: 'utf-8', mislabelled: true };
    const s = sjisErrors(buf);
    if (s.errors === 0 && s.pairs >= 2) {
      const t = iconv.decode(Buffer.from(buf), 'cp932');
      if (kanaRatio(t) > 0.05) return { text: t, charset: 'cp932', mislabelled: true };
    }
    const e = eucErrors(buf);
    if (e.errors === 0 && e.pairs >= 2) {
      const t = iconv.decode(Buffer.from(buf), 'euc-jp');
      if (kanaRatio(t) > 0.05) return { text: t, charset: 'euc-jp', mislabelled: true };
    }
  }
  return { text: decodeAs(buf, label), charset: label, mislabelled: false };
}

/** RFC 2047 encoded-words (and raw 8-bit or ISO-2022-JP header bytes) → Unicode. Input is the header as latin1. */
export function decodeHeaderValue(raw: string): { text: string; mislabelled: boolean } {
  let mislabelled = false;
  // raw bytes outside encoded-words: 8-bit (often Shift_JIS) or JIS escapes
  const bytesOf = (s: string) => Buffer.from(s, 'latin1');
  const decodeRaw = (s: string) => {
    if (!/[\x80-\xff\x1b]/.test(s)) return s;
    const d = decodeBytes(bytesOf(s));
    return d.text;
  };
  const re = /=\?([^?\s*]+)(?:\*[^?]*)?\?([bBqQ])\?([^?\s]*)\?=/g;
  let out = '';
  let last = 0;
  let prevWasWord = false;
  let m: RegExpExecArray | null;
  // adjacent encoded-words of the same charset are concatenated as bytes before decoding (split multibyte chars)
  let pendingBytes: Buffer[] = [];
  let pendingCs = '';
  const flushWords = () => {
    if (pendingBytes.length) {
      const d = decodeBytes(Buffer.concat(pendingBytes), pendingCs);
      if (d.mislabelled) mislabelled = true;
      out += d.text;
      pendingBytes = [];
    }
  };
  while ((m = re.exec(raw))) {
    const between = raw.slice(last, m.index);
    if (!(prevWasWord && /^[ \t\r\n]*$/.test(between))) {
      flushWords();
      out += decodeRaw(between);
    }
    const cs = m[1];
    const bytes = m[2].toUpperCase() === 'B' ? Buffer.from(m[3], 'base64') : bytesOf(m[3].replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))));
    if (pendingBytes.length && normaliseCharset(cs) !== normaliseCharset(pendingCs)) flushWords();
    pendingCs = cs;
    pendingBytes.push(bytes);
    prevWasWord = true;
    last = re.lastIndex;
  }
  flushWords();
  out += decodeRaw(raw.slice(last));
  return { text: out, mislabelled };
}
