// Per-destination concurrency with slow start: a destination starts with `[outbound] initial_concurrency`
// slots (never over `[queue] per_destination`), gains one after each delivery that reached a host and is
// halved (at least 1) after one that reached none; jobs over its limit wait in its own line.
// It only counts slots and keeps the lines; it never starts a delivery itself.

export interface DestinationSlot<J> {
  /** Deliveries running to this destination. */
  active: number;
  limit: number;
  /** Jobs that were ready while every slot was taken, oldest first. */
  waiting: J[];
}

export class DestinationSlots<J> {
  private slots = new Map<string, DestinationSlot<J>>();

  constructor(
    private readonly initial: number,
    private readonly max: number,
  ) {}

  get(key: string): DestinationSlot<J> {
    let d = this.slots.get(key);
    if (!d) {
      d = { active: 0, limit: Math.min(this.initial, this.max), waiting: [] };
      this.slots.set(key, d);
    }
    return d;
  }

  /** After a delivery: a reachable destination gets one more connection, an unreachable one is cut back. */
  adjust(key: string, unreachable: boolean): void {
    const d = this.get(key);
    d.limit = unreachable ? Math.max(1, Math.floor(d.limit / 2)) : Math.min(this.max, d.limit + 1);
  }

  /** Take a job out of its destination's line (it was dropped before it got a slot). */
  unqueue(key: string, job: J): void {
    const d = this.slots.get(key);
    if (d) d.waiting = d.waiting.filter((j) => j !== job);
  }
}
