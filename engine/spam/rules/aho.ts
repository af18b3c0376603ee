// Aho–Corasick: every literal of a rule set found in one pass over a text, in time linear in the text plus the
// automaton (no pattern is ever retried from another position). Built once per rule set; a search only reads the
// automaton. It reports which literals occur, never where or how often.
import { isAscii } from './normalise.js';

/** Above this many transitions a state's are binary-searched rather than scanned. */
const SCAN_DEGREE = 8;
/** The most cells (states × character classes) of a full transition table; a larger automaton keeps sparse ones. */
const TABLE_CELLS = 1 << 18;
/** A code unit past ASCII. */
const PAST_ASCII = /[^\x00-\x7f]/;

export class LiteralSet {
  /** State s's transitions are chars[first[s] .. first[s + 1]) (sorted by code unit), to targets at the same index. */
  private readonly first: Int32Array;
  private readonly chars: Uint16Array;
  private readonly targets: Int32Array;
  /** The start state's transitions for every UTF-16 code unit (0: stay at the start), when it has many. */
  private readonly rootTable: Int32Array | null;
  /**
   * When the automaton is small enough, every transition resolved in advance (fail links included): a code unit's
   * class (0 for one no literal has) and table[row + class] the next state's row (state × classes), or, when a
   * literal ends at or below that state, -(row + 1): a search adds nothing per character but one load.
   */
  private readonly classOf: Uint16Array | null = null;
  private readonly table: Int32Array | null = null;
  private readonly classes: number = 0;
  /** The first state on s's output chain (s itself when a literal ends there), or -1. */
  private readonly outLink: Int32Array;
  private readonly fail: Int32Array;
  /** The nearest state on the fail chain (itself excluded) that ends a literal, or -1. */
  private readonly dictLink: Int32Array;
  /** Literal ids ending exactly at each state (empty for most). */
  private readonly ends: number[][];
  /** Per search, the states whose output chain was walked (stamped with the search's number; searches never nest). */
  private readonly walked: Uint32Array;
  private stamp = 0;
  readonly size: number;
  /** The one literal of a set of one (found by indexOf, the engine's own string search). */
  private readonly only: string | null;
  /** Every literal has a code unit past ASCII (Japanese ones): a text of ASCII only holds none of them. */
  private readonly pastAscii: boolean;

  constructor(literals: readonly string[]) {
    this.size = literals.length;
    this.only = literals.length === 1 && literals[0].length > 0 ? literals[0] : null;
    this.pastAscii = literals.length > 0 && literals.every((l) => l.length === 0 || PAST_ASCII.test(l));
    const next: Map<number, number>[] = [new Map()];
    const ends: number[][] = [[]];
    literals.forEach((lit, id) => {
      let s = 0;
      for (let i = 0; i < lit.length; i++) {
        const c = lit.charCodeAt(i);
        let t = next[s].get(c);
        if (t === undefined) {
          t = next.length;
          next.push(new Map());
          ends.push([]);
          next[s].set(c, t);
        }
        s = t;
      }
      if (lit.length) ends[s].push(id);
    });
    const n = next.length;
    this.ends = ends;
    this.fail = new Int32Array(n);
    this.dictLink = new Int32Array(n).fill(-1);
    this.walked = new Uint32Array(n);
    // breadth first: a state's fail link is known before its children's
    const queue: number[] = [];
    for (const t of next[0].values()) queue.push(t);
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi];
      for (const [c, t] of next[s]) {
        let f = this.fail[s];
        while (f !== 0 && !next[f].has(c)) f = this.fail[f];
        const g = next[f].get(c);
        this.fail[t] = g !== undefined && g !== t ? g : 0;
        const ft = this.fail[t];
        this.dictLink[t] = ends[ft].length ? ft : this.dictLink[ft];
        queue.push(t);
      }
    }
    // the transitions as flat sorted arrays: a search reads typed arrays, not a Map per character
    this.first = new Int32Array(n + 1);
    let edges = 0;
    for (let s = 0; s < n; s++) edges += next[s].size;
    this.chars = new Uint16Array(edges);
    this.targets = new Int32Array(edges);
    let at = 0;
    for (let s = 0; s < n; s++) {
      this.first[s] = at;
      for (const [c, t] of [...next[s]].sort((a, b) => a[0] - b[0])) {
        this.chars[at] = c;
        this.targets[at++] = t;
      }
    }
    this.first[n] = at;
    this.outLink = new Int32Array(n);
    for (let s = 0; s < n; s++) this.outLink[s] = ends[s].length ? s : this.dictLink[s];
    const used = new Map<number, number>();
    for (let i = 0; i < edges; i++) if (!used.has(this.chars[i])) used.set(this.chars[i], used.size + 1);
    if (n * (used.size + 1) <= TABLE_CELLS) {
      const k = used.size + 1;
      const classOf = new Uint16Array(0x10000);
      for (const [c, cls] of used) classOf[c] = cls;
      const table = new Int32Array(n * k); // class 0, and any class the start state lacks: back to the start
      for (const [c, t] of next[0]) table[classOf[c]] = t;
      // breadth first: a state's fail state (shallower) has its row filled before the state's own
      for (const s of queue) {
        const f = this.fail[s];
        for (let cls = 1; cls < k; cls++) table[s * k + cls] = table[f * k + cls];
        for (const [c, t] of next[s]) table[s * k + classOf[c]] = t;
      }
      this.classOf = classOf;
      for (let i = 0; i < table.length; i++) table[i] = this.outLink[table[i]] > 0 ? -(table[i] * k) - 1 : table[i] * k;
      this.table = table;
      this.classes = k;
    }
    if (next[0].size > SCAN_DEGREE) {
      this.rootTable = new Int32Array(0x10000);
      for (const [c, t] of next[0]) this.rootTable[c] = t;
    } else this.rootTable = null;
  }

  /** Whether every literal has a code unit past ASCII: a text of ASCII only holds none of them. */
  get allPastAscii(): boolean {
    return this.pastAscii;
  }

  /**
   * What a scan fused into another loop over ASCII bytes needs (engine/spam/rules/body-views.ts): the full table, its
   * width and each ASCII byte's class; null when this set is searched another way (one literal, no full table, or
   * literals that ASCII text cannot hold). Such a scan starts with beginScan() and hands each negative table entry to
   * reportRow(): the same steps and reports as search() over the same code units.
   */
  asciiScan(): { table: Int32Array; classes: number; classOf: Int32Array } | null {
    if (this.table === null || this.only !== null || this.pastAscii || this.size === 0) return null;
    const classOf = new Int32Array(0x80);
    for (let c = 0; c < 0x80; c++) classOf[c] = this.classOf![c];
    return { table: this.table, classes: this.classes, classOf };
  }

  /** A new search's stamp (each state's output chain is walked at most once per search). */
  beginScan(): void {
    if (++this.stamp === 0xffffffff) {
      this.walked.fill(0);
      this.stamp = 1;
    }
  }

  /** The literals ending at the state of table row `row` (from a negative table entry: -entry - 1), into `found`. */
  reportRow(row: number, found: Set<number>): void {
    const stamp = this.stamp;
    for (let o = this.outLink[row / this.classes]; o > 0 && this.walked[o] !== stamp; o = this.dictLink[o]) {
      this.walked[o] = stamp;
      for (const id of this.ends[o]) found.add(id);
    }
  }

  /** The state reached from s on code unit c, or -1 when s has no such transition. */
  private step(s: number, c: number): number {
    if (s === 0 && this.rootTable !== null) return this.rootTable[c] || -1;
    let lo = this.first[s];
    let hi = this.first[s + 1];
    if (hi - lo <= SCAN_DEGREE) {
      for (; lo < hi; lo++) if (this.chars[lo] === c) return this.targets[lo];
      return -1;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.chars[mid];
      if (m === c) return this.targets[mid];
      if (m < c) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /**
   * The ids of the literals that occur in `text` (each once). `found` may be passed to collect into (ids are
   * added). Each state's output chain is walked at most once per search, so the cost stays linear.
   */
  search(text: string, found: Set<number> = new Set()): Set<number> {
    if (this.size === 0 || text.length === 0) return found;
    if (this.only !== null) {
      if (text.indexOf(this.only) >= 0) found.add(0);
      return found;
    }
    if (this.pastAscii && isAscii(text)) return found;
    if (++this.stamp === 0xffffffff) {
      this.walked.fill(0);
      this.stamp = 1;
    }
    const stamp = this.stamp;
    const walked = this.walked;
    const ends = this.ends;
    const dictLink = this.dictLink;
    const outLink = this.outLink;
    let s = 0;
    if (this.table !== null) {
      const table = this.table;
      const classOf = this.classOf!;
      const k = this.classes;
      let row = 0; // the current state × k
      for (let i = 0; i < text.length; i++) {
        const v = table[row + classOf[text.charCodeAt(i)]];
        if (v >= 0) {
          row = v; // a state where no literal ends: nothing to report
          continue;
        }
        row = -v - 1;
        for (let o = outLink[row / k]; o > 0 && walked[o] !== stamp; o = dictLink[o]) {
          walked[o] = stamp;
          for (const id of ends[o]) found.add(id);
        }
      }
      return found;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let t = this.step(s, c);
      while (t < 0 && s !== 0) {
        s = this.fail[s];
        t = this.step(s, c);
      }
      s = t < 0 ? 0 : t;
      // report the literals ending here: this state's and those down its dictionary chain, once per search
      for (let o = outLink[s]; o > 0 && walked[o] !== stamp; o = dictLink[o]) {
        walked[o] = stamp;
        for (const id of ends[o]) found.add(id);
      }
    }
    return found;
  }
}
