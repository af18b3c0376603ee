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
`;

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

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-cpu-'));
  const tids = path.join(tmp, 'tids');
  const tag = path.join(tmp, 'thread-tag.cjs');
  fs.writeFileSync(tag, TAG_SOURCE);
  process.env.TEGAMI_BENCH_TIDS = tids;
  const dns = await startLabDns();
  const t = await startTegami({
    users: [{ address: RCPT, password: 'bench-password-1' }],
    dnsServers: [dns.address],
    toml: FILTERS ? tegamiFilterToml() : '[spam]\nenabled = false\n',
    nodeArgs: ['--require', tag],
  });
  if (TRAINED) seedBayes(t.dataDir, SIZE, LOAD_DOMAIN, RCPT);
  try {
    const target = { name: t.name, host: t.host, port: t.port };
    // a sender per message and per run: the load generator numbers each run's messages from 0, and the connection
    // checks keep a result per (client, HELO, sender) for 60 s, so runs reusing the same senders were judged from
    // that cache and measured no connection checks on the main thread (before smtpperf8)
    const spec = (run: string) => ({ mode: 'closed' as const, connections: CONNS, from: `load-${run}-{n}@${LOAD_DOMAIN}`, to: [RCPT], durationMs: 600_000, size: SIZE });
    await runLoad(target, { ...spec('warm'), messages: Math.min(1000, N) });
    for (let round = 0; round < ROUNDS; round++) {
      const before = threadCpu(t.pid!);
      const load0 = os.loadavg()[0];
      const r = await runLoad(target, { ...spec(`r${round + 1}`), messages: N });
      const after = threadCpu(t.pid!);
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
        `${FILTERS ? (TRAINED ? 'on, trained' : 'on ') : 'off'} ${SIZE} B × ${CONNS}: ${r.accepted} accepted, ${r.msgs_per_s} msgs/s, p50 ${r.latency.p50} p99 ${r.latency.p99} ms; ` +
          `CPU ms/msg main ${per(sums.main)} workers ${per(sums.worker)} v8 ${per(sums.v8)} other ${per(sums.other)} total ${per(total)}; load ${load0.toFixed(1)}→${os.loadavg()[0].toFixed(1)}` +
          `${Object.keys(r.errors).length ? ` errors ${JSON.stringify(r.errors)}` : ''}`,
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
