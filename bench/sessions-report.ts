// bench:sessions' rows and what it writes of them: per row (a target, a protocol, a run, the allocator mode of a
// tegami server) the memory before and with N idle sessions, and per target/protocol/mode the median and the
// spread over the runs. Pure functions (test/bench/sessions-report.test.ts); bench/sessions.ts measures.
import { tegamiFilterToml } from '../lab/targets/lab-dns.js';
import type { Arenas } from './malloc-info.js';

export interface Mem {
  pss_kb: number;
  rss_kb: number;
  /** Anonymous resident memory (smaps_rollup "Anonymous"): the process's own, whoever else maps its files. */
  anon_kb?: number;
  heap_kb?: number;
  processes: number;
  /** glibc's arenas (malloc_info through gdb), when gdb could attach. */
  arenas?: Arenas;
}

/** How glibc's allocator ran in the measured server: its defaults, or the fixed environment (MALLOC_*). */
export type MallocMode = 'default' | 'fixed';

export interface Row {
  target: string;
  protocol: 'SMTP' | 'IMAP';
  /** tegami's rows: which run (1…), under which allocator mode; the peers run once. */
  run?: number;
  malloc?: MallocMode;
  before: Mem;
  with: Mem;
  pss_kb_per_session: number;
  rss_kb_per_session: number;
  anon_kb_per_session?: number;
  heap_kb_per_session?: number;
}

export function makeRow(target: string, protocol: Row['protocol'], sessions: number, before: Mem, withN: Mem, run?: number, malloc?: MallocMode): Row {
  const per = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? (b - a) / sessions : undefined);
  return {
    target,
    protocol,
    ...(run !== undefined ? { run } : {}),
    ...(malloc !== undefined ? { malloc } : {}),
    before,
    with: withN,
    pss_kb_per_session: (withN.pss_kb - before.pss_kb) / sessions,
    rss_kb_per_session: (withN.rss_kb - before.rss_kb) / sessions,
    anon_kb_per_session: per(before.anon_kb, withN.anon_kb),
    heap_kb_per_session: per(before.heap_kb, withN.heap_kb),
  };
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: number[]): Spread | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

export interface Summary {
  target: string;
  protocol: Row['protocol'];
  malloc?: MallocMode;
  runs: number;
  pss: Spread;
  rss: Spread;
  anon?: Spread;
  heap?: Spread;
}

/** One summary per target, protocol and allocator mode, in the order they first appear. */
export function summarize(rows: Row[]): Summary[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.target}\0${r.protocol}\0${r.malloc ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => ({
    target: g[0].target,
    protocol: g[0].protocol,
    ...(g[0].malloc ? { malloc: g[0].malloc } : {}),
    runs: g.length,
    pss: spread(g.map((r) => r.pss_kb_per_session))!,
    rss: spread(g.map((r) => r.rss_kb_per_session))!,
    anon: spread(g.flatMap((r) => (r.anon_kb_per_session === undefined ? [] : [r.anon_kb_per_session]))),
    heap: spread(g.flatMap((r) => (r.heap_kb_per_session === undefined ? [] : [r.heap_kb_per_session]))),
  }));
}

const f1 = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(1));
const cell = (s: Spread | undefined, runs: number) => (s === undefined ? '–' : runs > 1 ? `**${f1(s.median)}** (${f1(s.min)} … ${f1(s.max)})` : f1(s.median));
const mb = (kb: number) => (kb / 1024).toFixed(1);

export interface ReportHead {
  at: Date;
  machine: string;
  loads: number[];
  sessions: number;
  inbox: number;
  warmupLogins: number;
  fixedEnv: Record<string, string>;
}

export function reportMarkdown(h: ReportHead, rows: Row[]): string {
  const env = Object.entries(h.fixedEnv).map(([k, v]) => `${k}=${v}`).join(' ');
  const label = (r: { target: string; malloc?: MallocMode }) => `${r.target}${r.malloc ? ` (${r.malloc === 'fixed' ? env : 'glibc defaults'})` : ''}`;
  const arena = (m: Mem) => (m.arenas ? `${m.arenas.count} / ${m.arenas.with_free_16mb} / ${mb(m.arenas.free_kb)}` : '–');
  return [
    `# bench:sessions — ${h.at.toISOString()}`,
    '',
    `Machine: ${h.machine}; 1-minute load average ${h.loads.map((l) => l.toFixed(1)).join(' → ')} over the run.`,
    `${h.sessions} idle sessions per row, opened from 127.0.0.1: SMTP after the greeting and EHLO; IMAP after LOGIN and SELECT INBOX (${h.inbox} messages of 5 KB).`,
    'PSS, RSS and anonymous memory from /proc/PID/smaps_rollup (Dovecot: summed over its processes, one imap process per session), 3 s after a full GC',
    '(tegami: of the main thread and of every worker thread); heap = V8 heap used after that GC (main thread; Node servers only).',
    `tegami runs its default configuration (filters on), a fresh server per run and allocator mode, the modes interleaved;`,
    `each server first fills INBOX through SMTP, then warms up with one SMTP session and ${h.warmupLogins} IMAP logins (two at a time) before its baseline.`,
    `"glibc defaults": no MALLOC_* variable; "${env}": the environment docs/operations.md recommends.`,
    "PSS also moves with other processes mapping the same files (node's own pages, shared with every node process on the machine); anonymous memory does not.",
    '',
    '## Per session: median (min … max) over the runs',
    '',
    '| target | protocol | runs | PSS KB / session | RSS KB / session | anonymous KB / session | heap KB / session |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...summarize(rows).map((s) => `| ${label(s)} | ${s.protocol} | ${s.runs} | ${cell(s.pss, s.runs)} | ${cell(s.rss, s.runs)} | ${cell(s.anon, s.runs)} | ${cell(s.heap, s.runs)} |`),
    '',
    '## Every row',
    '',
    'glibc arenas: count / arenas holding ≥ 15 MB free (a kept scrypt block) / MB free in all arenas, before → with the sessions (malloc_info through gdb).',
    '',
    '| run | target | protocol | PSS KB / session | heap KB / session | PSS MB before → with | glibc arenas before → with |',
    '|---:|---|---|---:|---:|---|---|',
    ...rows.map((r) => `| ${r.run ?? '–'} | ${label(r)} | ${r.protocol} | ${f1(r.pss_kb_per_session)} | ${f1(r.heap_kb_per_session)} | ${mb(r.before.pss_kb)} → ${mb(r.with.pss_kb)} | ${arena(r.before)} → ${arena(r.with)} |`),
    '',
  ].join('\n');
}

/** `A=1,B=2` → { A: '1', B: '2' } (the --fixed-env option); an entry without "=" is an error. */
export function parseEnv(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of spec.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`--fixed-env: "${part}" is not NAME=VALUE`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** The config of a server measured with `sessions` idle sessions (bench:sessions, bench/idle): the default filters
 * with the lab's DNSBL, room for every session from one address, and a login queue that takes them all. */
export function idleSessionsToml(sessions: number): string {
  const room = sessions + 100;
  return [
    tegamiFilterToml(),
    '[smtp]',
    `max_connections = ${room}`,
    `max_connections_per_ip = ${room}`,
    '[imap]',
    `max_connections = ${room}`,
    `max_connections_per_ip = ${room}`,
    '[auth]',
    'max_queued_hashes = 1000',
  ].join('\n');
}
