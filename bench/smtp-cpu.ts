// `node dist/bench/smtp-cpu.js` (never run by `npm test`): CPU per message of a real `tegami serve`, thread by
// thread (its main thread, its piscina workers, V8's compiler/GC threads, and the rest: libuv's pool, whose
// fs calls — fsync, open, rename — are most of it),
// from /proc/<pid>/task/<tid>/schedstat before and after a closed-loop SMTP load. Threads are told apart by a
// preload (node --require, which worker threads inherit) that writes each JavaScript thread's id and kind; the
// threads that exist before any JavaScript ran are V8's platform pool (libuv's pool starts on its first use).
// CPU time, not msgs/s: on a shared machine it moves less. Never run by tests.
//
//   node dist/bench/smtp-cpu.js [--messages 2000] [--connections 20] [--size 5120] [--filters on|off] [--rounds 1]
//                               [--trained]   (Bayes learns 20 ham and 20 spam first, so it votes and tokenises
//                                              every message, as on an install whose users have filed some mail)
//                               [--sender message|fixed|domain] [--client lab|smtp-source] [--new-connection]
// --perf: the server runs with --perf-basic-prof-only-functions and its pid is printed, for `perf record -p`
// --new-connection: every message on a connection of its own (bench:smtp's second mode; smtp-source without -d)
// --sender: a new address per message in the load's domain (bench:smtp's lab client, the default), one fixed
// address (smtp-source's way), or a new sender domain per message (d<n>.<run>.lab.example.test, answered by
// wildcard records like the load's domain: SPF, MX, DMARC all asked anew). Each round also prints the questions
// the stand-in DNS saw per message, by type, and the stand-in DNS's own CPU (it shares this process).
// --client smtp-source: Postfix's C client sends the measured rounds (bench:smtp's second column: one fixed
// sender, a body of "X" lines), the lab client only the warm-up.
// --loop: each round also prints the main thread's event-loop delay (perf_hooks monitorEventLoopDelay, 1 ms
// resolution: p50/p99/p99.9/max) and every thread's garbage-collector pauses (PerformanceObserver 'gc': count, sum,
// max, by kind) during the round — what a message in flight waits for besides the queue.
// --node-args "…": Node options for the server (e.g. "--max-semi-space-size=32"), to compare heap settings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad } from '../lab/load/generator.js';
import { seedBayes } from './bayes-seed.js';
import { startTegami } from '../lab/targets/tegami.js';
import { LOAD_DOMAIN, startLabDns, tegamiFilterToml } from '../lab/targets/lab-dns.js';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const N = Number(opt('messages', '2000'));
const CONNS = Number(opt('connections', '20'));
const SIZE = Number(opt('size', '5120'));
const FILTERS = opt('filters', 'on') !== 'off';
const ROUNDS = Number(opt('rounds', '1'));
const TRAINED = process.argv.includes('--trained');
const SENDER = opt('sender', 'message');
const CLIENT = opt('client', 'lab');
const NEW_CONN = process.argv.includes('--new-connection');
const PERF = process.argv.includes('--perf');
const LOOP = process.argv.includes('--loop');
const NODE_ARGS = opt('node-args', '').split(/\s+/).filter(Boolean);
if (!['message', 'fixed', 'domain'].includes(SENDER)) throw new Error(`--sender: message, fixed or domain, not ${SENDER}`);
const RCPT = 'alice@example.test';

/** The preload: "main <tid>" / "worker <tid>" for each JavaScript thread, "v8 <tid>" for the threads before them. */
const TAG_SOURCE = `
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');
const file = process.env.TEGAMI_BENCH_TIDS;
const tid = file && /\\/task\\/(\\d+)$/.exec(fs.readlinkSync('/proc/thread-self'))?.[1];
if (tid) {
  fs.appendFileSync(file, (isMainThread ? 'main ' : 'worker ') + tid + '\\n');
  if (isMainThread) for (const t of fs.readdirSync('/proc/self/task')) if (t !== tid) fs.appendFileSync(file, 'v8 ' + t + '\\n');
}
const loopFile = process.env.TEGAMI_BENCH_LOOP;
if (loopFile) {
  // every thread: its GC pauses as "<thread> <kind> <epoch ms> <ms>" lines, appended every 200 ms
  const { PerformanceObserver, performance, monitorEventLoopDelay, constants: k } = require('node:perf_hooks');
  const kinds = { [k.NODE_PERFORMANCE_GC_MINOR]: 'scavenge', [k.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact', [k.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [k.NODE_PERFORMANCE_GC_WEAKCB]: 'weak' };
  const who = isMainThread ? 'main' : 'worker' + require('node:worker_threads').threadId;
  let lines = '';
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) lines += who + ' ' + (kinds[e.detail?.kind] ?? 'other') + ' ' + (performance.timeOrigin + e.startTime).toFixed(1) + ' ' + e.duration.toFixed(3) + '\\n';
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => { if (lines) { fs.appendFileSync(loopFile + '.gc', lines); lines = ''; } }, 200).unref();
  if (isMainThread) {
    // SIGUSR2: the event-loop delay since the last signal (ms), then start again
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    process.on('SIGUSR2', () => {
      const ms = (n) => (n / 1e6).toFixed(2);
      fs.writeFileSync(loopFile, [ms(h.percentile(50)), ms(h.percentile(99)), ms(h.percentile(99.9)), ms(h.max), h.count].join(' '));
      h.reset();
    });
  }
}
`;

/** The main thread's event-loop delay since the last call (SIGUSR2 to the server, answered in a file). */
async function loopDelay(pid: number, file: string): Promise<string> {
  fs.rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 50));
  const [p50, p99, p999, max, n] = fs.readFileSync(file, 'utf8').split(' ');
  return `loop delay p50 ${p50} p99 ${p99} p99.9 ${p999} max ${max} ms (${n} samples)`;
}

/** GC pauses of every thread between `from` and `to` (epoch ms), from the preload's lines. */
function gcPauses(file: string, from: number, to: number): string {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 'gc: none seen';
  }
  const by = new Map<string, { n: number; sum: number; max: number }>();
  for (const l of text.split('\n')) {
    const [who, kind, at, ms] = l.split(' ');
    if (!ms || Number(at) < from || Number(at) > to) continue;
    const key = `${who.startsWith('worker') ? 'workers' : who} ${kind}`;
    const g = by.get(key) ?? { n: 0, sum: 0, max: 0 };
    g.n++;
    g.sum += Number(ms);
    g.max = Math.max(g.max, Number(ms));
    by.set(key, g);
  }
  return [...by].sort().map(([k, g]) => `${k} ${g.n}× sum ${g.sum.toFixed(1)} max ${g.max.toFixed(2)} ms`).join('; ') || 'gc: none';
}

/** CPU ns of every thread of `pid`, by tid. */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(t, Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

/** N messages by Postfix's smtp-source (one sender, CONNS connections kept open), in the shape runLoad reports. */
async function smtpSource(host: string, port: number, from: string) {
  const { spawn } = await import('node:child_process');
  const started = Date.now();
  const args = ['-s', String(CONNS), '-m', String(N), '-l', String(SIZE), '-f', from, '-t', RCPT, '-M', 'bench.lab.example.test', ...(NEW_CONN ? [] : ['-d']), `${host}:${port}`];
  const p = spawn('/usr/sbin/smtp-source', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
  if (code !== 0) throw new Error(`smtp-source: exit ${code}: ${err.trim()}`);
  const s = (Date.now() - started) / 1000;
  return { accepted: N, msgs_per_s: Math.round(N / s), latency: { p50: NaN, p99: NaN }, errors: {} as Record<string, number> };
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-cpu-'));
  const tids = path.join(tmp, 'tids');
  const tag = path.join(tmp, 'thread-tag.cjs');
  fs.writeFileSync(tag, TAG_SOURCE);
  process.env.TEGAMI_BENCH_TIDS = tids;
  const loopFile = path.join(tmp, 'loop');
  if (LOOP) process.env.TEGAMI_BENCH_LOOP = loopFile;
  const dns = await startLabDns();
  const t = await startTegami({
    users: [{ address: RCPT, password: 'bench-password-1' }],
    dnsServers: [dns.address],
    toml: FILTERS ? tegamiFilterToml() : '[spam]\nenabled = false\n',
    nodeArgs: ['--require', tag, ...NODE_ARGS, ...(PERF ? ['--perf-basic-prof-only-functions'] : [])],
  });
  if (PERF) console.log(`server pid ${t.pid}`);
  if (TRAINED) seedBayes(t.dataDir, SIZE, LOAD_DOMAIN, RCPT);
  try {
    const target = { name: t.name, host: t.host, port: t.port };
    // a sender per message and per run: the load generator numbers each run's messages from 0, and the connection
    // checks keep a result per (client, HELO, sender) for 60 s, so runs reusing the same senders were judged from
    // that cache and measured no connection checks on the main thread (before smtpperf8)
    const from = (run: string) =>
      SENDER === 'fixed' ? `load-${run}@${LOAD_DOMAIN}` : SENDER === 'domain' ? `load@d{n}.${run}.${LOAD_DOMAIN}` : `load-${run}-{n}@${LOAD_DOMAIN}`;
    const spec = (run: string) => ({ mode: 'closed' as const, connections: CONNS, from: from(run), to: [RCPT], durationMs: 600_000, size: SIZE, newConnectionPerMessage: NEW_CONN });
    if (SENDER === 'domain') {
      // every d<n>.<run>.lab.example.test: the load domain's SPF, MX and A by wildcard (so no DMARC record of
      // its own: DMARC asks _dmarc.d<n>… and then the organisational domain's, _dmarc.example.test)
      for (const run of ['warm', ...Array.from({ length: ROUNDS }, (_, i) => `r${i + 1}`)]) {
        dns.add([
          { name: `*.${run}.${LOAD_DOMAIN}`, type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' },
          { name: `*.${run}.${LOAD_DOMAIN}`, type: 'MX', data: `10 mx.${LOAD_DOMAIN}` },
          { name: `*.${run}.${LOAD_DOMAIN}`, type: 'A', data: '127.0.0.1' },
        ]);
      }
    }
    await runLoad(target, { ...spec('warm'), messages: Math.min(1000, N) });
    for (let round = 0; round < ROUNDS; round++) {
      // --perf: a line to start `perf record -p` on, so that the profile holds no start-up and no warm-up
      if (PERF) console.log(`round ${round + 1} starts`);
      const before = threadCpu(t.pid!);
      const load0 = os.loadavg()[0];
      const asked0 = dns.queries.length;
      const own0 = process.cpuUsage();
      if (LOOP) await loopDelay(t.pid!, loopFile);
      const t0 = Date.now();
      const r = CLIENT === 'smtp-source' ? await smtpSource(t.host, t.port, `load-r${round + 1}@${LOAD_DOMAIN}`) : await runLoad(target, { ...spec(`r${round + 1}`), messages: N });
      const after = threadCpu(t.pid!);
      const loop = LOOP ? `\n  ${await loopDelay(t.pid!, loopFile)}\n  ${(await new Promise((r) => setTimeout(r, 300)), gcPauses(loopFile + '.gc', t0, Date.now()))}` : '';
      // this process: the load client and the stand-in DNS (not told apart; run --filters off for the client alone)
      const own = process.cpuUsage(own0);
      const asked = new Map<string, number>();
      for (const q of dns.queries.slice(asked0)) asked.set(q.type, (asked.get(q.type) ?? 0) + 1);
      const askedText = [...asked].map(([type, n]) => `${type} ${(n / r.accepted).toFixed(3)}`).join(', ') || 'none';
      const kinds = new Map(
        fs
          .readFileSync(tids, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(' ').reverse() as [string, string]),
      );
      const sums = { main: 0, worker: 0, v8: 0, other: 0 };
      for (const [tid, ns] of after) {
        const d = ns - (before.get(tid) ?? 0);
        const k = (kinds.get(tid) ?? 'other') as keyof typeof sums;
        sums[k] += d;
      }
      const per = (ns: number) => (ns / 1e6 / r.accepted).toFixed(3);
      const total = sums.main + sums.worker + sums.v8 + sums.other;
      console.log(
        `${FILTERS ? (TRAINED ? 'on, trained' : 'on ') : 'off'} ${CLIENT === 'smtp-source' ? 'smtp-source' : SENDER} ${SIZE} B × ${CONNS}${NEW_CONN ? ' new conn' : ''}: ${r.accepted} accepted, ${r.msgs_per_s} msgs/s, p50 ${r.latency.p50} p99 ${r.latency.p99} ms; ` +
          `CPU ms/msg main ${per(sums.main)} workers ${per(sums.worker)} v8 ${per(sums.v8)} other ${per(sums.other)} total ${per(total)}; ` +
          `client+DNS ${per((own.user + own.system) * 1000)}; DNS questions/msg ${askedText}; load ${load0.toFixed(1)}→${os.loadavg()[0].toFixed(1)}` +
          `${Object.keys(r.errors).length ? ` errors ${JSON.stringify(r.errors)}` : ''}${loop}`,
      );
    }
  } finally {
    await t.stop();
    await dns.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench/smtp-cpu: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
