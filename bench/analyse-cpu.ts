// `node dist/bench/analyse-cpu.js` (never run by `npm test`): CPU of one analysis of the bench's load message in
// process — the whole `Analyser.analyse` (lab stand-in DNS, the bench's filter config) and its steps one by one —
// measured as this thread's CPU time (/proc/thread-self/schedstat), not wall time, after a warm-up. For comparing
// two builds alternately on a shared machine; add `node --cpu-prof` for a profile of the same loop.
//
//   node dist/bench/analyse-cpu.js [--size 5120] [--messages 3000] [--warmup 3000] [--rounds 3] [--whole-only]
//                                  [--body lab|smtp-source]
// --body smtp-source: the message Postfix's smtp-source sends instead of the lab client's (From, To, Date and
// Message-Id, no Subject, a body of numbered lines of "X"): what bench:smtp's smtp-source rows analyse.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../engine/config/load.js';
import { Analyser } from '../engine/spam/pipeline.js';
import { parseMessage } from '../engine/spam/message.js';
import { checkHtml } from '../engine/spam/html.js';
import { extractUrls } from '../engine/spam/url.js';
import { ruleInput } from '../engine/spam/rules/input.js';
import { verifyDkimDmarc } from '../engine/spam/auth.js';
import { makeResolver } from '../engine/dns/resolver.js';
import { messageTemplate } from '../lab/load/message.js';
import { LOAD_DOMAIN, startLabDns, tegamiFilterToml } from '../lab/targets/lab-dns.js';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const SIZE = Number(opt('size', '5120'));
const N = Number(opt('messages', '3000'));
const WARM = Number(opt('warmup', '3000'));
const ROUNDS = Number(opt('rounds', '3'));
/** --whole-only: the whole analysis alone (for a profile of it without the steps' loops). */
const WHOLE_ONLY = process.argv.includes('--whole-only');
const BODY = opt('body', 'lab');

/** A message as smtp-source -l SIZE makes it: a few headers, then numbered lines of X up to SIZE bytes. */
function smtpSourceMessage(from: string, to: string, i: number): Buffer {
  const head = `From: <${from}>\r\nTo: <${to}>\r\nDate: Sun,  6 Dec 2026 12:07:56 +0000 (UTC)\r\nMessage-Id: <1c8f.0003.${i}@bench.lab.example.test>\r\n\r\n`;
  const lines: string[] = [];
  let n = 0;
  for (let line = 1; n < SIZE; line++) {
    const l = String(line) + 'X'.repeat(79 - String(line).length);
    lines.push(l);
    n += l.length + 2;
  }
  return Buffer.from(head + lines.join('\r\n') + '\r\n', 'latin1');
}

/** This thread's CPU time in ns. */
const cpu = (): number => Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);

const dns = await startLabDns();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-acpu-'));
const text = `data_dir = ${JSON.stringify(dir)}\nhostname = "mx.tegami.test"\n[dns]\nservers = ["${dns.address}"]\ntimeout = "1s"\n${tegamiFilterToml()}`;
const config = parseConfigText(text, path.join(dir, 'tegami.toml'));
const a = new Analyser(config);
const resolver = makeResolver(config.dns.servers, 1000);
const tpl = messageTemplate(SIZE);
const RCPT = 'alice@example.test';
const msgs = Array.from({ length: 64 }, (_, i) => {
  if (BODY === 'smtp-source') return smtpSourceMessage(`load@${LOAD_DOMAIN}`, RCPT, i);
  const body = tpl.render(`t${i}`, `load-${i}@${LOAD_DOMAIN}`, RCPT);
  return body.subarray(0, body.length - 3); // without the DATA terminator's ".\r\n"
});
const env = (i: number) => ({ mailFrom: `load-${i}@${LOAD_DOMAIN}`, rcptTo: [RCPT], ip: '127.0.0.1', helo: 'load.lab.example.test' });
const conn = { tags: [], headers: [], authResults: ['spf=pass smtp.mailfrom=lab.example.test'], spf: { result: 'pass', domain: LOAD_DOMAIN } };

async function whole(n: number): Promise<number> {
  const t0 = cpu();
  for (let i = 0; i < n; i++) await a.analyse(msgs[i & 63], env(i), conn as never);
  return (cpu() - t0) / 1e6 / n;
}

function step(n: number, f: (raw: Buffer) => unknown): number {
  const t0 = cpu();
  for (let i = 0; i < n; i++) f(msgs[i & 63]);
  return (cpu() - t0) / 1e6 / n;
}

async function stepAsync(n: number, f: (raw: Buffer) => Promise<unknown>): Promise<number> {
  const t0 = cpu();
  for (let i = 0; i < n; i++) await f(msgs[i & 63]);
  return (cpu() - t0) / 1e6 / n;
}

const s = config.spam;
const parsed = parseMessage(msgs[0], { partScanBytes: s.part_scan_size });
const html = parsed.htmls.map((h) => checkHtml(h, s.html_max_links));
const urls = [...parsed.texts.flatMap((t) => extractUrls(t)), ...html.flatMap((h) => h.hrefs)];
const inp = ruleInput(parsed, html, urls, a.rules.bodyWords);

await whole(WARM);
for (let r = 0; r < ROUNDS; r++) {
  const w = await whole(N);
  if (WHOLE_ONLY) {
    console.log(`${SIZE} B round ${r + 1}: analyse ${w.toFixed(4)} ms; load ${os.loadavg()[0].toFixed(1)}`);
    continue;
  }
  const p = step(N, (raw) => parseMessage(raw, { partScanBytes: s.part_scan_size }));
  const ri = step(N, () => ruleInput(parsed, html, urls, a.rules.bodyWords));
  const ev = step(N, () => a.rules.evaluate(inp));
  const au = await stepAsync(N, (raw) => verifyDkimDmarc(raw, resolver, { mailFrom: `load@${LOAD_DOMAIN}`, spf: conn.spf }, 1500));
  console.log(
    `${SIZE} B round ${r + 1}: analyse ${w.toFixed(4)} ms; parse ${p.toFixed(4)} ruleInput ${ri.toFixed(4)} evaluate ${ev.toFixed(4)} dkim/dmarc ${au.toFixed(4)}; load ${os.loadavg()[0].toFixed(1)}`,
  );
}
await a.close();
await dns.close();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
