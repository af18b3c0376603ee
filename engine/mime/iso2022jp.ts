// Writing ISO-2022-JP (RFC 1468) for mail a user chose to send that way: the check that every character is in
// ASCII or JIS X 0208 (half-width katakana made full-width first), body lines each ending in ASCII and at most
// 998 octets, and RFC 2047 encoded-words that each end in ASCII. It never substitutes a character it cannot encode.
import Encoding from 'encoding-japanese';

export type JisCheck = { ok: true; text: string } | { ok: false; char: string; codePoint: string };

const ESC_JIS = [0x1b, 0x24, 0x42]; // ESC $ B: JIS X 0208
const ESC_ASCII = [0x1b, 0x28, 0x42]; // ESC ( B: ASCII
const MAX_LINE = 998;
// "=?ISO-2022-JP?B?" + base64 + "?=" within 75 characters: 56 base64 characters = 42 octets
const WORD_BYTES = 42;

/** JIS X 0208 rows with characters: 1–8 (symbols, kana, Greek, Cyrillic, box drawing) and 16–84 (kanji). Row 13
 * (NEC specials such as ①) and rows 89–92 (IBM extensions such as 髙) are CP50220/CP932 additions, not ISO-2022-JP. */
const inJisX0208 = (row: number) => (row >= 1 && row <= 8) || (row >= 16 && row <= 84);

const cache = new Map<string, number[] | null>();
const MAX_CACHED = 20_000;

/** The JIS X 0208 octet pair of one (non-ASCII) character, or null when it has none. */
function pairOf(ch: string): number[] | null {
  let hit = cache.get(ch);
  if (hit !== undefined) return hit;
  const out = Encoding.convert(Encoding.stringToCode(ch), { to: 'JIS', from: 'UNICODE' }) as number[];
  hit = out.length === 8 && ESC_JIS.every((b, i) => out[i] === b) && ESC_ASCII.every((b, i) => out[5 + i] === b)
    && inJisX0208(out[3] - 0x20) && out[4] >= 0x21 && out[4] <= 0x7e ? [out[3], out[4]] : null;
  if (cache.size < MAX_CACHED) cache.set(ch, hit);
  return hit;
}

const isAsciiChar = (c: number) => c < 0x80 && c !== 0x1b && c !== 0x0e && c !== 0x0f;

/** Half-width katakana to full width (RFC 1468 has no JIS X 0201 katakana); then the first character that
 * ISO-2022-JP cannot carry (emoji, ①, 髙, ¥, a raw ESC…), if any. */
export function checkJis(text: string): JisCheck {
  const t = Encoding.toZenkanaCase(text);
  for (const ch of t) {
    const c = ch.codePointAt(0)!;
    if (isAsciiChar(c)) continue;
    if (c < 0x80 || !pairOf(ch)) return { ok: false, char: ch, codePoint: `U+${c.toString(16).toUpperCase().padStart(4, '0')}` };
  }
  return { ok: true, text: t };
}

/** Cut `text` into runs whose ISO-2022-JP form (ending in ASCII) is at most `max` octets; each run encoded. */
function runs(text: string, max: number, firstMax = max): Buffer[] {
  const out: Buffer[] = [];
  let cur: number[] = [];
  let jis = false;
  const flush = () => {
    if (jis) cur.push(...ESC_ASCII);
    out.push(Buffer.from(cur));
    cur = [];
    jis = false;
  };
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const wide = !isAsciiChar(c);
    const pair = wide ? pairOf(ch) : null;
    if (wide && !pair) throw new Error(`${ch} is not in ISO-2022-JP`);
    const cost = (wide ? (jis ? 2 : 5) : jis ? 4 : 1) + (wide ? 3 : 0);
    if (cur.length && cur.length + cost > (out.length ? max : firstMax)) flush();
    if (wide) {
      if (!jis) cur.push(...ESC_JIS);
      cur.push(...pair!);
      jis = true;
    } else {
      if (jis) cur.push(...ESC_ASCII);
      cur.push(c);
      jis = false;
    }
  }
  flush();
  return out;
}

/** A text body (checked by checkJis) as ISO-2022-JP with CRLF line ends: every line returns to ASCII before its
 * end, and a line longer than 998 octets is broken into several (the only change ever made to the text). */
export function encodeJisBody(text: string): Buffer {
  const lines: Buffer[] = [];
  for (const line of text.replace(/\r\n|\r|\n/g, '\n').split('\n')) lines.push(...runs(line, MAX_LINE));
  return Buffer.concat(lines.flatMap((l, i) => (i ? [Buffer.from('\r\n'), l] : [l])));
}

/** RFC 2047 B encoded-words in ISO-2022-JP, each at most 75 characters and ending in ASCII, joined by folding
 * white space (decoders drop white space between encoded-words). `first` octets for the first word, so that the
 * field name and the first word fit one line. */
export function encodeJisWords(text: string, first = WORD_BYTES): string {
  const words: string[] = [];
  for (const c of runs(text, WORD_BYTES, Math.min(first, WORD_BYTES))) if (c.length) words.push(`=?ISO-2022-JP?B?${c.toString('base64')}?=`);
  return words.join('\r\n ');
}
