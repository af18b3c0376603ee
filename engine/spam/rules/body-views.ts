// The body's match views with the rule set's words-view literals found in the same pass (issue 16, the 100 KB
// path). For a body of ASCII only, one loop over its bytes makes the folded text and steps the words-view
// automaton over the words view as it would read it, without writing the words view down; the words and skeleton
// strings are made only if something asks for them (a rule with `unless_near`, a check reading the skeleton of a
// text that may hold Japanese). Same strings, same literals found as foldedViews and LiteralSet.search: each
// literal is looked for in the same code units by the same table (test/spam/body-views).
import type { LiteralSet } from './aho.js';
import { DRUG_SET, LEET } from './drugs.js';
import { asciiFoldedViews, decodeNumericRefs, foldDecoded, isAscii, rememberAscii, viewsOf, type Views } from './normalise.js';

/** A body of ASCII only: its folded text, the words-view literals of one set found in it, the other views on demand. */
export class BodyViews implements Views {
  readonly folded: string;
  /** The set searched in the words view while folding, and the ids of its literals found there. */
  readonly searched: LiteralSet;
  readonly found: Set<number>;
  /**
   * Whether the checks' own scans could hit (checks.ts): three single letters in a row, each its own word
   * (spaced_letters' "f r e e c a s h" has at least three between its first and last), and a word whose letters,
   * signs read as letters and the rest dropped, spell a drug (pharma_obfuscated). False: the check cannot hit.
   */
  readonly maySpaced: boolean;
  readonly mayDrug: boolean;
  /** The decoded text the views are of (numeric character references decoded; ASCII only). */
  private readonly source: string;
  private wordsView: string | null = null;
  private skeletonView: string | null = null;

  constructor(source: string, folded: string, searched: LiteralSet, found: Set<number>, maySpaced: boolean, mayDrug: boolean) {
    this.source = source;
    this.folded = folded;
    this.searched = searched;
    this.found = found;
    this.maySpaced = maySpaced;
    this.mayDrug = mayDrug;
  }

  get words(): string {
    if (this.wordsView === null) this.fill();
    return this.wordsView!;
  }

  get skeleton(): string {
    if (this.skeletonView === null) this.fill();
    return this.skeletonView!;
  }

  private fill(): void {
    const v = asciiFoldedViews(this.source);
    this.wordsView = v.words;
    this.skeletonView = v.skeleton;
  }
}

/** Whether a view's text is known to hold nothing past ASCII without making it (a BodyViews' skeleton and words). */
export function asciiBody(v: Views): boolean {
  return v instanceof BodyViews;
}

/** Each set's classes for the words view's code units: a letter or digit as itself, any other byte as a space. */
const scans = new WeakMap<LiteralSet, { table: Int32Array; classes: number; wordClass: Int32Array } | null>();

function scanOf(set: LiteralSet): { table: Int32Array; classes: number; wordClass: Int32Array } | null {
  let s = scans.get(set);
  if (s === undefined) {
    const a = set.asciiScan();
    if (a === null) s = null;
    else {
      const wordClass = new Int32Array(0x80);
      for (let c = 0; c < 0x80; c++) wordClass[c] = WORD[LOWER[c]] === 1 ? a.classOf[LOWER[c]] : a.classOf[0x20];
      s = { table: a.table, classes: a.classes, wordClass };
    }
    scans.set(set, s);
  }
  return s;
}

/** An ASCII code unit in lower case. */
const LOWER = new Uint8Array(0x80).map((_, c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c));
/** 1 for \t–\r and the space: the white space fold turns into one space in ASCII text. */
const WHITE = new Uint8Array(0x80).map((_, c) => (c === 0x20 || (c >= 0x09 && c <= 0x0d) ? 1 : 0));
/** 1 for the ASCII letters and digits (normalise.ts isWordCode). */
const WORD = new Uint8Array(0x80).map((_, c) => ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) ? 1 : 0));

/**
 * The drug names' automaton (drugs.ts) over the letters a word spells: each ASCII byte's class — a letter, or a sign
 * LEET reads as one, as that letter; white space as class 0 (back to the start: a new word); DROPPED for the rest,
 * which the reading skips (pharma_obfuscated's DRUG_STRETCH, without its bound on how many).
 */
const DROPPED = -1;
const DRUG_SCAN = (() => {
  const a = DRUG_SET.asciiScan()!;
  const cls = new Int32Array(0x80);
  for (let c = 0; c < 0x80; c++) {
    const l = LOWER[c];
    const ch = String.fromCharCode(l);
    const m = LEET[ch] ?? ch;
    cls[c] = WHITE[l] === 1 ? 0 : m >= 'a' && m <= 'z' ? a.classOf[m.charCodeAt(0)] : DROPPED;
  }
  return { table: a.table, cls };
})();

/** The text's bytes and its fold, kept between calls (grows to 2 × the longest body; bodies are capped before). */
let scratch = Buffer.allocUnsafeSlow(0);
let scratchBytes = new Uint8Array(0);

/** The scan's state between chunks (one object, reused: a scan is synchronous). */
const st = { row: 0, f: 0, inWhite: 0, inRun: 0, runLen: 0, letter: 0, singles: 0, spaced: false, drugRow: 0, drug: false };
/** Bytes per call of foldChunk. */
const CHUNK = 4096;

/**
 * foldedViews(text), with `set`'s literals in the words view found on the way when the text is ASCII and the set
 * is searched by its full table; otherwise foldedViews' own views (the caller searches them as before).
 */
export function bodyViews(text: string, set: LiteralSet | null): Views {
  const d = decodeNumericRefs(text);
  if (!isAscii(d)) return viewsOf(foldDecoded(d));
  const scan = set === null ? null : scanOf(set);
  if (scan === null) return asciiFoldedViews(d);
  const n = d.length;
  if (scratch.length < 2 * n + 2) {
    scratch = Buffer.allocUnsafeSlow(Math.max(2 * n + 2, 4096));
    scratchBytes = new Uint8Array(scratch.buffer, scratch.byteOffset, scratch.length);
  }
  // the text at [0, n) and a space after it (the words view's last space comes from it: no step after the loop),
  // its fold from n + 1 on
  scratch.write(d, 0, n, 'latin1');
  const b = scratchBytes;
  b[n] = 0x20;
  const found = new Set<number>();
  set!.beginScan();
  // the words view starts with a space
  let row = scan.table[scan.wordClass[0x20]];
  if (row < 0) {
    row = -row - 1;
    set!.reportRow(row, found);
  }
  st.row = row;
  st.f = n + 1;
  st.inWhite = st.inRun = st.runLen = st.letter = st.singles = st.drugRow = 0;
  st.spaced = st.drug = false;
  // in chunks, so that the loop's function is optimised by its calls: a long loop is compiled on stack replacement,
  // and V8 kept entering and throwing away that code at every call once a path the warm-up never took was taken
  // (a body cut inside a word after small ones had warmed it up: "insufficient type feedback")
  for (let from = 0; from <= n; from += CHUNK) foldChunk(b, from, Math.min(n + 1, from + CHUNK), scan.table, scan.wordClass, set!, found);
  // the added space is in the fold only if the text did not end in white space
  const end = st.f - (n > 0 && WHITE[LOWER[b[n - 1]]] === 1 ? 0 : 1);
  const folded = scratch.toString('latin1', n + 1, end);
  rememberAscii(folded);
  return new BodyViews(d, folded, set!, found, st.spaced, st.drug);
}

/** The scan over b[from, to): the fold into b from st.f on, the words-view literals into `found`, the checks' flags. */
function foldChunk(b: Uint8Array, from: number, to: number, table: Int32Array, wordClass: Int32Array, set: LiteralSet, found: Set<number>): void {
  let { row, f, inWhite, inRun, runLen, letter, singles, spaced, drugRow, drug } = st;
  const drugTable = DRUG_SCAN.table;
  const drugCls = DRUG_SCAN.cls;
  for (let i = from; i < to; i++) {
    const c = LOWER[b[i]];
    const ws = WHITE[c];
    b[f] = ws === 1 ? 0x20 : c; // the fold: a white space run is one space (asciiFoldedViews' loop)
    f += 1 - (ws & inWhite);
    inWhite = ws;
    const isWord = WORD[c];
    // the words view has a letter or digit as itself and one space after each run: the automaton reads those
    if ((isWord | inRun) === 1) {
      const v = table[row + wordClass[c]];
      if (v >= 0) row = v;
      else {
        row = -v - 1;
        set.reportRow(row, found);
      }
      if (isWord === 1) {
        runLen++;
        letter = c >= 0x61 ? 1 : 0;
      } else {
        // a run ends (spaced_letters): one letter alone extends the count, anything else starts it again
        singles = runLen === 1 && letter === 1 ? singles + 1 : 0;
        if (singles >= 3) spaced = true;
        runLen = 0;
      }
    }
    // pharma_obfuscated: the drug automaton over the letters words spell
    const dc = drugCls[c];
    if (dc !== DROPPED) {
      const dv = drugTable[drugRow + dc];
      if (dv >= 0) drugRow = dv;
      else {
        drug = true;
        drugRow = -dv - 1;
      }
    }
    inRun = isWord;
  }
  st.row = row;
  st.f = f;
  st.inWhite = inWhite;
  st.inRun = inRun;
  st.runLen = runLen;
  st.letter = letter;
  st.singles = singles;
  st.spaced = spaced;
  st.drugRow = drugRow;
  st.drug = drug;
}
