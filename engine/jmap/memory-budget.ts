// The octets of JMAP uploads and downloads one node holds in memory at once ([web] jmap_memory): uploads on
// PostgreSQL are read whole before their row is written, and downloads that are not a file on this node (a stored
// message or one of its parts, an upload on PostgreSQL) are read whole before they are sent. The per-account
// limits (maxConcurrentUpload, maxConcurrentRequests) bound one account; this bounds the node, whatever the number
// of accounts. A claim that would pass the budget is refused, except when no other claim holds anything (so one
// upload or message of the largest size always goes through). It never waits: a refused caller answers 503.
export class MemoryBudget {
  private held = 0;

  constructor(readonly max: number) {}

  /** Octets held now. */
  get used(): number {
    return this.held;
  }

  /**
   * Take `n` octets; false (nothing taken) when that would pass the budget while others hold something (`own`:
   * what the caller itself already holds, which does not count as another's).
   */
  take(n: number, own = 0): boolean {
    if (n < 0 || !Number.isFinite(n)) return false;
    if (this.held - own > 0 && this.held + n > this.max) return false;
    this.held += n;
    return true;
  }

  /** Give back `n` octets taken earlier. */
  give(n: number): void {
    this.held = Math.max(0, this.held - n);
  }

  /**
   * A claim grown piece by piece (an upload as it streams in), cut down to what is still held (`keep`: a download's
   * bytes once the copies made to read them are gone), given back whole, once, by release().
   */
  claim(): { grow(n: number): boolean; keep(n: number): void; release(): void } {
    let mine = 0;
    let done = false;
    return {
      grow: (n) => {
        if (done || !this.take(n, mine)) return false;
        mine += n;
        return true;
      },
      keep: (n) => {
        if (done || !(n >= 0) || n >= mine) return;
        this.give(mine - n);
        mine = n;
      },
      release: () => {
        if (done) return;
        done = true;
        this.give(mine);
        mine = 0;
      },
    };
  }
}
