// Micro-benchmarks of hot functions with tinybench (`npm run bench:micro`; never run by `npm test`):
// envelope address parsing, trace-header building (folded Received lines), RFC 2047 header values,
// word tokenising (Intl.Segmenter for Japanese), Bayesian combining, and the lab's own message/dot-stuffing.
import { Bench } from 'tinybench';
import { parseAddress } from '../engine/policy/address.js';
import { receivedHeader } from '../engine/smtp/received.js';
import { safeValue } from '../engine/spam/headers.js';
import { words } from '../engine/spam/tokenise.js';
import { combine } from '../engine/spam/bayes.js';
import type { Envelope } from '../engine/spool/envelope.js';
import { messageTemplate } from '../lab/load/message.js';
import { dotStuff } from '../lab/smtp/client.js';

const ADDRESSES = [
  '<alice@example.test>',
  '<Bob.Smith+tag@Mail.Example.Test>',
  '<@relay.example:user@remote.example>',
  '<user%remote.example@example.test>',
  '<"quoted@local"@example.test>',
  '<user@[192.0.2.1]>',
  '<postmaster>',
  '<山田@例え.テスト>',
];

const envelope = {
  id: '0MWZJUEML001Y6ZJ',
  time: Date.now(),
  mailFrom: 'alice@example.test',
  rcptTo: [],
  client: { ip: '192.0.2.44', ptr: 'client.example.net', helo: 'client.example.net', protocol: 'ESMTPSA', tls: 'TLSv1.3 with cipher TLS_AES_256_GCM_SHA384', user: 'alice@example.test', listener: 'smtp' },
} as unknown as Envelope;

const JA = 'いつもお世話になっております。来週の打ち合わせについてご連絡いたします。未承諾広告※ 今だけ高収入のお仕事をご紹介します。';
const EN = 'Please find the quarterly report attached; the budget review meeting is scheduled for Thursday afternoon.';
const counts = new Map<string, [number, number]>();
for (let i = 0; i < 400; i++) counts.set(`tok${i}`, [(i * 7) % 50, (i * 13) % 50]);
const tpl = messageTemplate(5120);
const body5k = tpl.render('bench-token', 'a@example.test', 'b@example.test').toString('latin1').replace(/\r\n\.\r\n$/, '\r\n');

const bench = new Bench({ time: Number(process.env.BENCH_MS ?? 500) });
let sink = 0;
bench
  .add('parseAddress ×8 (policy/address)', () => {
    for (const a of ADDRESSES) sink += parseAddress(a).ok ? 1 : 0;
  })
  .add('receivedHeader (folded trace header)', () => {
    sink += receivedHeader(envelope, 'mx.example.test', 'alice@example.test').length;
  })
  .add('safeValue, Japanese (RFC 2047 words)', () => {
    sink += safeValue(JA).length;
  })
  .add('words(): tokenise 1 KB Japanese + English', () => {
    const out = new Set<string>();
    words(JA.repeat(4) + EN.repeat(4), '', out);
    sink += out.size;
  })
  .add('Bayes combine, 400 tokens', () => {
    sink += combine(counts, 1000, 1000) ? 1 : 0;
  })
  .add('lab: render a 5 KB message', () => {
    sink += tpl.render('t' + sink, 'a@example.test', 'b@example.test').length;
  })
  .add('lab: dot-stuff 5 KB', () => {
    sink += dotStuff(body5k).length;
  });

await bench.run();
console.log(`tegami micro-benchmarks (Node ${process.version}; ${bench.tasks.length} tasks, ${process.env.BENCH_MS ?? 500} ms each)`);
console.table(bench.table());
if (sink === -1) console.log(sink);
