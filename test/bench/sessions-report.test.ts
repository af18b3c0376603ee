// bench/sessions-report.ts with fixed figures (never a measurement): per-session deltas, the median and spread
// over runs per target/protocol/allocator mode (modes kept apart, peers that run once shown as one figure), the
// --fixed-env option, and the report's rows with glibc's arenas before → with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRow, parseEnv, reportMarkdown, spread, summarize, type Mem } from '../../bench/sessions-report.js';

const mem = (pss_kb: number, heap_kb?: number, free16 = 0): Mem => ({
  pss_kb,
  rss_kb: pss_kb + 1000,
  anon_kb: pss_kb - 500,
  heap_kb,
  processes: 1,
  arenas: { count: 12, system_kb: 30000, free_kb: 1000 + free16 * 16384, with_free_16mb: free16, mmapped: 4, mmapped_kb: 4112 },
});

test('makeRow: KB per session from the deltas; no heap figure unless both sides have one', () => {
  const r = makeRow('tegami', 'IMAP', 1000, mem(200_000, 40_000), mem(250_000, 47_500), 2, 'default');
  assert.equal(r.pss_kb_per_session, 50);
  assert.equal(r.rss_kb_per_session, 50);
  assert.equal(r.anon_kb_per_session, 50);
  assert.equal(r.heap_kb_per_session, 7.5);
  assert.equal(r.run, 2);
  assert.equal(r.malloc, 'default');
  const d = makeRow('dovecot', 'IMAP', 1000, mem(6000), mem(496_000));
  assert.equal(d.heap_kb_per_session, undefined);
  const noAnon = makeRow('dovecot', 'IMAP', 1000, { pss_kb: 6000, rss_kb: 9000, processes: 3 }, mem(496_000));
  assert.equal(noAnon.anon_kb_per_session, undefined);
  assert.equal('run' in d || 'malloc' in d, false);
});

test('spread: median of odd and even counts, min and max; nothing for no runs', () => {
  assert.deepEqual(spread([127, 39, 109, 77, 75]), { median: 77, min: 39, max: 127 });
  assert.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4 });
  assert.equal(spread([]), undefined);
});

test('summarize: one line per target, protocol and mode, in first-seen order, over the runs', () => {
  const rows = [
    makeRow('tegami', 'IMAP', 1000, mem(0, 0), mem(39_000, 7000), 1, 'default'),
    makeRow('tegami', 'IMAP', 1000, mem(0, 0), mem(9000, 7200), 1, 'fixed'),
    makeRow('dovecot', 'IMAP', 1000, mem(0), mem(490_000)),
    makeRow('tegami', 'IMAP', 1000, mem(0, 0), mem(127_000, 7400), 2, 'default'),
    makeRow('tegami', 'IMAP', 1000, mem(0, 0), mem(11_000, 7100), 2, 'fixed'),
    makeRow('tegami', 'IMAP', 1000, mem(0, 0), mem(-66_000, 7300), 3, 'default'),
  ];
  const s = summarize(rows);
  assert.deepEqual(
    s.map((x) => [x.target, x.malloc, x.runs, x.pss.median, x.pss.min, x.pss.max]),
    [
      ['tegami', 'default', 3, 39, -66, 127],
      ['tegami', 'fixed', 2, 10, 9, 11],
      ['dovecot', undefined, 1, 490, 490, 490],
    ],
  );
  assert.deepEqual(s[1].heap, { median: 7.15, min: 7.1, max: 7.2 });
  assert.equal(s[2].heap, undefined);
});

test('parseEnv: NAME=VALUE pairs (a value may hold "="); anything else is an error', () => {
  assert.deepEqual(parseEnv('MALLOC_MMAP_THRESHOLD_=4194304,GLIBC_TUNABLES=glibc.malloc.arena_max=2'), {
    MALLOC_MMAP_THRESHOLD_: '4194304',
    GLIBC_TUNABLES: 'glibc.malloc.arena_max=2',
  });
  assert.deepEqual(parseEnv(''), {});
  assert.throws(() => parseEnv('MALLOC_ARENA_MAX'), /not NAME=VALUE/);
  assert.throws(() => parseEnv('=2'), /not NAME=VALUE/);
});

test('reportMarkdown: the spread table labels the modes by their environment; every row shows the arenas', () => {
  const rows = [
    makeRow('tegami', 'IMAP', 1000, mem(200_000, 40_000, 2), mem(264_000, 47_000, 6), 1, 'default'),
    makeRow('tegami', 'IMAP', 1000, mem(180_000, 40_000), mem(189_000, 47_000), 1, 'fixed'),
    makeRow('tegami', 'IMAP', 1000, mem(200_000, 40_000, 4), mem(184_000, 47_000, 3), 2, 'default'),
    makeRow('dovecot', 'IMAP', 1000, { pss_kb: 6000, rss_kb: 9000, processes: 3 }, { pss_kb: 496_000, rss_kb: 5_000_000, processes: 1003 }),
  ];
  const md = reportMarkdown({ at: new Date('2026-12-06T19:00:00Z'), machine: '2 × test CPU', loads: [1, 2.5], sessions: 1000, inbox: 200, warmupLogins: 50, fixedEnv: { MALLOC_MMAP_THRESHOLD_: '4194304' } }, rows);
  assert.match(md, /^# bench:sessions — 2026-12-06T19:00:00\.000Z$/m);
  assert.match(md, /^\| tegami \(glibc defaults\) \| IMAP \| 2 \| \*\*24\.0\*\* \(-16\.0 … 64\.0\) \| .* \| \*\*24\.0\*\* \(-16\.0 … 64\.0\) \| \*\*7\.0\*\* \(7\.0 … 7\.0\) \|$/m);
  assert.match(md, /^\| tegami \(MALLOC_MMAP_THRESHOLD_=4194304\) \| IMAP \| 1 \| 9\.0 \| 9\.0 \| 9\.0 \| 7\.0 \|$/m);
  assert.match(md, /^\| dovecot \| IMAP \| 1 \| 490\.0 \| 4991\.0 \| – \| – \|$/m);
  assert.match(md, /^\| 1 \| tegami \(glibc defaults\) \| IMAP \| 64\.0 \| 7\.0 \| 195\.3 → 257\.8 \| 12 \/ 2 \/ 33\.0 → 12 \/ 6 \/ 97\.0 \|$/m);
  assert.match(md, /^\| – \| dovecot \| IMAP \| 490\.0 \| – \| 5\.9 → 484\.4 \| – → – \|$/m);
});
