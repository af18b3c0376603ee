// bench:smtp's arithmetic over rounds, with fixed figures (never a timing): medians and spreads of msgs/s, goal
// ratios as the median of same-round ratios (not the ratio of medians), latency percentiles from the rounds' HDR
// histograms merged (a tail one round saw counts in p99.9), the rotated order, and the report's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newHistogram, recordMs, summarize } from '../../lab/load/histogram.js';
import { aggregate, goalRows, median, perRound, rotation, roundRatios, type RoundFigure } from '../../bench/smtp-rounds.js';
import { ratioCell, reportMarkdown } from '../../bench/smtp-report.js';

/** Equal within HDR's precision (3 significant digits: a decoded histogram gives a bucket's top, 3 ms → 3.001). */
const near = (x: number | undefined, want: number) => assert.ok(x !== undefined && x >= want && x <= want * 1.002, `${x} ≈ ${want}`);

/** A round's figure; its histogram holds `n` samples of `ms` and `tail` samples of `tailMs`. */
function round(r: number, msgs: number, opts: { src?: number; n?: number; ms?: number; tail?: number; tailMs?: number; errors?: Record<string, number>; load?: [number, number] } = {}): RoundFigure {
  const h = newHistogram();
  for (let i = 0; i < (opts.n ?? 1000); i++) recordMs(h, opts.ms ?? 2);
  for (let i = 0; i < (opts.tail ?? 0); i++) recordMs(h, opts.tailMs ?? 80);
  const s = summarize(h);
  const data = newHistogram();
  for (let i = 0; i < 100; i++) recordMs(data, 1 + r);
  return {
    round: r,
    msgs_per_s: msgs,
    smtp_source_msgs_per_s: opts.src,
    p50: s.p50,
    p99: s.p99,
    p999: s.p999,
    latency_hdr: s.hdr,
    phase_hdr: { data: summarize(data).hdr! },
    errors: opts.errors ?? {},
    cpu_percent: 100 + r,
    max_rss_mb: 50 + r,
    load_before: opts.load?.[0] ?? 1,
    load_after: opts.load?.[1] ?? 1,
  };
}

test('median: the middle value, the mean of the two middle ones for an even count, NaN for none', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
  const xs = [5, 1, 4];
  median(xs);
  assert.deepEqual(xs, [5, 1, 4], 'the input is not sorted in place');
});

test('aggregate: median msgs/s with its spread, errors summed, latency from the merged histograms', () => {
  const rounds = [
    round(0, 900, { src: 1200, errors: { '451': 1 }, load: [1.1, 1.5] }),
    round(1, 1000, { src: 1500 }),
    // one round carries a slow tail: 12 of its 1012 messages at 80 ms (its own p99 is 80 ms, the others' 2 ms)
    round(2, 400, { src: 600, tail: 12, tailMs: 80, errors: { '451': 2, timeout: 1 } }),
    round(3, 1100, { src: 1400 }),
    round(4, 950, { src: 1300, load: [2, 7.6] }),
  ];
  const f = aggregate('tegami', '5k-persistent', rounds);
  assert.equal(f.msgs_per_s, 950);
  assert.equal(f.msgs_per_s_min, 400);
  assert.equal(f.msgs_per_s_max, 1100);
  assert.equal(f.smtp_source_msgs_per_s, 1300);
  assert.equal(f.smtp_source_min, 600);
  assert.equal(f.smtp_source_max, 1500);
  assert.deepEqual(f.errors, { '451': 3, timeout: 1 });
  // merged: 5012 samples, the 12 slow ones above rank 5007 → p99.9 = 80 ms; the median of the rounds' p99.9 would say 2
  assert.equal(median(rounds.map((r) => r.p999)), 2);
  near(f.p999, 80);
  near(f.p99, 2);
  near(f.p50, 2);
  assert.equal(f.p99_round_min, 2);
  near(f.p99_round_max, 80); // round 2 alone: 12 of 1012 samples slow, so its p99 is 80 ms
  // the merged histogram is kept (5010 samples) and the rounds without theirs
  assert.ok(f.latency_hdr);
  assert.equal(f.rounds.length, 5);
  assert.ok(f.rounds.every((r) => !('latency_hdr' in r) && !('phase_hdr' in r)));
  // the phases are merged too: 100 samples at 1, 2, 3, 4, 5 ms → p50 3 ms, max 5 ms
  near(f.phases?.data.p50, 3);
  near(f.phases?.data.max, 5);
  assert.equal(f.cpu_percent, 102);
  assert.equal(f.max_rss_mb, 54);
  assert.equal(f.load_before, 1.1);
  assert.equal(f.load_after, 7.6);
  assert.throws(() => aggregate('x', 'y', []), /no rounds/);
});

test('goal ratios are the median of same-round ratios, met only when the median meets the goal', () => {
  // a neighbour's burst hits postfix in round 1 and tegami in round 0: the ratio of the medians (1000/400 = 2.5×)
  // would say "not met", the same-round ratios are 2×, 4×, 3× → median 3× (met, 2 of 3 rounds)
  const tg = aggregate('tegami', '5k-persistent', [round(0, 600), round(1, 1000), round(2, 1200)]);
  const pf = aggregate('postfix', '5k-persistent', [round(0, 300), round(1, 250), round(2, 400)]);
  assert.equal(tg.msgs_per_s / pf.msgs_per_s, 1000 / 300);
  assert.deepEqual(roundRatios(tg, pf, 'msgs_per_s'), [2, 4, 3]);
  const off = aggregate('tegami-filters-off', '5k-persistent', [round(0, 1000), round(1, 1250), round(2, 1333)]);
  const rows = goalRows([tg, pf, off], [{ id: '5k-persistent', label: '5 KB × 20 connections' }], 20);
  const row = rows.find((r) => r.label === '5 KB × 20 connections: tegami / postfix (lab client)')!;
  assert.equal(row.value, '3.00×');
  assert.equal(row.want, '≥ 3×');
  assert.equal(row.met, true);
  assert.equal(row.rounds_met, 2);
  assert.equal(row.rounds, 3);
  assert.equal(row.spread, '2.00×–4.00×');
  // filters-on cost per round: 1 − 600/1000 = 40%, 1 − 1000/1250 = 20%, 1 − 1200/1333 = 10.0% → median 20%, met in 2
  const cost = rows.find((r) => r.label === '5 KB × 20 connections: filters-on cost (lab client)')!;
  assert.equal(cost.value, '20.0%');
  assert.equal(cost.met, true);
  assert.equal(cost.rounds_met, 2);
  // no smtp-source figures: no smtp-source rows; no postfix+rspamd: none for it
  assert.ok(!rows.some((r) => r.label.includes('smtp-source') || r.label.includes('rspamd')));
  // latency goals on the merged histogram, with the rounds that met them on their own
  const p99 = rows.find((r) => r.label.startsWith('5 KB × 20: tegami p99 '))!;
  assert.equal(p99.value, '2 ms');
  assert.equal(p99.met, true);
  assert.equal(p99.rounds_met, 3);
});

test('a goal whose median misses is not met, even when some rounds met it; rounds only one target ran are left out', () => {
  const modes = [{ id: '100k-persistent', label: '100 KB × 20 connections' }];
  const tg = aggregate('tegami', '100k-persistent', [round(0, 500, { src: 700 }), round(1, 300, { src: 650 }), round(2, 450, { src: 600 }), round(3, 999)]);
  const pf = aggregate('postfix', '100k-persistent', [round(0, 200, { src: 300 }), round(1, 200, { src: 400 }), round(2, 300, { src: 320 })]);
  const rows = goalRows([tg, pf], modes, 20);
  const lab = rows.find((r) => r.label.endsWith('tegami / postfix (lab client)'))!;
  // 2.5×, 1.5×, 1.5× (round 3 has no postfix figure) → 1.5×
  assert.deepEqual(roundRatios(tg, pf, 'msgs_per_s'), [2.5, 1.5, 1.5]);
  assert.equal(lab.value, '1.50×');
  assert.equal(lab.met, false);
  assert.equal(lab.rounds_met, 1);
  assert.equal(lab.rounds, 3);
  const src = rows.find((r) => r.label.endsWith('tegami / postfix (smtp-source)'))!;
  // 700/300, 650/400, 600/320 → 2.33, 1.63, 1.88 → 1.88×
  assert.equal(src.value, '1.88×');
  assert.equal(src.want, '≥ 2×');
  assert.equal(ratioCell(tg, pf, 'msgs_per_s'), '1.50× (1.50–2.50×)');
  assert.equal(ratioCell(tg, undefined, 'msgs_per_s'), '–');
});

test('rotation: every round starts with the next target; perRound splits a mode’s messages', () => {
  const t = ['A', 'B', 'C', 'D', 'E'];
  assert.deepEqual(rotation(t, 0), ['A', 'B', 'C', 'D', 'E']);
  assert.deepEqual(rotation(t, 1), ['B', 'C', 'D', 'E', 'A']);
  assert.deepEqual(rotation(t, 7), ['C', 'D', 'E', 'A', 'B']);
  assert.deepEqual(rotation([], 3), []);
  assert.deepEqual(t, ['A', 'B', 'C', 'D', 'E']);
  assert.equal(perRound(5000, 5), 1000);
  assert.equal(perRound(1000, 3), 334);
  assert.equal(perRound(3, 10), 1);
  assert.equal(perRound(100, 0), 100);
});

test('the report: goal table first, a table per mode with spreads, load per round, where the lab client waited', () => {
  const modes = [{ id: '5k-persistent', label: '5 KB × 20 connections', messages: 1000 }];
  const tg = aggregate('tegami', '5k-persistent', [round(0, 600, { src: 800 }), round(1, 1000, { src: 900 }), round(2, 1200, { src: 1000 })]);
  const pf = aggregate('postfix', '5k-persistent', [round(0, 300, { src: 400 }), round(1, 250, { src: 300 }), round(2, 400, { src: 500 })]);
  const md = reportMarkdown({
    generatedAt: '2026-12-06T12:00:00.000Z',
    machine: { cpus: 2, cpu_model: 'test cpu', mem_gb: 4, os: 'linux', node: 'v22' },
    connections: 20,
    rounds: 3,
    loadStart: 1.1,
    loadEnd: 7.6,
    dnsQueries: 12,
    targets: [
      { name: 'tegami', describe: 'default' },
      { name: 'postfix', describe: 'no filters' },
    ],
    modes,
    figures: [tg, pf],
    roundLoads: { '5k-persistent': [{ round: 0, before: 1.1, after: 2 }, { round: 1, before: 2, after: 7.6 }, { round: 2, before: 7.6, after: 3 }] },
  }).join('\n');
  const goals = md.indexOf('## Goals (issue 16), this run');
  const mode = md.indexOf('## 5 KB × 20 connections (3 rounds × 1000 messages)');
  assert.ok(goals > 0 && mode > goals, 'goal table first');
  assert.match(md, /\| 5 KB × 20 connections: tegami \/ postfix \(lab client\) \| ≥ 3× \| 3\.00× \| 2\.00×–4\.00× \| 2 of 3 \| met \|/);
  // smtp-source: 2×, 3×, 2× → 2× → not met
  assert.match(md, /\| 5 KB × 20 connections: tegami \/ postfix \(smtp-source\) \| ≥ 3× \| 2\.00× \| 2\.00×–3\.00× \| 1 of 3 \| \*\*not met\*\* \|/);
  assert.match(md, /\| tegami \| 1000 \| 600–1200 \| 900 \| 800–1000 \| 2 \| 2 \| 2 \| 2 \|/);
  assert.match(md, /Load average per round \(before its first target → after its last\): 1: 1\.1 → 2; 2: 2 → 7\.6; 3: 7\.6 → 3\./);
  assert.match(md, /Where the lab client waited/);
  // DATA: 100 samples at 1, 2 and 3 ms (rounds 0–2), merged
  assert.match(md, /\| tegami \| – \| – \| 2 \/ 3\.001 \/ 3\.001 \/ 3\.001 \|/);
  assert.match(md, /tegami \/ postfix: \*\*3\.00× \(2\.00–4\.00×\)\*\* msgs\/s/);
});
