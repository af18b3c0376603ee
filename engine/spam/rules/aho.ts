// Aho–Corasick: every literal of a rule set found in one pass over a text, in time linear in the text plus the
// automaton (no pattern is ever retried from another position). Built once per rule set; a search only reads.
// It reports which literals occur, never where or how often.

export class LiteralSet {
  /** goto[state] : char code → next state. */
  private readonly next: Map<number, number>[] = [new Map()];
  private readonly fail: Int32Array;
  /** The nearest state on the fail chain (itself excluded) that ends a literal, or -1. */
  private readonly dictLink: Int32Array;
  /** Literal ids ending exactly at each state. */
  private readonly ends: number[][] = [[]];
  readonly size: number;

  constructor(literals: readonly string[]) {
    this.size = literals.length;
    literals.forEach((lit, id) => {
      let s = 0;
      for (let i = 0; i < lit.length; i++) {
        const c = lit.charCodeAt(i);
        let t = this.next[s].get(c);
        if (t === undefined) {
          t = this.next.length;
          this.next.push(new Map());
          this.ends.push([]);
          this.next[s].set(c, t);
        }
        s = t;
      }
      if (lit.length) this.ends[s].push(id);
    });
    const n = this.next.length;
    this.fail = new Int32Array(n);
    this.dictLink = new Int32Array(n).fill(-1);
    // breadth first: a state's fail link is known before its children's
    const queue: number[] = [];
    for (const t of this.next[0].values()) queue.push(t);
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi];
      for (const [c, t] of this.next[s]) {
        let f = this.fail[s];
        while (f !== 0 && !this.next[f].has(c)) f = this.fail[f];
        const g = this.next[f].get(c);
        this.fail[t] = g !== undefined && g !== t ? g : 0;
        const ft = this.fail[t];
        this.dictLink[t] = this.ends[ft].length ? ft : this.dictLink[ft];
        queue.push(t);
      }
    }
  }

  /**
   * The ids of the literals that occur in `text` (each once). `found` may be passed to collect into (ids are
   * added). Each state's output chain is walked at most once per search, so the cost stays linear.
   */
  search(text: string, found: Set<number> = new Set()): Set<number> {
    if (this.size === 0 || text.length === 0) return found;
    const walked = new Uint8Array(this.next.length);
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let t = this.next[s].get(c);
      while (t === undefined && s !== 0) {
        s = this.fail[s];
        t = this.next[s].get(c);
      }
      s = t ?? 0;
      // report the literals ending here: this state's and those down its dictionary chain, once per search
      for (let o = this.ends[s].length ? s : this.dictLink[s]; o > 0 && !walked[o]; o = this.dictLink[o]) {
        walked[o] = 1;
        for (const id of this.ends[o]) found.add(id);
      }
    }
    return found;
  }
}
