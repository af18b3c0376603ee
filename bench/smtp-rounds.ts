// bench:smtp's arithmetic over rounds (values only, no I/O, no timing): each target runs a mode in several short
// rounds interleaved with the other targets', so a neighbour's burst on the shared machine lands on one round of
// every target rather than on one target. A target's figure is the median of its rounds (msgs/s) with the spread
// (min–max) beside it; latency percentiles come from the HDR histograms of all rounds merged (a few thousand
// samples per round are too few for p99.9); a goal's ratio is the median of the per-round ratios (two targets of
// the same round, which cancels slow drifts of the machine), and a goal is met only when that median meets it.
//
// API:
//   const f = aggregate('tegami', '5k-persistent', rounds);   // rounds: RoundFigure[] as measured
//   f.msgs_per_s (median), f.msgs_per_s_min/_max, f.p99 (merged), f.p99_round_min/_max
//   const g = goalRows(figures, modes, 20);   // [{ label, want, value, met, rounds_met, rounds }]
import * as hdr from 'hdr-histogram-js';
import { newHistogram, summarize } from '../lab/load/histogram.js';

/** One target's run of one mode in one round. */
export interface RoundFigure {
  round: number;
  msgs_per_s: number;
  smtp_source_msgs_per_s?: number;
  p50: number;
  p99: number;
  p999: number;
  /** The round's whole-message histogram (hdr-histogram's compressed base64), merged into the target's figure. */
  latency_hdr?: string;
  /** The same for the lab client's commands (mail, rcpt, data). */
  phase_hdr?: Record<string, string>;
  errors: Record<string, number>;
  delivered_p50?: number;
  delivered_missing?: number;
  cpu_percent?: number;
  max_rss_mb?: number;
  /** 1-minute load average before and after this run (2 cores: above 2 = others were busy). */
  load_before: number;
  load_after: number;
}

export interface PhaseFigure {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** A target's figure for one mode, over all its rounds. */
export interface Figure {
  target: string;
  mode: string;
  /** Median over rounds, and the spread. */
  msgs_per_s: number;
  msgs_per_s_min: number;
  msgs_per_s_max: number;
  smtp_source_msgs_per_s?: number;
  smtp_source_min?: number;
  smtp_source_max?: number;
  /** From the rounds' histograms merged. */
  p50: number;
  p99: number;
  p999: number;
  /** The spread of the rounds' own p99. */
  p99_round_min: number;
  p99_round_max: number;
  /** The merged histogram, compressed. */
  latency_hdr?: string;
  /** Summed over rounds. */
  errors: Record<string, number>;
  /** Median over rounds. */
  delivered_p50?: number;
  delivered_missing?: number;
  cpu_percent?: number;
  max_rss_mb?: number;
  /** Per command (lab client), from the rounds' histograms merged. */
  phases?: Record<string, PhaseFigure>;
  /** Load average before its first round and after its last. */
  load_before: number;
  load_after: number;
  /** Each round as measured (without its histograms, which are in the merged figures). */
  rounds: Array<Omit<RoundFigure, 'latency_hdr' | 'phase_hdr'>>;
}

/** The median: the middle value, or the mean of the two middle ones for an even count; NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Histograms (compressed base64) added into one; undefined when none was given. */
export function mergeHdr(encoded: ReadonlyArray<string | undefined>): hdr.Histogram | undefined {
  const parts = encoded.filter((x): x is string => typeof x === 'string' && x.length > 0);
  if (parts.length === 0) return undefined;
  const sum = newHistogram();
  for (const p of parts) sum.add(hdr.decodeFromCompressedBase64(p, 32, false));
  return sum;
}

const defined = (xs: Array<number | undefined>) => xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));

/** A target's figure for one mode from its rounds (at least one). */
export function aggregate(target: string, mode: string, rounds: readonly RoundFigure[]): Figure {
  if (rounds.length === 0) throw new Error(`bench: no rounds for ${target} / ${mode}`);
  const lab = rounds.map((r) => r.msgs_per_s);
  const src = defined(rounds.map((r) => r.smtp_source_msgs_per_s));
  const merged = mergeHdr(rounds.map((r) => r.latency_hdr));
  const lat = merged ? summarize(merged) : undefined;
  const p99s = rounds.map((r) => r.p99);
  const errors: Record<string, number> = {};
  for (const r of rounds) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const phases: Record<string, PhaseFigure> = {};
  for (const p of new Set(rounds.flatMap((r) => Object.keys(r.phase_hdr ?? {})))) {
    const h = mergeHdr(rounds.map((r) => r.phase_hdr?.[p]));
    if (h) {
      const s = summarize(h, false);
      phases[p] = { p50: s.p50, p99: s.p99, p999: s.p999, max: s.max };
    }
  }
  const med = (xs: number[]) => (xs.length ? r3(median(xs)) : undefined);
  const cpu = defined(rounds.map((r) => r.cpu_percent));
  const rss = defined(rounds.map((r) => r.max_rss_mb));
  const missing = defined(rounds.map((r) => r.delivered_missing));
  return {
    target,
    mode,
    msgs_per_s: r1(median(lab)),
    msgs_per_s_min: Math.min(...lab),
    msgs_per_s_max: Math.max(...lab),
    ...(src.length ? { smtp_source_msgs_per_s: r1(median(src)), smtp_source_min: Math.min(...src), smtp_source_max: Math.max(...src) } : {}),
    // without histograms (an older round format), the median of the rounds' own percentiles
    p50: lat ? lat.p50 : r3(median(rounds.map((r) => r.p50))),
    p99: lat ? lat.p99 : r3(median(p99s)),
    p999: lat ? lat.p999 : r3(median(rounds.map((r) => r.p999))),
    p99_round_min: Math.min(...p99s),
    p99_round_max: Math.max(...p99s),
    latency_hdr: lat?.hdr,
    errors,
    delivered_p50: med(defined(rounds.map((r) => r.delivered_p50))),
    delivered_missing: missing.length ? missing.reduce((a, b) => a + b, 0) : undefined,
    cpu_percent: cpu.length ? r1(median(cpu)) : undefined,
    max_rss_mb: rss.length ? Math.max(...rss) : undefined,
    phases: Object.keys(phases).length ? phases : undefined,
    load_before: rounds[0].load_before,
    load_after: rounds[rounds.length - 1].load_after,
    rounds: rounds.map(({ latency_hdr: _l, phase_hdr: _p, ...rest }) => rest),
  };
}

/** a/b of the rounds both targets ran (matched by round number), in round order. */
export function roundRatios(a: Figure, b: Figure, key: 'msgs_per_s' | 'smtp_source_msgs_per_s'): number[] {
  const out: number[] = [];
  for (const ra of a.rounds) {
    const rb = b.rounds.find((x) => x.round === ra.round);
    const x = ra[key];
    const y = rb?.[key];
    if (x && y) out.push(x / y);
  }
  return out;
}

export interface GoalRow {
  label: string;
  /** "≥ 3×", "< 30%", "≤ 20 ms". */
  want: string;
  /** The figure the goal is judged on (median of per-round ratios, merged percentile), formatted. */
  value: string;
  met: boolean;
  /** How many rounds met it on their own, of how many. */
  rounds_met: number;
  rounds: number;
  /** min–max of the per-round values, formatted. */
  spread: string;
}

export interface ModeRef {
  id: string;
  label: string;
}

/** The goals of issue 16 for one run's figures. */
export function goalRows(figures: readonly Figure[], modes: readonly ModeRef[], connections: number): GoalRow[] {
  const f = (t: string, m: string) => figures.find((x) => x.target === t && x.mode === m);
  const out: GoalRow[] = [];
  const fx = (x: number) => `${x.toFixed(2)}×`;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  for (const m of modes) {
    const want = m.id === '5k-persistent' ? 3 : 2;
    const tg = f('tegami', m.id);
    if (!tg) continue;
    for (const other of ['postfix', 'postfix+rspamd']) {
      const o = f(other, m.id);
      if (!o) continue;
      for (const [client, key] of [['lab client', 'msgs_per_s'], ['smtp-source', 'smtp_source_msgs_per_s']] as const) {
        const rs = roundRatios(tg, o, key);
        if (!rs.length) continue;
        const med = median(rs);
        out.push({ label: `${m.label}: tegami / ${other} (${client})`, want: `≥ ${want}×`, value: fx(med), met: med >= want, rounds_met: rs.filter((r) => r >= want).length, rounds: rs.length, spread: `${fx(Math.min(...rs))}–${fx(Math.max(...rs))}` });
      }
    }
    const off = f('tegami-filters-off', m.id);
    if (!off) continue;
    for (const [client, key] of [['lab client', 'msgs_per_s'], ['smtp-source', 'smtp_source_msgs_per_s']] as const) {
      const costs = roundRatios(tg, off, key).map((r) => 1 - r);
      if (!costs.length) continue;
      const med = median(costs);
      out.push({ label: `${m.label}: filters-on cost (${client})`, want: '< 30%', value: pct(med), met: med < 0.3, rounds_met: costs.filter((c) => c < 0.3).length, rounds: costs.length, spread: `${pct(Math.min(...costs))}–${pct(Math.max(...costs))}` });
    }
  }
  const tg5 = f('tegami', '5k-persistent');
  if (tg5) {
    const latency = (name: string, limit: number, merged: number, perRound: number[]) => {
      out.push({ label: `5 KB × ${connections}: tegami ${name} (all rounds merged)`, want: `≤ ${limit} ms`, value: `${merged} ms`, met: merged <= limit, rounds_met: perRound.filter((x) => x <= limit).length, rounds: perRound.length, spread: `${Math.min(...perRound)}–${Math.max(...perRound)} ms` });
    };
    latency('p99', 20, tg5.p99, tg5.rounds.map((r) => r.p99));
    latency('p99.9', 50, tg5.p999, tg5.rounds.map((r) => r.p999));
  }
  return out;
}

/** Round r's order of the targets: rotated by r, so no target always runs first (or right after another's). */
export function rotation<T>(targets: readonly T[], round: number): T[] {
  if (targets.length === 0) return [];
  const k = ((round % targets.length) + targets.length) % targets.length;
  return [...targets.slice(k), ...targets.slice(0, k)];
}

/** The messages each round of a mode sends: the mode's total split evenly (at least one). */
export function perRound(total: number, rounds: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, rounds)));
}
