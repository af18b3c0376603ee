// The three views of a text that rule literals are matched in, each made in one pass: `folded` (NFKC, lower
// case, invisible characters dropped, numeric character references decoded, white space runs as one space),
// `words` (every character that is not a letter or digit as a space, padded, so " click here " matches whole
// words only) and `skeleton` (letters and digits only, so 未 承 諾・広 告 and 未承諾広告 read alike).

/** Characters that render as nothing: zero-width space/joiners, bidi marks, soft hyphen, word joiner, BOM… */
export function isInvisible(c: number): boolean {
  return (
    c === 0xad || c === 0x34f || c === 0x61c || c === 0x115f || c === 0x1160 || c === 0x17b4 || c === 0x17b5 ||
    (c >= 0x180b && c <= 0x180e) || (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x206f) || c === 0x3164 || c === 0xfeff || (c >= 0xfe00 && c <= 0xfe0f) || c === 0xffa0
  );
}

/** White space as \s knows it. */
function isWhite(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** A letter or digit (ASCII fast path; other code points by Unicode property). */
export function isWordCode(c: number): boolean {
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
  if (c >= 0x3041 && c <= 0x30ff) return c !== 0x30fb && c !== 0x30a0; // kana (the middle dot and ゠ are punctuation)
  if (c >= 0x3000 && c <= 0x303f) return c === 0x3005 || c === 0x3006 || c === 0x3007; // CJK punctuation, but 々 〆 〇
  if (c >= 0x4e00 && c <= 0x9fff) return true;
  return LETTER_OR_DIGIT.test(String.fromCodePoint(c));
}

/** Numeric character references (&#26410; &#x672A;) as the characters they name, in one pass. */
export function decodeNumericRefs(s: string): string {
  if (s.indexOf('&#') < 0) return s;
  let out = '';
  let pos = 0;
  for (let i = s.indexOf('&#'); i >= 0; i = s.indexOf('&#', i + 1)) {
    if (i < pos) continue;
    let j = i + 2;
    const hex = s.charCodeAt(j) === 0x78 || s.charCodeAt(j) === 0x58;
    if (hex) j++;
    const start = j;
    while (j < s.length && j - start < 7 && (hex ? /[0-9a-fA-F]/.test(s[j]) : s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39)) j++;
    if (j === start || s.charCodeAt(j) !== 0x3b) continue;
    const cp = parseInt(s.slice(start, j), hex ? 16 : 10);
    if (!(cp > 0 && cp < 0x110000) || (cp >= 0xd800 && cp <= 0xdfff)) continue;
    out += s.slice(pos, i) + String.fromCodePoint(cp);
    pos = j + 1;
  }
  return pos === 0 ? s : out + s.slice(pos);
}

export interface Views {
  folded: string;
  words: string;
  skeleton: string;
}

/** A code unit past ASCII (one native scan decides whether a text may take the ASCII paths below). */
const PAST_ASCII = /[^\x00-\x7f]/;
/**
 * Long texts lately found to hold ASCII only (or made from one: its fold, its views), newest last. fold, viewsOf,
 * the checks and the literal sets ask about the same text in turn; each would scan it again. Compared by content
 * (the same string object is one pointer test), so an answer is never about another text.
 */
const asciiSeen: string[] = [];
const ASCII_SEEN_MAX = 6;
const ASCII_SEEN_MIN_LENGTH = 256;

export function rememberAscii(s: string): void {
  if (s.length < ASCII_SEEN_MIN_LENGTH) return;
  asciiSeen.push(s);
  if (asciiSeen.length > ASCII_SEEN_MAX) asciiSeen.shift();
}

/** Whether a text has no code unit past ASCII. */
export function isAscii(s: string): boolean {
  if (s.length >= ASCII_SEEN_MIN_LENGTH) for (let i = asciiSeen.length - 1; i >= 0; i--) if (asciiSeen[i] === s) return true;
  if (PAST_ASCII.test(s)) return false;
  rememberAscii(s);
  return true;
}

/** The white space runs fold rewrites in ASCII text: all but a lone plain space (which stays as it is). */
const ASCII_WHITE_TO_FOLD = /[\t-\r][\t-\r ]*| [\t-\r ]+/g;

/** NFKC + lower case + invisible characters dropped + white space runs as one space. */
export function fold(text: string): string {
  return foldDecoded(decodeNumericRefs(text));
}

/** fold of a text whose numeric character references are already decoded. */
export function foldDecoded(d: string): string {
  // ASCII (most of most mail): NFKC changes nothing, nothing is invisible, white space is \t-\r and the space —
  // the same result as the walk below, by the engine's own case mapping and one regex replace
  if (isAscii(d)) {
    const out = d.toLowerCase().replace(ASCII_WHITE_TO_FOLD, ' ');
    rememberAscii(out);
    return out;
  }
  const t = d.normalize('NFKC').toLowerCase();
  let out = '';
  let from = 0; // kept characters not yet copied start here
  let space = false; // a run of white space is pending (written as one space before the next kept character)
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    // printable ASCII is kept: neither white space nor invisible; so are kana, kanji and the rest of U+3001–U+DFFF
    // (Japanese text, one test) but for U+3164 (Hangul filler, invisible) — the surrogate halves stay themselves
    if ((c > 0x20 && c < 0x7f) || (c > 0x3000 && c < 0xe000 && c !== 0x3164)) {
      if (space) {
        out += ' ';
        space = false;
      }
      continue;
    }
    // one plain space between two kept characters is copied as it is, inside the stretch (most of most mail)
    if (c === 0x20 && !space && i + 1 < t.length) {
      const d = t.charCodeAt(i + 1);
      if (d > 0x20 && d < 0x7f) continue;
    }
    if (isWhite(c)) {
      if (!space) out += t.slice(from, i);
      space = true;
      from = i + 1;
    } else if (isInvisible(c)) {
      out += t.slice(from, i);
      from = i + 1;
    } else if (space) {
      out += ' ';
      space = false;
    }
  }
  return out + (space ? ' ' : '') + t.slice(from);
}

/** 1 for the ASCII letters and digits. */
const ASCII_WORD = new Uint8Array(0x80).map((_, c) => (isWordCode(c) ? 1 : 0));

/** Kana (but ・ and ゠) and the CJK ideographs U+4E00–U+9FFF: letters that continue a Japanese run (isWordCode says so too). */
function isCjkWordUnit(c: number): boolean {
  return (c >= 0x3041 && c <= 0x30ff && c !== 0x30fb && c !== 0x30a0) || (c >= 0x4e00 && c <= 0x9fff);
}

/** The words and skeleton views of a folded text. */
export function viewsOf(folded: string): Views {
  if (isAscii(folded)) return asciiViews(folded);
  const words: string[] = [' '];
  let skeleton = '';
  let runStart = -1;
  let runCjk = false;
  // the words view is each run followed by one space: runs that `folded` already separates by exactly one space
  // are copied as one stretch (from copyFrom to the end of the last run), not run by run
  let copyFrom = -1;
  let lastEnd = -1;
  const n = folded.length;
  for (let i = 0; i <= n; i++) {
    // characters that change nothing are passed in a tight loop: ASCII letters and digits inside a Latin run,
    // other ASCII between runs
    if (runStart < 0) while (i < n && folded.charCodeAt(i) < 0x80 && ASCII_WORD[folded.charCodeAt(i)] === 0) i++;
    else if (!runCjk) while (i < n && folded.charCodeAt(i) < 0x80 && ASCII_WORD[folded.charCodeAt(i)] === 1) i++;
    else while (i < n && isCjkWordUnit(folded.charCodeAt(i))) i++; // kana and kanji inside a Japanese run
    let c = i < n ? folded.charCodeAt(i) : -1;
    if (c >= 0xd800 && c <= 0xdbff) c = folded.codePointAt(i)!; // a pair's code point (a lone high half stays itself)
    // ASCII (most of most mail) by table, without a call per character
    const word = c >= 0 && (c < 0x80 ? ASCII_WORD[c] === 1 : isWordCode(c));
    // a run ends at a non-word character, and where Latin meets Japanese/Chinese/Korean ("fxで稼ぐ" is "fx" and "で稼ぐ")
    if (runStart >= 0 && (!word || (c >= 0x2e80) !== runCjk)) {
      skeleton += folded.slice(runStart, i);
      lastEnd = i;
      runStart = -1;
    }
    if (word && runStart < 0) {
      if (copyFrom < 0) copyFrom = i;
      else if (!(i - lastEnd === 1 && folded.charCodeAt(lastEnd) === 0x20)) {
        words.push(folded.slice(copyFrom, lastEnd), ' ');
        copyFrom = i;
      }
      runStart = i;
      runCjk = c >= 0x2e80;
    }
    if (c > 0xffff) i++;
  }
  if (copyFrom >= 0) words.push(folded.slice(copyFrom, lastEnd), ' ');
  return { folded, words: words.join(''), skeleton };
}

/**
 * asciiViews' and asciiFoldedViews' bytes; grows to 4 × the longest text seen and stays. Bounded: the texts are
 * capped at RULE_SCAN_CHARS before fold, which makes at most four ASCII characters of one (NFKC: Ⅷ → viii), so 4 MiB
 * at most per thread (1 MiB after a long ASCII body; test/spam/rules-reload.test.ts reads a short message's views
 * after a long one).
 */
let scratch = Buffer.allocUnsafeSlow(0);
/** The same bytes as a plain Uint8Array: V8 reads and writes its elements faster in a hot loop than a Buffer's. */
let scratchBytes = new Uint8Array(0);
/** An ASCII code unit in lower case (A–Z as a–z, everything else as itself). */
const ASCII_LOWER = new Uint8Array(0x80).map((_, c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c));
/** 1 for the white space fold turns into one space in ASCII text: \t–\r and the space. */
const ASCII_WHITE = new Uint8Array(0x80).map((_, c) => (c === 0x20 || (c >= 0x09 && c <= 0x0d) ? 1 : 0));

/**
 * viewsOf(fold(text)): the three views a rule reads of a text. For a text of ASCII only (most of most mail) in one
 * pass over its bytes — the fold (lower case, each white space run as one space), the words and the skeleton
 * together — instead of a regex replace for the fold and a second walk for the views: the same three strings.
 */
export function foldedViews(text: string): Views {
  const d = decodeNumericRefs(text);
  return isAscii(d) ? asciiFoldedViews(d) : viewsOf(foldDecoded(d));
}

export function asciiFoldedViews(d: string): Views {
  const n = d.length;
  if (scratch.length < 4 * n + 2) scratch = Buffer.allocUnsafeSlow(Math.max(4 * n + 2, 4096));
  if (scratchBytes.buffer !== scratch.buffer) scratchBytes = new Uint8Array(scratch.buffer, scratch.byteOffset, scratch.length);
  const b = scratchBytes;
  scratch.write(d, 0, n, 'latin1'); // the text at [0, n); the fold at [n, 2n), the words at [2n, 3n + 2), the skeleton after
  const lower = ASCII_LOWER;
  const white = ASCII_WHITE;
  const word = ASCII_WORD;
  let f = n;
  let w = 2 * n;
  let k = 3 * n + 2;
  b[w++] = 0x20;
  let inWhite = 0;
  let inRun = 0;
  // without a branch per character (letters and spaces alternate as the text pleases, and a mispredicted branch
  // costs more than the stores): each byte is stored and the position moved on only when it counts
  for (let i = 0; i < n; i++) {
    const c = lower[b[i]];
    const ws = white[c];
    b[f] = ws === 1 ? 0x20 : c; // a white space run is one space: its first byte, as a space
    f += 1 - (ws & inWhite);
    inWhite = ws;
    const isWord = word[c];
    b[w] = isWord === 1 ? c : 0x20; // a word's letter, or the one space after its run
    w += isWord | inRun;
    b[k] = c;
    k += isWord;
    inRun = isWord;
  }
  if (inRun === 1) b[w++] = 0x20;
  const v = { folded: scratch.toString('latin1', n, f), words: scratch.toString('latin1', 2 * n, w), skeleton: scratch.toString('latin1', 3 * n + 2, k) };
  rememberAscii(v.folded);
  rememberAscii(v.words);
  rememberAscii(v.skeleton);
  return v;
}

/**
 * viewsOf for a text of ASCII only, byte by byte into two buffers: every run is Latin, so the runs are the maximal
 * stretches of letters and digits — the same two strings as the walk above, without a string per run.
 */
function asciiViews(folded: string): Views {
  const n = folded.length;
  // three stretches of one scratch buffer kept between calls (the walk is synchronous, and the strings made at the
  // end are copies), not three new buffers per view: a 5 KB body's were a tenth of the analysis with the GC they fed
  if (scratch.length < 3 * n + 2) scratch = Buffer.allocUnsafeSlow(Math.max(3 * n + 2, 4096));
  const src = scratch.subarray(0, n); // read as bytes: faster than charCodeAt on a long string
  src.write(folded, 0, n, 'latin1');
  const words = scratch.subarray(n, 2 * n + 2); // " " + the runs, each followed by one space: at most n + 2 bytes
  const skeleton = scratch.subarray(2 * n + 2, 3 * n + 2);
  let w = 0;
  let k = 0;
  let inRun = false;
  words[w++] = 0x20;
  for (let i = 0; i < n; i++) {
    const c = src[i];
    if (ASCII_WORD[c] === 1) {
      words[w++] = c;
      skeleton[k++] = c;
      inRun = true;
    } else if (inRun) {
      words[w++] = 0x20;
      inRun = false;
    }
  }
  if (inRun) words[w++] = 0x20;
  const v = { folded, words: words.toString('latin1', 0, w), skeleton: skeleton.toString('latin1', 0, k) };
  rememberAscii(v.words);
  rememberAscii(v.skeleton);
  return v;
}

/** A literal as written in a rule, put into the view it is matched in. */
export type LiteralView = 'folded' | 'words' | 'skeleton';

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/**
 * Where a literal is looked for: one with Japanese, Chinese or Korean in it in the skeleton (spacing and
 * punctuation between its characters do not hide it); one with letters or digits in the words view (whole words);
 * one of signs only ("$$$", "!!!") in the folded text.
 */
export function literalView(lit: string): { view: LiteralView; needle: string } {
  const f = fold(lit).trim();
  if (CJK.test(f)) return { view: 'skeleton', needle: viewsOf(f).skeleton };
  const v = viewsOf(f);
  if (v.skeleton.length) return { view: 'words', needle: v.words };
  return { view: 'folded', needle: f };
}
