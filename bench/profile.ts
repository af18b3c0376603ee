// `node dist/bench/profile.js` (never run by `npm test`): tegami's default path under bench load with V8's
// CPU profiler on the server's main thread and every worker thread (node --cpu-prof), then a text summary of
// the top frames and a flame graph (SVG) per thread. The raw .cpuprofile files open in Chrome DevTools.
//
//   node dist/bench/profile.js [--messages 3000] [--connections 20] [--filters on|off] [--out reports/sample/profiles]
//                              [--trained]   (Bayes learns 20 ham and 20 spam first: it votes and tokenises; bench/bayes-seed.ts)
//                              [--size BYTES]   (only messages of that size × 20 connections, --messages of them, into <out>/<name>-<size>)
//                              [--new-connection]   (with --size: every message on a connection of its own, into <out>/<name>-<size>-new)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad } from '../lab/load/generator.js';
import { startTegami, REPO_ROOT } from '../lab/targets/tegami.js';
import { LOAD_DOMAIN, startLabDns, tegamiFilterToml } from '../lab/targets/lab-dns.js';
import { flameSvg, topFrames, type CpuProfile } from './cpuprofile.js';
import { seedBayes } from './bayes-seed.js';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const N = Number(opt('messages', '3000'));
const CONNS = Number(opt('connections', '20'));
const FILTERS = opt('filters', 'on') !== 'off';
/** --size: one load of that message size only (the 100 KB path: --size 102400). */
const ONLY_SIZE = Number(opt('size', '0'));
const TRAINED = process.argv.includes('--trained');
const NEW_CONN = ONLY_SIZE > 0 && process.argv.includes('--new-connection');
const OUT = path.resolve(opt('out', path.join(REPO_ROOT, 'reports', 'sample', 'profiles')));
const RCPT = 'alice@example.test';

const ms = (v: number) => v.toFixed(0).padStart(7);

async function main(): Promise<void> {
  const name = (FILTERS ? 'default' : 'filters-off') + (ONLY_SIZE ? `-${ONLY_SIZE}` : '') + (NEW_CONN ? '-new' : '') + (TRAINED ? '-trained' : '');
  const raw = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-prof-'));
  const dns = await startLabDns();
  const t = await startTegami({
    users: [{ address: RCPT, password: 'bench-password-1' }],
    dnsServers: [dns.address],
    toml: FILTERS ? tegamiFilterToml() : '[spam]\nenabled = false\n',
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${raw}`],
  });
  if (TRAINED) seedBayes(t.dataDir, ONLY_SIZE || 5120, LOAD_DOMAIN, RCPT);
  const loadAvg = [os.loadavg()[0]];
  try {
    // senders named per run as well as per message: each run numbers its messages from 0, and a sender seen in the
    // last 60 s has its connection checks from a cache (smtp-cpu.ts says more)
    const spec = (run: string) => ({ mode: 'closed' as const, connections: CONNS, from: `load-${run}-{n}@${LOAD_DOMAIN}`, to: [RCPT], durationMs: 240_000 });
    await runLoad({ name: t.name, host: t.host, port: t.port }, { ...spec('warm'), messages: Math.min(500, N), size: 5120 });
    const loads: ReadonlyArray<readonly [number, number, boolean]> = ONLY_SIZE ? [[ONLY_SIZE, N, NEW_CONN]] : [[5120, N, false], [5120, Math.ceil(N / 4), true], [100 * 1024, Math.ceil(N / 5), false]];
    for (const [size, n, conn] of loads) {
      const r = await runLoad({ name: t.name, host: t.host, port: t.port }, { ...spec(`${size}${conn ? 'n' : ''}`), messages: n, size, newConnectionPerMessage: conn });
      console.log(`${size} B${conn ? ' new connection' : ''}: ${r.msgs_per_s} msgs/s, p99 ${r.latency.p99} ms, errors ${JSON.stringify(r.errors)}`);
    }
    loadAvg.push(os.loadavg()[0]);
  } finally {
    await t.stop();
    await dns.close();
  }
  const files = fs.readdirSync(raw).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) throw new Error(`no .cpuprofile written in ${raw}`);
  const dir = path.join(OUT, name);
  fs.mkdirSync(dir, { recursive: true });
  const md: string[] = [
    `# CPU profile of tegami's ${FILTERS ? `default path (filters on${TRAINED ? ', Bayes trained: it tokenises every message' : ''})` : 'path with filters off'} — ${new Date().toISOString()}`,
    '',
    `Load: warm-up, then ${ONLY_SIZE ? `${ONLY_SIZE} B × ${CONNS}${NEW_CONN ? ', a new connection per message' : ''} (${N} messages)` : `5 KB × ${CONNS} connections (${N} messages), 5 KB with a new connection per message (${Math.ceil(N / 4)}), 100 KB × ${CONNS} (${Math.ceil(N / 5)})`}, from the lab client on the same machine; load average ${loadAvg.map((x) => x.toFixed(1)).join(' → ')} on 2 cores.`,
    'One profile per thread (the main thread: SMTP, spool, queue; each piscina worker: analyse, route, Maildir). Self = time in the function itself; total = with what it calls.',
    '',
  ];
  // the main thread's profile is the one whose file has the lowest thread id (…-<pid>-<tid>.cpuprofile; 0 = main)
  const tid = (f: string) => Number(/\.(\d+)\.cpuprofile$/.exec(f)?.[1] ?? /-(\d+)\.cpuprofile$/.exec(f)?.[1] ?? 0);
  const sorted = files.map((f) => ({ f, p: JSON.parse(fs.readFileSync(path.join(raw, f), 'utf8')) as CpuProfile })).sort((a, b) => a.p.startTime - b.p.startTime || tid(a.f) - tid(b.f));
  sorted.forEach(({ f, p }, i) => {
    const label = i === 0 ? 'main' : `worker-${i}`;
    const s = topFrames(p);
    fs.copyFileSync(path.join(raw, f), path.join(dir, `${label}.cpuprofile`));
    fs.writeFileSync(path.join(dir, `${label}.svg`), flameSvg(p, `tegami ${name}: ${label} thread (${f})`));
    md.push(`## ${label} thread (${f})`, '', `wall ${ms(s.wallMs).trim()} ms, busy (not idle) ${ms(s.busyMs).trim()} ms. Flame graph: [${label}.svg](${label}.svg).`, '');
    md.push('By area (self time):', '', '| area | self ms | share of busy |', '|---|---:|---:|');
    for (const a of s.areas.slice(0, 12)) md.push(`| ${a.area} | ${ms(a.selfMs)} | ${((a.selfMs / Math.max(1, s.busyMs)) * 100).toFixed(1)}% |`);
    md.push('', 'Top frames by self time:', '', '| self ms | total ms | frame | area |', '|---:|---:|---|---|');
    for (const fr of s.frames.filter((x) => x.frame !== '(idle)').slice(0, 25)) md.push(`| ${ms(fr.selfMs)} | ${ms(fr.totalMs)} | \`${fr.frame}\` | ${fr.area} |`);
    md.push('', 'Top tegami frames by total time:', '', '| total ms | self ms | frame |', '|---:|---:|---|');
    for (const fr of s.frames.filter((x) => x.area.startsWith('tegami')).sort((a, b) => b.totalMs - a.totalMs).slice(0, 20)) md.push(`| ${ms(fr.totalMs)} | ${ms(fr.selfMs)} | \`${fr.frame}\` |`);
    md.push('');
  });
  fs.writeFileSync(path.join(dir, 'summary.md'), md.join('\n') + '\n');
  fs.rmSync(raw, { recursive: true, force: true });
  console.log(`wrote ${dir}/summary.md and ${sorted.length} profiles + flame graphs`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench:profile: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
