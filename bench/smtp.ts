// `npm run bench:smtp` (never run by `npm test`): the same SMTP load against tegami (durable spool, Maildir
// delivery), Postfix's smtp-sink (speed of light) and, where this machine can run one, a real Postfix on a
// high loopback port delivering to Maildir. Modes: 5 KB over 20 persistent connections, a new connection
// per message, and 100 KB messages. Prints msgs/s, p50/p99 (HDR) and ratios; writes JSON + Markdown
// into reports/. Each figure comes from the lab's Node load generator (per-message latency) and, when
// installed, from Postfix's smtp-source (a C client that steals less CPU from the targets).
//
//   npm run bench:smtp -- [--messages 5000] [--connections 20] [--only tegami,tegami+filters,smtp-sink,postfix] [--out reports]
//                         [--scrape-metrics MS]   (adds "tegami+scrape": tegami with GET /metrics every MS ms during its runs)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
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

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const N = Number(opt('messages', '5000'));
const CONNS = Number(opt('connections', '20'));
const ONLY = opt('only', 'tegami,tegami+filters,smtp-sink,postfix').split(',');
const OUT = path.resolve(opt('out', path.join(REPO_ROOT, 'reports')));
const SCRAPE_MS = Number(opt('scrape-metrics', '0'));
if (SCRAPE_MS > 0 && !ONLY.includes('tegami+scrape')) ONLY.push('tegami+scrape');
/** Scrapes of tegami+scrape's /metrics: count, failures and total time. */
const scrapes = { count: 0, failed: 0, ms: 0, bytes: 0 };
const RCPT = 'alice@example.test';

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

interface Figure {
  target: string;
  mode: string;
  msgs_per_s: number;
  p50: number;
  p99: number;
  p999: number;
  errors: Record<string, number>;
  delivered_p50?: number;
  delivered_p99?: number;
  delivered_missing?: number;
  cpu_percent?: number;
  max_rss_mb?: number;
  /** msgs/s measured with Postfix's smtp-source (same mode), when installed. */
  smtp_source_msgs_per_s?: number;
}

/** Postfix's smtp-source: msgs/s only (it reports no latency). */
function smtpSource(t: RunningTarget, m: Mode): Promise<number | undefined> {
  if (!hasCommand('/usr/sbin/smtp-source')) return Promise.resolve(undefined);
  const payload = Math.max(1, m.size - 300);
  const args = ['-s', String(CONNS), '-m', String(m.messages), '-l', String(payload), '-f', 'load@lab.example.test', '-t', RCPT, '-M', 'bench.lab.example.test', ...(m.newConnection ? [] : ['-d']), `127.0.0.1:${t.port}`];
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

async function waitDelivered(t: RunningTarget, count: number, timeoutMs: number): Promise<void> {
  if (!t.maildir) return;
  const dir = path.join(t.maildir(RCPT), 'new');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let n = 0;
    try {
      n = fs.readdirSync(dir).length;
    } catch {
      /* not yet */
    }
    if (n >= count) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startAll(): Promise<RunningTarget[]> {
  const out: RunningTarget[] = [];
  // "tegami" is the core path (accept → durable → Maildir), like Postfix with no content filter;
  // "tegami+filters" adds the spam analysis (DNSBL off, Bayes/phrase/HTML/URL/DKIM on) before the reply
  if (ONLY.includes('tegami')) out.push(await startTegami({ users: [{ address: RCPT, password: 'bench-password-1' }], toml: '[spam]\nenabled = false\n' }).catch((e: Error) => {
    console.error(`tegami: ${e.message}`);
    return undefined as never;
  }));
  if (ONLY.includes('tegami+filters')) {
    const t = await startTegami({ users: [{ address: RCPT, password: 'bench-password-1' }] }).catch((e: Error) => {
      console.error(`tegami+filters: ${e.message}`);
      return undefined;
    });
    if (t) out.push({ ...t, name: 'tegami+filters', describe: `${t.describe} with spam filtering on` });
  }
  if (ONLY.includes('tegami+scrape')) {
    const metricsPort = await freePort();
    const t = await startTegami({ users: [{ address: RCPT, password: 'bench-password-1' }], toml: '[spam]\nenabled = false\n', listen: { metrics: metricsPort } }).catch((e: Error) => {
      console.error(`tegami+scrape: ${e.message}`);
      return undefined;
    });
    if (t) out.push({ ...t, name: 'tegami+scrape', describe: `${t.describe}, /metrics scraped every ${SCRAPE_MS || 100} ms during its runs`, metricsPort } as RunningTarget);
  }
  if (ONLY.includes('smtp-sink')) {
    if (smtpSinkAvailable()) out.push(await startSmtpSink());
    else console.error('smtp-sink: not installed (apt-get install postfix); skipped');
  }
  if (ONLY.includes('postfix')) {
    const a = postfixAvailable();
    if (a.ok) out.push(await startPostfix({ users: [RCPT] }));
    else console.error(`postfix: ${a.reason}; skipped`);
  }
  return out.filter(Boolean);
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

function ratio(a: number | undefined, b: number | undefined): string {
  return a && b ? `${(a / b).toFixed(2)}×` : '–';
}

async function main(): Promise<void> {
  console.log(`bench:smtp — ${N} messages per mode base, ${CONNS} connections; machine ${machineInfo().cpus} × ${machineInfo().cpu_model}`);
  const targets = await startAll();
  // Ctrl-C: stop what we started (tegami, smtp-sink, the private Postfix) before leaving
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      // eslint-disable-next-line @typescript-eslint/no-floating-promises -- allSettled never rejects, and the exit follows it
      void Promise.allSettled(targets.map((t) => t.stop())).then(() => process.exit(130));
    });
  const figures: Figure[] = [];
  const delivered = new Map<string, number>();
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
    for (const m of MODES) {
      console.log(`\n== ${m.label} (${m.messages} messages)`);
      for (const t of targets) {
        const observer = t.maildir ? maildirObserver(t.maildir(RCPT)) : undefined;
        const metricsPort = (t as RunningTarget & { metricsPort?: number }).metricsPort;
        const stopScraping = metricsPort ? scrapeEvery(metricsPort, SCRAPE_MS || 100) : null;
        const res: LoadResult = await runLoad(
          { name: t.name, host: t.host, port: t.port, pid: t.pid, observer },
          { mode: 'closed', connections: CONNS, messages: m.messages, durationMs: 240_000, size: m.size, newConnectionPerMessage: m.newConnection, from: 'load@lab.example.test', to: [RCPT] },
        );
        await stopScraping?.();
        delivered.set(t.name, (delivered.get(t.name) ?? 0) + res.accepted);
        // let the target finish delivering before anything else runs, so modes and tools do not overlap
        await waitDelivered(t, delivered.get(t.name)!, 120_000);
        const src = await smtpSource(t, m);
        if (src !== undefined) {
          delivered.set(t.name, delivered.get(t.name)! + m.messages);
          await waitDelivered(t, delivered.get(t.name)!, 120_000);
        }
        const f: Figure = {
          target: t.name,
          mode: m.id,
          msgs_per_s: res.msgs_per_s,
          p50: res.latency.p50,
          p99: res.latency.p99,
          p999: res.latency.p999,
          errors: res.errors,
          delivered_p50: res.phases.delivered?.p50,
          delivered_p99: res.phases.delivered?.p99,
          delivered_missing: res.deliveredMissing,
          cpu_percent: res.process?.cpuPercent,
          max_rss_mb: res.process?.maxRssMb,
          smtp_source_msgs_per_s: src,
        };
        figures.push(f);
        console.log(
          `${t.name.padEnd(10)} ${String(f.msgs_per_s).padStart(9)} msgs/s  p50 ${f.p50} ms  p99 ${f.p99} ms` +
            `${src !== undefined ? `  | smtp-source ${src} msgs/s` : ''}${Object.keys(f.errors).length ? `  errors ${JSON.stringify(f.errors)}` : ''}` +
            `${f.delivered_missing ? `  (${f.delivered_missing} not seen delivered)` : ''}  CPU ${f.cpu_percent ?? '–'} %`,
        );
      }
      const by = (n: string) => figures.find((x) => x.mode === m.id && x.target === n);
      const tg = by('tegami');
      const scraped = by('tegami+scrape');
      if (tg && scraped) console.log(`tegami+scrape / tegami: ${ratio(scraped.msgs_per_s, tg.msgs_per_s)} msgs/s, p99 ${ratio(scraped.p99, tg.p99)}`);
      if (tg) {
        for (const other of ['postfix', 'smtp-sink']) {
          const o = by(other);
          if (o) console.log(`tegami / ${other}: ${ratio(tg.msgs_per_s, o.msgs_per_s)} msgs/s (lab client)${tg.smtp_source_msgs_per_s ? `, ${ratio(tg.smtp_source_msgs_per_s, o.smtp_source_msgs_per_s)} (smtp-source)` : ''}`);
        }
      }
    }
  } finally {
    for (const t of targets) await t.stop();
  }
  const stamp = new Date();
  const base = path.join(OUT, reportBaseName('bench-smtp', stamp));
  fs.mkdirSync(OUT, { recursive: true });
  const json = {
    kind: 'tegami-bench-smtp',
    generated_at: stamp.toISOString(),
    machine: machineInfo(),
    messages: N,
    connections: CONNS,
    modes: MODES,
    targets: targets.map((t) => ({ name: t.name, describe: t.describe })),
    figures,
    scrapes: SCRAPE_MS > 0 ? { every_ms: SCRAPE_MS, ...scrapes, mean_ms: scrapes.count ? Math.round((scrapes.ms / scrapes.count) * 100) / 100 : null } : undefined,
  };
  if (json.scrapes) console.log(`/metrics scrapes: ${scrapes.count} (${scrapes.failed} failed), mean ${json.scrapes.mean_ms} ms, ${Math.round(scrapes.bytes / Math.max(1, scrapes.count))} bytes each`);
  fs.writeFileSync(`${base}.json`, JSON.stringify(json, null, 2) + '\n');
  const md: string[] = [
    `# bench:smtp — ${stamp.toISOString()}`,
    '',
    `Machine: ${json.machine.cpus} × ${json.machine.cpu_model}, ${json.machine.mem_gb} GB, ${json.machine.os}, Node ${json.machine.node}. ${CONNS} connections.`,
    'Latency: per message, from MAIL FROM (or connect, in new-connection mode) to the final 250, HDR histogram, measured by the lab client.',
    'accept→Maildir: from the 250 to the file appearing in the Maildir (inotify); 0.001 ms means it was there before the 250 came back.',
    'The load clients run on the same machine as the targets; smtp-source (C) takes less CPU from them than the Node lab client.',
    '',
    ...targets.map((t) => `- **${t.name}**: ${t.describe}`),
    '',
  ];
  for (const m of MODES) {
    md.push(`## ${m.label} (${m.messages} messages)`, '', '| target | msgs/s (lab client) | msgs/s (smtp-source) | p50 ms | p99 ms | p99.9 ms | accept→Maildir p50 ms | CPU % | errors |', '|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const f of figures.filter((x) => x.mode === m.id))
      md.push(`| ${f.target} | ${f.msgs_per_s} | ${f.smtp_source_msgs_per_s ?? '–'} | ${f.p50} | ${f.p99} | ${f.p999} | ${f.delivered_p50 ?? '–'} | ${f.cpu_percent ?? '–'} | ${Object.entries(f.errors).map(([k, v]) => `${k}×${v}`).join(', ') || 'none'} |`);
    const tg = figures.find((x) => x.mode === m.id && x.target === 'tegami');
    const sc = figures.find((x) => x.mode === m.id && x.target === 'tegami+scrape');
    if (tg && sc) md.push('', `tegami with /metrics scraped every ${SCRAPE_MS} ms / without: **${ratio(sc.msgs_per_s, tg.msgs_per_s)}** msgs/s, p99 ${ratio(sc.p99, tg.p99)}`);
    for (const other of ['postfix', 'smtp-sink']) {
      const o = figures.find((x) => x.mode === m.id && x.target === other);
      if (tg && o) md.push('', `tegami / ${other}: **${ratio(tg.msgs_per_s, o.msgs_per_s)}** msgs/s (lab client), ${ratio(tg.smtp_source_msgs_per_s, o.smtp_source_msgs_per_s)} (smtp-source); p99 ${ratio(tg.p99, o.p99)}`);
    }
    md.push('');
  }
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
