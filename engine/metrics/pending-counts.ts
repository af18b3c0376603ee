// A counter's increments kept by their label values and handed to prom-client when the counter is read (its
// collect hook runs at every scrape and every get()), instead of prom-client hashing and checking a labels object
// at every increment: the mail path counts a few events per message (every log line counts one). A label value
// outside its closed set counts as "other", or not at all when the set has no "other" (as Metrics.labels does).
import type { Counter } from 'prom-client';

interface Entry {
  labels: Record<string, string>;
  n: number;
}

export class PendingCounts {
  /** Per label, in the counter's order: its values' positions ("other" among them when allowed). */
  private readonly labels: { name: string; index: Map<string, number>; other: number }[] = [];
  /** By the positions of the values, joined: "2,0" (never a value itself, so no two label sets share a key). */
  private readonly entries = new Map<string, Entry>();

  constructor(sets: Map<string, Set<string>>) {
    for (const [name, set] of sets) {
      const values = [...set];
      this.labels.push({ name, index: new Map(values.map((v, i) => [v, i])), other: values.indexOf('other') });
    }
  }

  /** Count `n` for these label values; false (nothing counted) when a value is outside a set without "other". */
  add(given: Record<string, string>, n: number): boolean {
    let key = '';
    for (const l of this.labels) {
      const v = given[l.name];
      const i = (typeof v === 'string' ? l.index.get(v) : undefined) ?? l.other;
      if (i < 0) return false;
      key += `${i},`;
    }
    let e = this.entries.get(key);
    if (!e) {
      const labels: Record<string, string> = {};
      for (const l of this.labels) {
        const v = given[l.name];
        labels[l.name] = typeof v === 'string' && l.index.has(v) ? v : 'other';
      }
      this.entries.set(key, (e = { labels, n: 0 }));
    }
    e.n += n;
    return true;
  }

  /** Hand what was counted since the last read to the counter. */
  drain(counter: Counter<string>): void {
    for (const e of this.entries.values()) {
      if (e.n > 0) {
        counter.inc(e.labels, e.n);
        e.n = 0;
      }
    }
  }
}
