// Micro-benchmarks of content analysis (not run by npm test): analyses/s of a typical 10 KB message per
// worker thread, and the parts — our MIME reader vs mailparser, tokenising, Bayes lookup, HTML checks.
// Run: npx tsc -p . && node dist/bench/spam.js
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { Bench } from 'tinybench';
import { simpleParser } from 'mailparser';
import { parseConfigText } from '../engine/config/load.js';
import { Analyser } from '../engine/spam/pipeline.js';
import { parseMessage } from '../engine/spam/message.js';
import { tokenise } from '../engine/spam/tokenise.js';
import { checkHtml } from '../engine/spam/html.js';
import { learnMessage, closeBayesStores } from '../engine/spam/learn.js';
import { startDnsServer } from '../lab/dns/server.js';
import { spamZone } from '../test/spam/helpers.js';

function typicalMessage(i: number): Buffer {
  const ja = 'いつもお世話になっております。来週の打ち合わせについてご連絡いたします。資料をご確認ください。';
  const en = 'Please find the quarterly report attached; the budget review meeting is scheduled for Thursday. ';
  let text = '';
  while (Buffer.byteLength(text) < 3500) text += `${en}${i} ${ja}\r\n`;
  const html = `<html><body><table><tr><td><p>${text.replace(/\r\n/g, '<br>')}</p><a href="https://docs.example.jp/r/${i}">docs.example.jp</a></td></tr></table></body></html>`;
  const b = 'b' + i;
  const body = [
    `--${b}`,
    'Content-Type: text/plain; charset=Shift_JIS',
    'Content-Transfer-Encoding: base64',
    '',
    iconv.encode(text, 'cp932').toString('base64').replace(/.{76}/g, '$&\r\n'),
    `--${b}`,
    'Content-Type: text/html; charset=UTF-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    Buffer.from(html).toString('latin1').replace(/[\x80-\xff=]/g, (c) => '=' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/.{72}/g, '$&=\r\n'),
    `--${b}--`,
    '',
  ].join('\r\n');
  const head = [
    'Received: from mx.good.test (mx.good.test [127.0.0.3]) by mx.tegami.test',
    'From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@good.test>',
    'To: user@tegami.test',
    `Subject: =?UTF-8?B?${Buffer.from('打ち合わせの件 ' + i).toString('base64')}?=`,
    `Message-ID: <${i}.bench@good.test>`,
    'Date: Fri, 27 Nov 2026 10:00:00 +0900',
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${b}"`,
  ].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-bench-spam-'));
const dns = await startDnsServer({ zones: spamZone() });
const toml = (extra: string) => `data_dir = ${JSON.stringify(dir)}\nhostname = "mx.tegami.test"\n[log]\nfiles = false\n[dns]\nservers = ["${dns.address}"]\n[spam]\nphrases = ["未承諾広告", "今すぐクリック"]\nphrase_regexes = ["v[i1]agra"]\nurl_blacklist = ["spam.test"]\n${extra}`;
const msgs = Array.from({ length: 50 }, (_, i) => typicalMessage(i));
console.log(`message size: ${msgs[0].length} bytes`);
for (let i = 0; i < 200; i++) {
  await learnMessage(dir, typicalMessage(1000 + i), 'ham');
  await learnMessage(dir, Buffer.from(`Subject: cheap pills ${i}\r\n\r\nbuy now viagra http://x${i}.spam.test/ 今すぐクリック 激安`), 'spam');
}
closeBayesStores();
const full = new Analyser(parseConfigText(toml(''), path.join(dir, 'a.toml')));
const noAuth = new Analyser(parseConfigText(toml('dkim_dmarc = false'), path.join(dir, 'b.toml')));
const env = { mailFrom: 'yamada@good.test', rcptTo: ['user@tegami.test'], ip: '127.0.0.3', helo: 'mx.good.test' };
const conn = { tags: ['SPF_PASS' as const], headers: [], authResults: ['spf=pass smtp.mailfrom=yamada@good.test'], spf: { result: 'pass', domain: 'good.test' } };
let n = 0;
const next = () => msgs[n++ % msgs.length];

const bench = new Bench({ time: 3000, warmupTime: 500 });
bench
  .add('analyse: full (DKIM/DMARC via lab DNS)', async () => {
    await full.analyse(next(), env, conn);
  })
  .add('analyse: without DKIM/DMARC (CPU only)', async () => {
    await noAuth.analyse(next(), env, conn);
  })
  .add('parse: tegami MIME reader', () => {
    parseMessage(next());
  })
  .add('parse: mailparser simpleParser', async () => {
    await simpleParser(next());
  })
  .add('tokenise (Intl.Segmenter)', () => {
    const m = parseMessage(msgs[0]);
    tokenise(m, [], []);
  })
  .add('html checks', () => {
    checkHtml(parseMessage(msgs[0]).htmls[0], 30);
  });
await bench.run();
console.table(bench.table());
for (const t of bench.tasks) {
  const r = t.result as { throughput?: { mean: number }; hz?: number } | undefined;
  console.log(`${t.name}: ${Math.round(r?.throughput?.mean ?? r?.hz ?? 0)} ops/s`);
}
await full.close();
await noAuth.close();
await dns.close();
fs.rmSync(dir, { recursive: true, force: true });
