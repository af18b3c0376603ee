// Micro-benchmarks of hot functions with tinybench (`npm run bench:micro`; never run by `npm test`):
// envelope address parsing, trace-header building (folded Received lines), RFC 2047 header values,
// word tokenising (Intl.Segmenter for Japanese), Bayesian combining, the lab's own message/dot-stuffing, and
// Sieve: one message through a domain script and a user's 100 form rules (parse the message + both evaluations).
import { Bench } from 'tinybench';
import { parseAddress } from '../engine/policy/address.js';
import { receivedHeader } from '../engine/smtp/received.js';
import { safeValue } from '../engine/spam/headers.js';
import { words } from '../engine/spam/tokenise.js';
import { combine } from '../engine/spam/bayes.js';
import type { Envelope } from '../engine/spool/envelope.js';
import { messageTemplate } from '../lab/load/message.js';
import { dotStuff } from '../lab/smtp/client.js';
import { compileRules, evaluate, parseScript, sieveMessage, type Script } from '../engine/sieve/index.js';

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
const body100k = messageTemplate(100 * 1024).render('bench-token', 'a@example.test', 'b@example.test').toString('latin1');

function sieveScript(text: string): Script {
  const p = parseScript(text);
  if (!p.ok) throw new Error(JSON.stringify(p.errors));
  return p.script;
}
const ops = ['contains', 'is', 'matches', 'not-contains'] as const;
const userRules = compileRules({
  scope: 'user',
  rules: Array.from({ length: 100 }, (_, i) => ({
    name: `rule ${i}`,
    conditions: [
      i % 10 === 9 ? { field: 'body' as const, op: 'contains' as const, value: `予算${i}` } : { field: (['subject', 'from', 'to', 'header'] as const)[i % 4], header: 'X-Mailer', op: ops[i % 4], value: i % 4 === 2 ? `*項目${i}*` : `項目${i}` },
    ],
    actions: [{ type: 'move' as const, folder: `Folder${i}` }],
  })),
});
if (!userRules.ok) throw new Error(JSON.stringify(userRules.errors));
const userScript = sieveScript(userRules.script);
const domainScript = sieveScript('require ["fileinto", "spamtest", "relational", "comparator-i;ascii-numeric"];\nif spamtest :value "ge" :comparator "i;ascii-numeric" "6" { fileinto "Junk"; stop; }\nif header :contains "subject" "未承諾広告" { discard; stop; }\n');
const sieveRaw = Buffer.from(
  'X-Tegami-Spam-Status: score=0.4 threshold=5.0 verdict=ham tags=NONE\r\nFrom: =?UTF-8?B?' + Buffer.from('山田 太郎').toString('base64') + '?= <yamada@example.jp>\r\nTo: user@example.com\r\nSubject: =?UTF-8?B?' + Buffer.from('来週の打ち合わせ').toString('base64') + '?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n' + JA.repeat(20) + '\r\n',
  'latin1',
);

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
  .add("words(): tokenise the lab's 100 KB load body (plain English words)", () => {
    const out = new Set<string>();
    words(body100k, '', out);
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
  })
  .add('Sieve: domain script + 100 user rules, one 3 KB Japanese message', () => {
    const msg = sieveMessage(sieveRaw, { from: 'yamada@example.jp', to: 'user@example.com' });
    const d = evaluate(domainScript, msg);
    const u = evaluate(userScript, msg);
    sink += d.actions.length + u.actions.length + (u.implicitKeep ? 1 : 0);
  });

await bench.run();
console.log(`tegami micro-benchmarks (Node ${process.version}; ${bench.tasks.length} tasks, ${process.env.BENCH_MS ?? 500} ms each)`);
console.table(bench.table());
if (sink === -1) console.log(sink);
