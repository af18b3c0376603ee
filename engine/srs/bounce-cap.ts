// How much mail our SRS addresses may carry back in a day: one count per forwarded copy (its address, [srs]
// max_bounces_per_copy), and one per original sender for addresses of the older form ([srs] max_bounces_per_day).
// An SRS address is valid for [srs] max_age and known to whoever read the copy it was made for; a bounce (the null
// sender) may hold anything, so without a bound one harvested address would let a stranger send that sender any
// number of messages through us (security review 8). Counted per key (any case) over a rolling 24 hours, in this
// process's memory: a node's own count, from its start. Bounded: past MAX_ENTRIES the key seen least recently is
// forgotten. A new key needs an address we made (HMAC), so a stranger cannot mint keys without copies forwarded.

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_ENTRIES = 50_000;

export class SrsBounceCap {
  /** Key (an original address, or a copy's SRS local part — the same copy in any of our domains —, lower case) → the times of the bounces taken for it in the last 24 hours, oldest first. */
  private readonly taken = new Map<string, number[]>();

  constructor(
    /** Bounces per key and rolling day; 0: no bound. Changed in place when settings change. */
    public limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.taken.size;
  }

  /** Count one bounce for `address` (the key); false (nothing counted) when its day's bound is reached. */
  take(address: string): boolean {
    if (this.limit <= 0) return true;
    const key = address.toLowerCase();
    const t = this.now();
    const times = (this.taken.get(key) ?? []).filter((x) => x > t - DAY_MS);
    this.taken.delete(key);
    if (times.length >= this.limit) {
      this.taken.set(key, times);
      return false;
    }
    times.push(t);
    this.taken.set(key, times);
    if (this.taken.size > MAX_ENTRIES) this.taken.delete(this.taken.keys().next().value!);
    return true;
  }
}
