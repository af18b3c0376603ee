// The body's match views with the rule set's words-view literals found in the same pass (issue 16, the 100 KB
// path). For a body of ASCII only, one loop over its bytes makes the folded text and steps the words-view
// automaton over the words view as it would read it, without writing the words view down; the words and skeleton
// strings are made only if something asks for them (a rule with `unless_near`, a check reading the skeleton of a
// text that may hold Japanese). Same strings, same literals found as foldedViews and LiteralSet.search: each
// literal is looked for in the same code units by the same table (test/spam/body-views).
import type { LiteralSet } from './aho.js';
import { asciiFoldedViews, decodeNumericRefs, foldDecoded, isAscii, rememberAscii, viewsOf, type Views } from './normalise.js';

/** A body of ASCII only: its folded text, the words-view literals of one set found in it, the other views on demand. */
export class BodyViews implements Views {
  readonly folded: string;
  /** The set searched in the words view while folding, and the ids of its literals found there. */
  readonly searched: LiteralSet;
  readonly found: Set<number>;
  /** The decoded text the views are of (numeric character references decoded; ASCII only). */
  private readonly source: string;
  private wordsView: string | null = null;
  private skeletonView: string | null = null;

  constructor(source: string, folded: string, searched: LiteralSet, found: Set<number>) {
    this.source = source;
    this.folded = folded;
    this.searched = searched;
    this.found = found;
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

/** The text's bytes and its fold, kept between calls (grows to 2 × the longest body; bodies are capped before). */
let scratch = Buffer.allocUnsafeSlow(0);
let scratchBytes = new Uint8Array(0);

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
  if (scratch.length < 2 * n) scratch = Buffer.allocUnsafeSlow(Math.max(2 * n, 4096));
  if (scratchBytes.buffer !== scratch.buffer) scratchBytes = new Uint8Array(scratch.buffer, scratch.byteOffset, scratch.length);
  const b = scratchBytes;
  scratch.write(d, 0, n, 'latin1'); // the text at [0, n), its fold at [n, 2n)
  const { table, wordClass } = scan;
  const found = new Set<number>();
  set!.beginScan();
  // the words view starts with a space
  let row = table[wordClass[0x20]];
  if (row < 0) {
    row = -row - 1;
    set!.reportRow(row, found);
  }
  let f = n;
  let inWhite = 0;
  let inRun = 0;
  for (let i = 0; i < n; i++) {
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
        set!.reportRow(row, found);
      }
    }
    inRun = isWord;
  }
  if (inRun === 1) {
    const v = table[row + wordClass[0x20]];
    if (v < 0) set!.reportRow(-v - 1, found);
  }
  const folded = scratch.toString('latin1', n, f);
  rememberAscii(folded);
  return new BodyViews(d, folded, set!, found);
}
