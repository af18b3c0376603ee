// `node dist/bench/analyse-steps.js` (never run by `npm test`): CPU of each step of one analysis of the bench's load
// message in process, finer than analyse-cpu: the parse, the URLs, the phrases, ruleInput's parts (stripMarkup, fold,
// views), the rule set's literal search and each code check. For finding what grows with a message's size (--size
// 102400 against 5120); this thread's CPU time (/proc/thread-self/schedstat), best of --rounds.
//
//   node dist/bench/analyse-steps.js [--size 102400] [--messages 300] [--rounds 5]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../engine/config/load.js';
import { Analyser } from '../engine/spam/pipeline.js';
import { parseMessage } from '../engine/spam/message.js';
import { extractUrls } from '../engine/spam/url.js';
import { ruleInput } from '../engine/spam/rules/input.js';
import { CHECKS } from '../engine/spam/rules/checks.js';
import { bodyViews } from '../engine/spam/rules/body-views.js';
import { fold, foldedViews, viewsOf } from '../engine/spam/rules/normalise.js';
import { stripMarkup, tokenise } from '../engine/spam/tokenise.js';
import { messageTemplate } from '../lab/load/message.js';
import { LOAD_DOMAIN, startLabDns, tegamiFilterToml } from '../lab/targets/lab-dns.js';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const SIZE = Number(opt('size', '102400'));
const N = Number(opt('messages', '300'));
const ROUNDS = Number(opt('rounds', '5'));
const cpu = (): number => Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);

const dns = await startLabDns();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-asteps-'));
const config = parseConfigText(`data_dir = ${JSON.stringify(dir)}\nhostname = "mx.tegami.test"\n[dns]\nservers = ["${dns.address}"]\ntimeout = "1s"\n${tegamiFilterToml()}`, path.join(dir, 'tegami.toml'));
const a = new Analyser(config);
const tpl = messageTemplate(SIZE);
const msgs = Array.from({ length: 16 }, (_, i) => {
  const body = tpl.render(`t${i}`, `load-${i}@${LOAD_DOMAIN}`, 'alice@example.test');
  return body.subarray(0, body.length - 3);
});
const s = config.spam;
const parsed = msgs.map((m) => parseMessage(m, { partScanBytes: s.part_scan_size }));
const urls = parsed.map((p) => p.texts.flatMap((t) => extractUrls(t)));
const inputs = parsed.map((p, i) => ruleInput(p, [], urls[i], a.rules.bodyWords));
const stripped = parsed.map((p) => p.texts.map(stripMarkup).join('\n'));
const folded = stripped.map((t) => fold(t));

const results = new Map<string, number>();
function step(name: string, f: (i: number) => unknown): void {
  for (let i = 0; i < 30; i++) f(i & 15);
  const t0 = cpu();
  for (let i = 0; i < N; i++) f(i & 15);
  const us = (cpu() - t0) / 1e3 / N;
  results.set(name, Math.min(results.get(name) ?? Infinity, us));
}
for (let r = 0; r < ROUNDS; r++) {
  step('parseMessage', (i) => parseMessage(msgs[i], { partScanBytes: s.part_scan_size }));
  step('extractUrls', (i) => parsed[i].texts.flatMap((t) => extractUrls(t)));
  step('ruleInput', (i) => ruleInput(parsed[i], [], urls[i], a.rules.bodyWords));
  step('  stripMarkup', (i) => parsed[i].texts.map(stripMarkup));
  step('  fold', (i) => fold(stripped[i]));
  step('  viewsOf', (i) => viewsOf(folded[i]));
  step('  foldedViews', (i) => foldedViews(stripped[i]));
  step('  bodyViews (fold + words literals + checks\' flags)', (i) => bodyViews(stripped[i], a.rules.bodyWords));
  step('tokenise (Bayes, when trained)', (i) => tokenise(parsed[i], [], urls[i]));
  step('rules.evaluate', (i) => a.rules.evaluate(inputs[i]));
  for (const [name, check] of Object.entries(CHECKS)) step(`  check ${name}`, (i) => check(inputs[i], a.rules.ctx, 3));
}
for (const [k, v] of results) if (v >= 1) console.log(`${k.padEnd(52)} ${v.toFixed(1).padStart(8)} µs`);
console.log(`${SIZE} B, load ${os.loadavg()[0].toFixed(1)}`);
await a.close();
await dns.close();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
