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

/**
 * A set's table for the fused scan: the full table (aho.ts) widened by one column, IDLE, whose entry in every row is
 * that row (the automaton stays put), so that a byte the words view does not have (white space or a sign after
 * another) is a step like any other and the loop has no branch on it. Rows are state × (classes + 1); a negative
 * entry is -row - 1 of a state some literal ends at, as in the set's own table. `cls[inRun << 7 | byte]`: a letter or
 * digit's own class, any other byte the space's class right after a run and IDLE otherwise. The widened table is a
 * copy (~440 KB for the shipped body literals), made once per rule set and dropped with it.
 */
interface WordsScan {
  table: Int32Array;
  /** The set's own row width: reportRow takes state × classes. */
  classes: number;
  width: number;
  cls: Int32Array;
}

const scans = new WeakMap<LiteralSet, WordsScan | null>();

/** A full table of `k` classes widened by the IDLE column (class `k`): entries renumbered to rows of k + 1. */
function widened(table: Int32Array, k: number): Int32Array {
  const w = k + 1;
  const states = table.length / k;
  const out = new Int32Array(states * w);
  for (let s = 0; s < states; s++) {
    for (let c = 0; c < k; c++) {
      const v = table[s * k + c];
      out[s * w + c] = v >= 0 ? (v / k) * w : -((-v - 1) / k) * w - 1;
    }
    out[s * w + k] = s * w;
  }
  return out;
}

function scanOf(set: LiteralSet): WordsScan | null {
  let s = scans.get(set);
  if (s === undefined) {
    const a = set.asciiScan();
    if (a === null) s = null;
    else {
      const cls = new Int32Array(0x100);
      for (let c = 0; c < 0x80; c++) {
        const word = WORD[c] === 1;
        cls[c] = word ? a.classOf[LOWER[c]] : a.classes; // not in a run: a sign or white space leaves the state
        cls[0x80 | c] = word ? a.classOf[LOWER[c]] : a.classOf[0x20]; // right after a run: the words view's space
      }
      s = { table: widened(a.table, a.classes), classes: a.classes, width: a.classes + 1, cls };
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
/** The fold of one ASCII byte: white space as the space, a capital in lower case (the fold's run of spaces is f's). */
const FOLD = new Uint8Array(0x80).map((_, c) => (WHITE[c] === 1 ? 0x20 : LOWER[c]));

/**
 * spaced_letters' flag as a small automaton over each byte's kind (0 not a letter or digit, 1 a letter, 2 a digit):
 * state = singles × 4 + run, run 0 outside a word, 1 in a word of one letter so far, 2 of one digit so far, 3 longer;
 * singles (0–3) counts the words of one letter in a row, and 3 stays (three seen: the check may hit). Kept
 * premultiplied by 3 (the kinds) so a step is one load: SPACED[state + kind].
 */
const SPACED = (() => {
  const t = new Int32Array(16 * 3);
  for (let singles = 0; singles < 4; singles++) {
    for (let run = 0; run < 4; run++) {
      const at = (singles * 4 + run) * 3;
      const to = (sg: number, r: number) => (sg >= 3 ? 12 : (sg * 4 + r)) * 3;
      t[at] = run === 0 ? to(singles, 0) : to(run === 1 ? singles + 1 : 0, 0); // a run ends: one letter alone counts
      t[at + 1] = to(singles, run === 0 ? 1 : 3);
      t[at + 2] = to(singles, run === 0 ? 2 : 3);
      if (singles >= 3) t[at] = t[at + 1] = t[at + 2] = 12 * 3;
    }
  }
  return t;
})();
/** SPACED's state from which spaced_letters may hit. */
const SPACED_SEEN = 12 * 3;
const KIND = new Int32Array(0x80).map((_, c) => (WORD[c] === 0 ? 0 : LOWER[c] >= 0x61 ? 1 : 2));

/**
 * The drug names' automaton (drugs.ts) over the letters a word spells: each ASCII byte's class — a letter, or a sign
 * LEET reads as one, as that letter; white space as class 0 (back to the start: a new word); the widened table's
 * IDLE column for the rest, which the reading skips (pharma_obfuscated's DRUG_STRETCH, without its bound on how
 * many).
 */
const DRUG_SCAN = (() => {
  const a = DRUG_SET.asciiScan()!;
  const cls = new Int32Array(0x80);
  for (let c = 0; c < 0x80; c++) {
    const l = LOWER[c];
    const ch = String.fromCharCode(l);
    const m = LEET[ch] ?? ch;
    cls[c] = WHITE[l] === 1 ? 0 : m >= 'a' && m <= 'z' ? a.classOf[m.charCodeAt(0)] : a.classes;
  }
  return { table: widened(a.table, a.classes), cls };
})();

/** The text's bytes and its fold, kept between calls (grows to 2 × the longest body; bodies are capped before). */
let scratch = Buffer.allocUnsafeSlow(0);
let scratchBytes = new Uint8Array(0);

/** The scan's state between chunks (one object, reused: a scan is synchronous). */
const st = { row: 0, f: 0, inWhite: 0, inRun: 0, spacedState: 0, drugRow: 0, drug: false };
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
  let row = scan.table[scan.cls[0x80 | 0x20]];
  if (row < 0) {
    row = -row - 1;
    set!.reportRow((row / scan.width) * scan.classes, found);
  }
  st.row = row;
  st.f = n + 1;
  st.inWhite = st.inRun = st.spacedState = st.drugRow = 0;
  st.drug = false;
  // in chunks, so that the loop's function is optimised by its calls: a long loop is compiled on stack replacement,
  // and V8 kept entering and throwing away that code at every call once a path the warm-up never took was taken
  // (a body cut inside a word after small ones had warmed it up: "insufficient type feedback")
  for (let from = 0; from <= n; from += CHUNK) foldChunk(b, from, Math.min(n + 1, from + CHUNK), scan, set!, found);
  // the added space is in the fold only if the text did not end in white space
  const end = st.f - (n > 0 && WHITE[LOWER[b[n - 1]]] === 1 ? 0 : 1);
  const folded = scratch.toString('latin1', n + 1, end);
  rememberAscii(folded);
  return new BodyViews(d, folded, set!, found, st.spacedState === SPACED_SEEN, st.drug);
}

/**
 * The scan over b[from, to): the fold into b from st.f on, the words-view literals into `found`, the checks' flags.
 * Every byte takes the same steps (the automata's IDLE columns, SPACED's table): no branch but on a literal's or a
 * drug's end, which is rare, so the loop runs at the speed of its table loads instead of mispredicting at every
 * word's edge (sixteenth round).
 */
function foldChunk(b: Uint8Array, from: number, to: number, scan: WordsScan, set: LiteralSet, found: Set<number>): void {
  let { row, f, inWhite, inRun, spacedState, drugRow, drug } = st;
  const table = scan.table;
  const cls = scan.cls;
  const drugTable = DRUG_SCAN.table;
  const drugCls = DRUG_SCAN.cls;
  const white = WHITE;
  const fold = FOLD;
  const spaced = SPACED;
  const kind = KIND;
  const word = WORD;
  for (let i = from; i < to; i++) {
    const c = b[i];
    const ws = white[c];
    b[f] = fold[c]; // the fold: a white space run is one space (asciiFoldedViews' loop)
    f += 1 - (ws & inWhite);
    inWhite = ws;
    // the words view has a letter or digit as itself and one space after each run: the automaton reads those
    const v = table[row + cls[(inRun << 7) | c]];
    row = v;
    if (v < 0) {
      row = -v - 1;
      set.reportRow((row / scan.width) * scan.classes, found);
    }
    // spaced_letters: three words of one letter in a row
    spacedState = spaced[spacedState + kind[c]];
    // pharma_obfuscated: the drug automaton over the letters words spell
    const dv = drugTable[drugRow + drugCls[c]];
    drugRow = dv;
    if (dv < 0) {
      drug = true;
      drugRow = -dv - 1;
    }
    inRun = word[c];
  }
  st.row = row;
  st.f = f;
  st.inWhite = inWhite;
  st.inRun = inRun;
  st.spacedState = spacedState;
  st.drugRow = drugRow;
  st.drug = drug;
}
