// Many short time limits on one timer: each message's DKIM/DMARC check has one (engine/spam/auth.ts), and
// almost all of them are cancelled within a millisecond. A Node timer armed and cleared per message costs more
// than the check of a plain message's From: (clearTimeout takes its list out of the timers' priority queue when
// it empties); here a limit is an entry in a set, and one timer, armed for the earliest limit, fires the ones
// that are due and re-arms for the next. The timer holds the event loop open only while some limit is pending.
// Times are read from a monotonic clock (performance.now), as Node's own timers do: the wall clock steps (NTP,
// an operator's `date`), and a limit due by Date.now() would wait out a step back (an hour back, an hour late).
import { performance } from 'node:perf_hooks';

interface Pending {
  at: number;
  fire: () => void;
}

export class SharedTimeouts {
  private readonly pending = new Set<Pending>();
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (ms on `now`'s clock). */
  private due = Infinity;

  /** `now`: the clock limits are measured on (monotonic by default; tests pass a mocked one). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Calls fire() once `ms` have passed, unless the returned cancel function is called first. */
  after(ms: number, fire: () => void): () => void {
    const p: Pending = { at: this.now() + Math.max(0, ms), fire };
    this.pending.add(p);
    if (!this.timer || p.at < this.due) this.arm(p.at);
    else if (this.pending.size === 1) this.timer.ref();
    return () => {
      if (this.pending.delete(p) && this.pending.size === 0) this.timer?.unref();
    };
  }

  get size(): number {
    return this.pending.size;
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.due = at;
    this.timer = setTimeout(() => this.expire(), Math.max(1, at - this.now()));
  }

  private expire(): void {
    this.timer = undefined;
    this.due = Infinity;
    const now = this.now();
    let next = Infinity;
    for (const p of this.pending) {
      if (p.at <= now) {
        this.pending.delete(p);
        try {
          p.fire();
        } catch {
          // one caller's failure never keeps the others' limits from firing
        }
      } else if (p.at < next) next = p.at;
    }
    if (next !== Infinity) this.arm(next);
  }
}
