// Counters counted through Metrics.meter.inc (increments kept by label values, handed to prom-client when read:
// engine/metrics/pending-counts.ts) show what prom-client shows when every increment goes to it at once, label
// values mapped as before (in the closed set: itself; else "other" where allowed; else not counted): random
// increments of every counter, with values outside the sets, non-strings, missing labels, 0, negative, NaN and
// fractional counts, read several times between them (no count handed over twice, none lost).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import { Metrics } from '../../engine/metrics/metrics.js';
import { METRICS, type LabelValues } from '../../engine/metrics/definitions.js';

const CONFIG: Record<string, string[]> = { list: ['zen', 'バックアップ'], target: ['web-1'] };

/** The text of the counters alone (help, type and samples), sorted: both registries' output compared line by line. */
const counterLines = (text: string, names: string[]) =>
  text
    .split('\n')
    .filter((l) => names.some((n) => l.startsWith(`${n}{`) || l.startsWith(`${n} `)))
    .sort();

describe('counters counted when read', () => {
  it('give what direct increments give, for every counter, read between increments', async () => {
    const metrics = new Metrics({ processMetrics: false, configLabels: { list: CONFIG.list, target: CONFIG.target } });
    const oracle = new Registry();
    const direct = new Map<string, { counter: Counter<string>; sets: [string, Set<string>][] }>();
    const counters = Object.entries(METRICS).filter(([, d]) => d.type === 'counter');
    for (const [name, def] of counters) {
      const sets = Object.entries(def.labels as Record<string, LabelValues>).map(([l, v]) => [l, new Set(v === 'config' ? [...(CONFIG[l] ?? []), 'other'] : v)] as [string, Set<string>]);
      const counter = new Counter({ name, help: def.help, labelNames: sets.map(([l]) => l), registers: [oracle] });
      // the zeros Metrics starts a one-label counter with
      if (sets.length === 1 && (def.labels as Record<string, LabelValues>)[sets[0][0]] !== 'config' && sets[0][1].size <= 12) {
        for (const v of sets[0][1]) if (v !== 'other') counter.inc({ [sets[0][0]]: v }, 0);
      }
      direct.set(name, { counter, sets });
    }
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const names = counters.map(([n]) => n);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 4000; i++) {
        const name = names[rnd(names.length)];
        const { counter, sets } = direct.get(name)!;
        const given: Record<string, unknown> = {};
        for (const [l, set] of sets) {
          const vals = [...set];
          const pick = rnd(10);
          if (pick < 7) given[l] = vals[rnd(vals.length)];
          else if (pick === 7) given[l] = 'not-in-the-set';
          else if (pick === 8) given[l] = rnd(2) ? 42 : null;
          // else: missing
        }
        const n = [1, 1, 1, 2, 0.5, 0, -1, NaN, Infinity, 3][rnd(10)];
        metrics.meter.inc(name as never, given as never, n);
        // the oracle: the mapping Metrics.labels made before every increment
        const l: Record<string, string> = {};
        let counted = Number.isFinite(n) && n > 0;
        for (const [label, set] of sets) {
          const v = given[label];
          if (typeof v === 'string' && set.has(v)) l[label] = v;
          else if (set.has('other')) l[label] = 'other';
          else counted = false;
        }
        if (counted) counter.inc(l, n);
      }
      assert.deepEqual(counterLines(await metrics.text(), names), counterLines(await oracle.metrics(), names), `round ${round}`);
      assert.deepEqual(counterLines(await metrics.text(), names), counterLines(await oracle.metrics(), names), `round ${round}, read again`);
    }
    metrics.close();
  });
});
