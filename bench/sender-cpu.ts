// `node dist/bench/sender-cpu.js` (never run by `npm test`): CPU of the per-sender work of one message in process
// — the connection checks at MAIL FROM (DNSBL, sender domain, rDNS, HELO, SPF) and the DKIM/DMARC step of the
// analysis — as this thread's CPU time (/proc/thread-self/schedstat), with the lab's stand-in DNS in a worker
// thread of its own (its CPU is not counted here, but shown apart), and the questions it saw per message by type.
//
//   node dist/bench/sender-cpu.js [--messages 2000] [--rounds 3] [--per-connection 100]
//
// Three senders, as smtp-cpu's --sender: "fixed" (one address: the 60 s result cache answers), "message" (a new
// address of the load's domain per message: bench:smtp's lab client) and "domain" (a new sender and author domain
// per message: nothing cached but the client's own names). Transactions share a connection's memo in groups of
// --per-connection, as one SMTP connection's would.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseConfigText } from '../engine/config/load.js';
import { dnsCacheOptions, makeResolver } from '../engine/dns/resolver.js';
import { Logger } from '../engine/log/logger.js';
import { verifyDkimDmarc } from '../engine/spam/auth.js';
import { ConnectionChecker, type ClientMemo } from '../engine/spam/connection.js';
import { DmarcMemo } from '../engine/spam/dmarc-memo.js';
import { messageTemplate } from '../lab/load/message.js';
import { LOAD_DOMAIN, tegamiFilterToml } from '../lab/targets/lab-dns.js';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const N = Number(opt('messages', '2000'));
const ROUNDS = Number(opt('rounds', '3'));
const PER_CONN = Number(opt('per-connection', '100'));

const cpu = (): number => Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);

/** The stand-in DNS in a worker thread: its address, and its questions by type since the last call. */
async function dnsThread(): Promise<{ address: string; asked(): Promise<Record<string, number>>; close(): Promise<number> }> {
  const labDns = new URL('../lab/targets/lab-dns.js', import.meta.url).href;
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(labDns)}).then(async (m) => {
       const dns = await m.startLabDns();
       // every <anything>.x.lab.example.test has the load domain's SPF, MX and address (no DMARC record of its own)
       dns.add([
         { name: '*.x.${LOAD_DOMAIN}', type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' },
         { name: '*.x.${LOAD_DOMAIN}', type: 'MX', data: '10 mx.${LOAD_DOMAIN}' },
         { name: '*.x.${LOAD_DOMAIN}', type: 'A', data: '127.0.0.1' },
       ]);
       let seen = 0;
       const fs = require('node:fs');
       const cpu = () => Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
       let cpu0 = cpu();
       parentPort.on('message', (m) => {
         if (m === 'asked') {
           const by = {};
           for (const q of dns.queries.slice(seen)) by[q.type] = (by[q.type] ?? 0) + 1;
           seen = dns.queries.length;
           const now = cpu();
           by.cpuNs = now - cpu0;
           cpu0 = now;
           parentPort.postMessage(by);
         }
       });
       parentPort.postMessage(dns.address);
     });`,
    { eval: true },
  );
  const address = await new Promise<string>((resolve) => w.once('message', resolve));
  return {
    address,
    asked: () => {
      w.postMessage('asked');
      return new Promise((resolve) => w.once('message', resolve));
    },
    close: () => w.terminate(),
  };
}

const dns = await dnsThread();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-sender-cpu-'));
const text = `data_dir = ${JSON.stringify(dir)}\nhostname = "mx.tegami.test"\n[dns]\nservers = ["${dns.address}"]\ntimeout = "2s"\n${tegamiFilterToml()}`;
const config = parseConfigText(text, path.join(dir, 'tegami.toml'));
const logger = new Logger({ stdout: false, files: false });
const tpl = messageTemplate(5120);
const RCPT = 'alice@example.test';

type Sender = 'fixed' | 'message' | 'domain';
const senderOf = (kind: Sender, run: string, i: number): string =>
  kind === 'fixed' ? `load-${run}@${LOAD_DOMAIN}` : kind === 'message' ? `load-${run}-${i}@${LOAD_DOMAIN}` : `load@d${i}.${run}.x.${LOAD_DOMAIN}`;

/** The connection checks of n transactions (a main thread's part), µs of this thread's CPU per transaction. */
async function connectionChecks(kind: Sender, run: string): Promise<number> {
  // a checker and resolver per run, as a server's would be after its own warm-up: the client's names cached
  const resolver = makeResolver(config.dns.servers, config.dns.timeout, undefined, dnsCacheOptions(config.dns));
  const checker = new ConnectionChecker(config, resolver, logger);
  await checker.check({ ip: '127.0.0.1', helo: 'load.lab.example.test', mailFrom: `warm@${LOAD_DOMAIN}`, authenticated: false, hostname: config.hostname });
  await dns.asked();
  let conn: { memo?: ClientMemo } = {};
  const t0 = cpu();
  for (let i = 0; i < N; i++) {
    if (i % PER_CONN === 0) conn = {};
    const r = await checker.check({ ip: '127.0.0.1', helo: 'load.lab.example.test', mailFrom: senderOf(kind, run, i), authenticated: false, hostname: config.hostname }, conn);
    if (r.spf?.result !== 'pass') throw new Error(`SPF ${r.spf?.result} for ${senderOf(kind, run, i)}`);
  }
  return (cpu() - t0) / 1e3 / N;
}

/** The DKIM/DMARC step of n messages (a worker's part), µs of this thread's CPU per message. */
async function dkimDmarc(kind: Sender, run: string): Promise<number> {
  const resolver = makeResolver(config.dns.servers, 2000, undefined, dnsCacheOptions(config.dns));
  const memo = new DmarcMemo();
  const msgs = Array.from({ length: N }, (_, i) => {
    const b = tpl.render(`t${i}`, senderOf(kind, run, i), RCPT);
    return b.subarray(0, b.length - 3);
  });
  await verifyDkimDmarc(msgs[0], resolver, { mailFrom: `warm@${LOAD_DOMAIN}`, spf: { result: 'pass', domain: LOAD_DOMAIN } }, 1500, memo);
  await dns.asked();
  const t0 = cpu();
  for (let i = 0; i < N; i++) {
    const from = senderOf(kind, run, i);
    const a = await verifyDkimDmarc(msgs[i], resolver, { mailFrom: from, spf: { result: 'pass', domain: from.slice(from.indexOf('@') + 1) } }, 1500, memo);
    if (a.authResults.some((x) => /temperror/.test(x))) throw new Error(`temperror: ${a.authResults.join('; ')}`);
  }
  return (cpu() - t0) / 1e3 / N;
}

/** The questions per message by type, and the stand-in DNS thread's CPU per message (µs) while they were asked. */
const per = (by: Record<string, number>) =>
  (Object.entries(by)
    .filter(([t]) => t !== 'cpuNs')
    .map(([t, n]) => `${t} ${(n / N).toFixed(2)}`)
    .join(', ') || 'none') + `; DNS thread ${((by.cpuNs ?? 0) / 1e3 / N).toFixed(1)} µs`;

for (let round = 0; round < ROUNDS; round++) {
  for (const kind of ['fixed', 'message', 'domain'] as const) {
    const run = `r${round}${kind[0]}`;
    const c = await connectionChecks(kind, run);
    const cq = await dns.asked();
    const d = await dkimDmarc(kind, run);
    const dq = await dns.asked();
    console.log(
      `round ${round + 1} ${kind.padEnd(7)}: connection checks ${c.toFixed(1)} µs (questions/msg ${per(cq)}); DKIM/DMARC ${d.toFixed(1)} µs (questions/msg ${per(dq)}); load ${os.loadavg()[0].toFixed(1)}`,
    );
  }
}
await logger.close();
await dns.close();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
