// SMTP throughput with the spam filters on vs off (not run by npm test): the real `tegami serve` on
// loopback, the lab's stand-in DNS and load generator, 10 connections, 10 KB messages, same run twice.
// Run: npx tsc -p . && node dist/bench/spam-throughput.js [messages]
import fs from 'node:fs';
import { startTestServer } from '../test/helpers/server.js';
import { startDnsServer } from '../lab/dns/server.js';
import { runLoad } from '../lab/load/generator.js';
import { spamZone } from '../test/spam/helpers.js';

const messages = Number(process.argv[2] ?? 2000);
const dns = await startDnsServer({ zones: spamZone() });
const common = `[dns]\nservers = ["${dns.address}"]\ntimeout = "1s"\n`;
const on = `${common}[[dnsbl]]\nname = "testbl"\nquery_domain = "bl.test"\n[spam]\nphrases = ["未承諾広告", "今すぐクリック"]\nphrase_regexes = ["v[i1]agra"]\n`;
const off = `${common}[spam]\nenabled = false\n`;
const results: Record<string, unknown> = {};
for (const [name, toml] of [['filters off', off], ['filters on', on]] as const) {
  const srv = await startTestServer({ users: [{ address: 'alice@example.test', password: 'secret-pass' }], toml });
  try {
    const r = await runLoad({ name, host: '127.0.0.1', port: srv.ports.smtp, pid: srv.proc.pid }, { mode: 'closed', connections: 10, messages, size: 10_240, from: 'load@good.test', to: ['alice@example.test'], ehloName: 'mx.good.test' });
    results[name] = { msgs_per_s: Math.round(r.msgs_per_s), p50_ms: r.latency.p50, p99_ms: r.latency.p99, errors: r.errors, accepted: r.accepted };
    console.log(name, JSON.stringify(results[name]));
    if (!r.accepted) console.log(srv.output().slice(-3000));
  } finally {
    await srv.stop();
    fs.rmSync(srv.dir, { recursive: true, force: true });
  }
}
await dns.close();
