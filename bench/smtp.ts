// `npm run bench:smtp` (never run by `npm test`): the same SMTP load against tegami as users run it (the
// default configuration: spam filtering on, connection checks judging the load like any stranger's, every DNS
// question answered by the lab's stand-in DNS), tegami with filtering off, a private Postfix + rspamd (milter)
// → Maildir, a private Postfix → Maildir with no filter, and Postfix's smtp-sink (speed of light). Modes: 5 KB
// over 20 persistent connections, a new connection per message, and 100 KB messages. Each mode runs in rounds:
// every target once per round, interleaved (A B C D E, B C D E A, …, the order rotated), each round a share of
// the messages, so a burst of a neighbour's work on the shared machine hits one round of every target, not one
// target; figures are medians of the rounds, ratios medians of same-round ratios (bench/smtp-rounds.ts). Prints
// msgs/s, p50/p99/p99.9 (HDR, rounds merged) and the ratios issue 16 sets goals for; writes JSON + Markdown into
// reports/. Each figure
// comes from the lab's Node load generator (per-message latency; a new sender per message, so no per-sender
// cache hides the connection checks) and, when installed, from Postfix's smtp-source (one fixed sender).
//
//   npm run bench:smtp -- [--messages 5000] [--rounds 5] [--connections 20] [--only tegami,tegami-filters-off,postfix+rspamd,postfix,smtp-sink]
//                         [--out reports] [--cpu-prof DIR]   (profiles the tegami servers and their workers)
//                         [--scrape-metrics MS]   (adds "tegami+scrape": filters off, GET /metrics every MS ms during its runs)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runLoad, type LoadResult } from '../lab/load/generator.js';
import { maildirObserver } from '../lab/load/observers.js';
import { machineInfo } from '../lab/report/model.js';
import { reportBaseName } from '../lab/report/write.js';
import { freePort, hasCommand, type RunningTarget } from '../lab/targets/common.js';
import { startTegami, REPO_ROOT } from '../lab/targets/tegami.js';
import { startSmtpSink, smtpSinkAvailable } from '../lab/targets/smtp-sink.js';
import { startPostfix, postfixAvailable } from '../lab/targets/postfix.js';
import { startPostfixRspamd, postfixRspamdAvailable } from '../lab/targets/postfix-rspamd.js';
import { LOAD_DOMAIN, startLabDns, tegamiFilterToml } from '../lab/targets/lab-dns.js';
import { aggregate, perRound, rotation, type Figure, type RoundFigure } from './smtp-rounds.js';
import { ratioCell, reportMarkdown } from './smtp-report.js';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const N = Number(opt('messages', '5000'));
const CONNS = Number(opt('connections', '20'));
/** Rounds per mode: 5 keeps the run as long as the single pass it replaced at --messages 5000 (the same messages
 * in all, a fifth per round; 200 per round of 100 KB) and gives a median that is one round's own figure. */
const ROUNDS = Math.max(1, Math.floor(Number(opt('rounds', '5'))) || 5);
/** Older names still work: "tegami+filters" was the filtering tegami, now the headline "tegami". */
const ALIASES: Record<string, string> = { 'tegami+filters': 'tegami' };
const ONLY = new Set(opt('only', 'tegami,tegami-filters-off,postfix+rspamd,postfix,smtp-sink').split(',').map((x) => ALIASES[x] ?? x));
const OUT = path.resolve(opt('out', path.join(REPO_ROOT, 'reports')));
const SCRAPE_MS = Number(opt('scrape-metrics', '0'));
if (SCRAPE_MS > 0) ONLY.add('tegami+scrape');
/** Scrapes of tegami+scrape's /metrics: count, failures and total time. */
const scrapes = { count: 0, failed: 0, ms: 0, bytes: 0 };
const CPU_PROF = process.argv.includes('--cpu-prof') ? path.resolve(opt('cpu-prof', path.join(OUT, 'profiles'))) : undefined;
const RCPT = 'alice@example.test';
/** The lab client's sender: a new one per message ("{n}" = its index). */
const LOAD_FROM = `load-{n}@${LOAD_DOMAIN}`;

interface Mode {
  id: string;
  label: string;
  size: number;
  messages: number;
  newConnection: boolean;
}

const MODES: Mode[] = [
  { id: '5k-persistent', label: `5 KB × ${CONNS} connections`, size: 5 * 1024, messages: N, newConnection: false },
  { id: '5k-new-connection', label: `5 KB, new connection per message, ${CONNS} at a time`, size: 5 * 1024, messages: Math.ceil(N / 2), newConnection: true },
  { id: '100k-persistent', label: `100 KB × ${CONNS} connections`, size: 100 * 1024, messages: Math.ceil(N / 5), newConnection: false },
];

/** Postfix's smtp-source: msgs/s only (it reports no latency). */
function smtpSource(t: RunningTarget, m: Mode): Promise<number | undefined> {
  if (!hasCommand('/usr/sbin/smtp-source')) return Promise.resolve(undefined);
  const payload = Math.max(1, m.size - 300);
  const args = ['-s', String(CONNS), '-m', String(m.messages), '-l', String(payload), '-f', `load@${LOAD_DOMAIN}`, '-t', RCPT, '-M', 'bench.lab.example.test', ...(m.newConnection ? [] : ['-d']), `127.0.0.1:${t.port}`];
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn('/usr/sbin/smtp-source', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 300_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      const s = (performance.now() - t0) / 1000;
      if (code !== 0) {
        console.error(`  smtp-source against ${t.name} failed: ${err.trim().split('\n').pop()}`);
        resolve(undefined);
      } else resolve(Math.round((m.messages / s) * 10) / 10);
    });
  });
}

function countDelivered(t: RunningTarget): number {
  if (!t.maildir) return 0;
  const m = t.maildir(RCPT);
  let n = 0;
  // tegami files spam in .Spam: a message judged spam is delivered all the same
  for (const dir of [path.join(m, 'new'), path.join(m, 'cur'), path.join(m, '.Spam', 'new'), path.join(m, '.Spam', 'cur')]) {
    try {
      n += fs.readdirSync(dir).length;
    } catch {
      /* not yet */
    }
  }
  return n;
}

async function waitDelivered(t: RunningTarget, count: number, timeoutMs: number): Promise<void> {
  if (!t.maildir) return;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (countDelivered(t) >= count) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const users = [{ address: RCPT, password: 'bench-password-1' }];

async function startAll(dnsAddress: string): Promise<RunningTarget[]> {
  const out: RunningTarget[] = [];
  const attempt = async (name: string, start: () => Promise<RunningTarget>) => {
    if (!ONLY.has(name)) return;
    try {
      out.push(await start());
    } catch (e) {
      console.error(`${name}: ${(e as Error).message}; skipped`);
    }
  };
  const prof = (name: string) => (CPU_PROF ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${path.join(CPU_PROF, name)}`] } : {});
  // "tegami" is what users run: the default configuration, filters on, judged like a stranger (no local_networks),
  // DNSBL/SPF/rDNS/HELO/DMARC asked of the stand-in DNS
  await attempt('tegami', async () => {
    const t = await startTegami({ users, dnsServers: [dnsAddress], toml: tegamiFilterToml(), ...prof('tegami') });
    return { ...t, describe: `${t.describe}; default configuration (spam filtering on, connection checks on loopback too: [spam] local_networks = [], one DNSBL), DNS ${dnsAddress}` };
  });
  await attempt('tegami-filters-off', async () => {
    const t = await startTegami({ users, dnsServers: [dnsAddress], toml: '[spam]\nenabled = false\n', ...prof('tegami-filters-off') });
    return { ...t, name: 'tegami-filters-off', describe: `${t.describe}; [spam] enabled = false` };
  });
  await attempt('postfix+rspamd', async () => {
    const a = postfixRspamdAvailable();
    if (!a.ok) throw new Error(a.reason);
    return startPostfixRspamd({ users: [RCPT], dns: dnsAddress });
  });
  await attempt('tegami+scrape', async () => {
    const metricsPort = await freePort();
    const t = await startTegami({ users, dnsServers: [dnsAddress], toml: '[spam]\nenabled = false\n', listen: { metrics: metricsPort }, ...prof('tegami+scrape') });
    return { ...t, name: 'tegami+scrape', describe: `${t.describe}; [spam] enabled = false, /metrics scraped every ${SCRAPE_MS || 100} ms during its runs`, metricsPort } as RunningTarget;
  });
  await attempt('postfix', async () => {
    const a = postfixAvailable();
    if (!a.ok) throw new Error(a.reason);
    return startPostfix({ users: [RCPT] });
  });
  await attempt('smtp-sink', async () => {
    if (!smtpSinkAvailable()) throw new Error('not installed (apt-get install postfix)');
    return startSmtpSink();
  });
  return out;
}

/** GET /metrics every `ms` until stopped (the scraping a busy Prometheus setup would do, ten times over). */
function scrapeEvery(port: number, ms: number): () => Promise<void> {
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const t0 = performance.now();
      try {
        const r = await fetch(`http://127.0.0.1:${port}/metrics`);
        scrapes.bytes += (await r.text()).length;
        if (!r.ok) scrapes.failed++;
      } catch {
        scrapes.failed++;
      }
      scrapes.count++;
      scrapes.ms += performance.now() - t0;
      await new Promise((r) => setTimeout(r, ms));
    }
  })();
  return async () => {
    stop = true;
    await loop;
  };
}

const load1 = () => Math.round(os.loadavg()[0] * 100) / 100;

/** One target's run of one mode in one round: the lab client, then smtp-source, each waited out to the Maildir. */
async function runRound(t: RunningTarget, m: Mode, round: number, delivered: Map<string, number>): Promise<RoundFigure> {
  const observer = t.maildir ? maildirObserver(t.maildir(RCPT)) : undefined;
  const metricsPort = (t as RunningTarget & { metricsPort?: number }).metricsPort;
  const stopScraping = metricsPort ? scrapeEvery(metricsPort, SCRAPE_MS || 100) : null;
  const before = load1();
  const res: LoadResult = await runLoad(
    { name: t.name, host: t.host, port: t.port, pid: t.pid, pids: t.pids, observer },
    { mode: 'closed', connections: CONNS, messages: m.messages, durationMs: 240_000, size: m.size, newConnectionPerMessage: m.newConnection, from: LOAD_FROM, to: [RCPT], phaseHdr: true },
  );
  await stopScraping?.();
  delivered.set(t.name, (delivered.get(t.name) ?? 0) + res.accepted);
  // let the target finish delivering before anything else runs, so modes, rounds and tools do not overlap
  await waitDelivered(t, delivered.get(t.name)!, 120_000);
  const src = await smtpSource(t, m);
  if (src !== undefined) {
    delivered.set(t.name, delivered.get(t.name)! + m.messages);
    await waitDelivered(t, delivered.get(t.name)!, 120_000);
  }
  const f: RoundFigure = {
    round,
    msgs_per_s: res.msgs_per_s,
    smtp_source_msgs_per_s: src,
    p50: res.latency.p50,
    p99: res.latency.p99,
    p999: res.latency.p999,
    latency_hdr: res.latency.hdr,
    phase_hdr: Object.fromEntries((['mail', 'rcpt', 'data'] as const).flatMap((p) => (res.phases[p]?.hdr ? [[p, res.phases[p]!.hdr!]] : []))),
    errors: res.errors,
    delivered_p50: res.phases.delivered?.p50,
    delivered_missing: res.deliveredMissing,
    cpu_percent: res.process?.cpuPercent,
    max_rss_mb: res.process?.maxRssMb,
    load_before: before,
    load_after: load1(),
  };
  console.log(
    `  ${String(round + 1).padStart(2)} ${t.name.padEnd(18)} ${String(f.msgs_per_s).padStart(9)} msgs/s  p50 ${f.p50} ms  p99 ${f.p99} ms  p99.9 ${f.p999} ms` +
      `${src !== undefined ? `  | smtp-source ${src} msgs/s` : ''}${Object.keys(f.errors).length ? `  errors ${JSON.stringify(f.errors)}` : ''}` +
      `${f.delivered_missing ? `  (${f.delivered_missing} not seen delivered)` : ''}  CPU ${f.cpu_percent ?? '–'} %  load ${f.load_before}→${f.load_after}`,
  );
  return f;
}

async function main(): Promise<void> {
  console.log(`bench:smtp — ${N} messages per mode base in ${ROUNDS} rounds, ${CONNS} connections; machine ${machineInfo().cpus} × ${machineInfo().cpu_model}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const dns = await startLabDns();
  const targets = await startAll(dns.address);
  // Ctrl-C: stop what we started (tegami, smtp-sink, the private Postfix and rspamd) before leaving
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      void Promise.allSettled([...targets.map((t) => t.stop()), dns.close()]).then(() => process.exit(130), () => process.exit(130));
    });
  const figures: Figure[] = [];
  const roundLoads: Record<string, Array<{ round: number; before: number; after: number }>> = {};
  const delivered = new Map<string, number>();
  const loadStart = load1();
  const modes = MODES.map((m) => ({ ...m, messages: perRound(m.messages, ROUNDS) }));
  try {
    // warm-up, not measured: JIT, worker threads, caches and connection paths of every target
    const warm: Mode = { id: 'warm-up', label: 'warm-up', size: 5 * 1024, messages: Math.min(1000, N), newConnection: false };
    for (const t of targets) {
      const src = await smtpSource(t, warm);
      if (src !== undefined) {
        delivered.set(t.name, (delivered.get(t.name) ?? 0) + warm.messages);
        await waitDelivered(t, delivered.get(t.name)!, 120_000);
      }
    }
    for (const m of modes) {
      console.log(`\n== ${m.label} (${ROUNDS} rounds × ${m.messages} messages)`);
      const rounds = new Map<string, RoundFigure[]>(targets.map((t) => [t.name, []]));
      roundLoads[m.id] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const before = load1();
        for (const t of rotation(targets, r)) rounds.get(t.name)!.push(await runRound(t, m, r, delivered));
        roundLoads[m.id].push({ round: r, before, after: load1() });
      }
      const mine = targets.map((t) => aggregate(t.name, m.id, rounds.get(t.name)!));
      figures.push(...mine);
      for (const f of mine)
        console.log(`${f.target.padEnd(18)} median ${f.msgs_per_s} msgs/s (${f.msgs_per_s_min}–${f.msgs_per_s_max})  p99 ${f.p99} ms  p99.9 ${f.p999} ms${f.smtp_source_msgs_per_s ? `  | smtp-source ${f.smtp_source_msgs_per_s} (${f.smtp_source_min}–${f.smtp_source_max})` : ''}`);
      const by = (n: string) => mine.find((x) => x.target === n);
      const tg = by('tegami');
      const scraped = by('tegami+scrape');
      const unscraped = by('tegami-filters-off');
      if (unscraped && scraped) console.log(`tegami+scrape / tegami-filters-off: ${ratioCell(scraped, unscraped, 'msgs_per_s')} msgs/s`);
      if (tg) {
        for (const other of ['tegami-filters-off', 'postfix+rspamd', 'postfix', 'smtp-sink']) {
          const o = by(other);
          if (o) console.log(`tegami / ${other}: ${ratioCell(tg, o, 'msgs_per_s')} msgs/s (lab client)${tg.smtp_source_msgs_per_s ? `, ${ratioCell(tg, o, 'smtp_source_msgs_per_s')} (smtp-source)` : ''}`);
        }
      }
    }
  } finally {
    for (const t of targets) await t.stop();
    await dns.close();
  }
  const loadEnd = load1();
  const stamp = new Date();
  const base = path.join(OUT, reportBaseName('bench-smtp', stamp));
  fs.mkdirSync(OUT, { recursive: true });
  const json = {
    kind: 'tegami-bench-smtp',
    generated_at: stamp.toISOString(),
    machine: machineInfo(),
    load_average: { start: loadStart, end: loadEnd, rounds: roundLoads },
    messages: N,
    rounds: ROUNDS,
    connections: CONNS,
    /** messages: per round, of each target (and as many again with smtp-source, when installed). */
    modes,
    targets: targets.map((t) => ({ name: t.name, describe: t.describe })),
    figures,
    scrapes: SCRAPE_MS > 0 ? { every_ms: SCRAPE_MS, ...scrapes, mean_ms: scrapes.count ? Math.round((scrapes.ms / scrapes.count) * 100) / 100 : null } : undefined,
    dns_queries: dns.queries.length,
  };
  if (json.scrapes) console.log(`/metrics scrapes: ${scrapes.count} (${scrapes.failed} failed), mean ${json.scrapes.mean_ms} ms, ${Math.round(scrapes.bytes / Math.max(1, scrapes.count))} bytes each`);
  fs.writeFileSync(`${base}.json`, JSON.stringify(json, null, 2) + '\n');
  const md = reportMarkdown({
    generatedAt: stamp.toISOString(),
    machine: json.machine,
    connections: CONNS,
    rounds: ROUNDS,
    loadStart,
    loadEnd,
    dnsQueries: dns.queries.length,
    targets: json.targets,
    modes,
    figures,
    roundLoads,
    scrapeMs: SCRAPE_MS || undefined,
  });
  fs.writeFileSync(`${base}.md`, md.join('\n') + '\n');
  console.log(`\nwrote ${base}.json\n      ${base}.md`);
}
main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench:smtp: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
