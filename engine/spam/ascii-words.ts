// The word scans of the Bayes tokeniser (tokenise.ts) for a text of ASCII only — most of most mail, and all of a
// long plain-text body — as plain loops over its code units: the same words, in the same order, as the general
// scans give (wordsOf's two generators, capsTokens' Unicode regex), which cost 1.1 and 0.5 ms on a 64 KiB body.
// test/spam/ascii-words.test.ts holds each against the general one.

/** Whether a text has no code unit past ASCII (its UTF-8 length is its length; a native count). */
export function isAsciiText(s: string): boolean {
  return Buffer.byteLength(s, 'utf8') === s.length;
}

/** ASCII characters in a word run: 1 = may start one (letter, digit, "$"), 2 = only inside one (' . _ @ -). */
export const ASCII_RUN = new Uint8Array(128);
/** 1 for the ASCII letters and digits. */
const ALNUM = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  ASCII_RUN[c] = /[A-Za-z0-9$]/.test(ch) ? 1 : /['._@-]/.test(ch) ? 2 : 0;
  ALNUM[c] = /[A-Za-z0-9]/.test(ch) ? 1 : 0;
}

/**
 * wordsOf (tokenise.ts) for a text of ASCII only: each run of letters, digits and ' . _ @ - $ that starts with a
 * letter, digit or "$" gives the stretch from each start (a letter, digit or "$") to the run's last letter or digit,
 * or that start alone when no letter or digit follows it. `visit` gets each word in order, as [start, end) of t (the
 * caller slices only the words it keeps); false stops the scan.
 */
export function forEachAsciiWord(t: string, visit: (start: number, end: number) => boolean): void {
  const n = t.length;
  let i = 0;
  while (i < n) {
    while (i < n && ASCII_RUN[t.charCodeAt(i)] !== 1) i++;
    if (i >= n) return;
    const start = i;
    let lastAlnum = ALNUM[t.charCodeAt(i)] === 1 ? i + 1 : -1; // just past the run's last letter or digit
    for (i++; i < n; i++) {
      const d = t.charCodeAt(i);
      if (ASCII_RUN[d] === 0) break;
      if (ALNUM[d] === 1) lastAlnum = i + 1;
    }
    // most runs are a plain word: a letter or digit at both ends
    if (lastAlnum === i && ALNUM[t.charCodeAt(start)] === 1) {
      if (!visit(start, i)) return;
      continue;
    }
    for (let p = start; p < i; ) {
      const c = t.charCodeAt(p);
      if (ALNUM[c] !== 1 && c !== 0x24) p++;
      else if (lastAlnum > p + 1) {
        if (!visit(p, lastAlnum)) return;
        p = lastAlnum;
      } else {
        if (!visit(p, p + 1)) return;
        p++;
      }
    }
  }
}

const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/**
 * The matches of capsTokens' /(?<![\p{L}\p{N}])\p{L}{3,}(?![\p{L}\p{N}])/gu in a text of ASCII only: each whole run
 * of three or more letters with no letter or digit on either side, as [start, end) and whether it has no lower-case
 * letter. `visit` false stops the scan.
 */
export function forEachAsciiLetterWord(t: string, visit: (start: number, end: number, upper: boolean) => boolean): void {
  const n = t.length;
  let i = 0;
  while (i < n) {
    const c = t.charCodeAt(i);
    if (!isLetter(c)) {
      i++;
      continue;
    }
    const start = i;
    let lower = 0;
    for (; i < n; i++) {
      const d = t.charCodeAt(i);
      if (d >= 0x61 && d <= 0x7a) lower++;
      else if (d < 0x41 || d > 0x5a) break;
    }
    // a digit on either side (a letter cannot be: the run is whole) makes it no match
    if (i - start < 3 || (start > 0 && ALNUM[t.charCodeAt(start - 1)] === 1) || (i < n && ALNUM[t.charCodeAt(i)] === 1)) continue;
    if (!visit(start, i, lower === 0)) return;
  }
}
