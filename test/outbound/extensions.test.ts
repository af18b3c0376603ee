// ESMTP extensions on the way out: SMTPUTF8 (an internationalised recipient is delivered where offered and
// bounces with 5.6.7 where not), 8BITMIME (8-bit bytes arrive intact), SIZE (a message over the next hop's
// limit bounces with 5.3.4 without being sent).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { queueList, readMail, setup, submit, until, type Setup } from './helpers.js';

let utf8: Sink;
let ascii: Sink;
let small: Sink;
let s: Setup;

before(async () => {
  utf8 = await startSink();
  ascii = await startSink({ server: { hideSMTPUTF8: true } as never });
  small = await startSink({ size: 2000 });
  s = await setup({
    mxPort: 1,
    toml: [
      '[[route]]', 'domain = "utf8.test"', `to = "${utf8.address}"`,
      '[[route]]', 'domain = "ascii.test"', `to = "${ascii.address}"`,
      '[[route]]', 'domain = "small.test"', `to = "${small.address}"`,
    ].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await utf8?.close();
  await ascii?.close();
  await small?.close();
});

const bounces = () => readMail(s.srv.maildir('alice@example.test')).filter((t) => /report-type=delivery-status/.test(t));

test('SMTPUTF8: an internationalised recipient goes where SMTPUTF8 is offered, bounces 5.6.7 where not', async () => {
  const body = 'From: <alice@example.test>\r\nTo: <tarō@utf8.test>\r\nSubject: =?UTF-8?B?44GT44KT44Gr44Gh44Gv?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nこんにちは、世界\r\n';
  const r = await submit(s.srv.ports.smtp, 'alice@example.test', ['tarō@utf8.test'], body, 'SMTPUTF8 BODY=8BITMIME');
  assert.equal(r.code, 250);
  const [m] = await utf8.waitFor(1, 120_000);
  assert.deepEqual(m.to, ['tarō@utf8.test']);
  assert.ok(m.raw.includes(Buffer.from('こんにちは、世界')), '8-bit body bytes arrive intact');

  const n = bounces().length;
  await submit(s.srv.ports.smtp, 'alice@example.test', ['hanako@ascii.test', 'tarō@ascii.test'], body.replace('utf8.test', 'ascii.test'), 'SMTPUTF8 BODY=8BITMIME');
  await until('5.6.7 bounce', () => bounces().length > n, 120_000);
  const b = bounces().find((t) => /ascii\.test/.test(t))!;
  assert.match(b, /Status: 5\.6\.7/);
  assert.match(b, /does not support SMTPUTF8/);
  await until('queue empty', async () => (await queueList(s.srv)).length === 0);
  assert.equal(ascii.messages.length, 0, 'the transaction needing SMTPUTF8 is not sent to a server without it');
});

test('SIZE: a message over the next hop\'s limit bounces 5.3.4 without being sent', async () => {
  const n = bounces().length;
  const big = 'From: <alice@example.test>\r\nTo: <x@small.test>\r\nSubject: big\r\n\r\n' + ('y'.repeat(76) + '\r\n').repeat(60);
  await submit(s.srv.ports.smtp, 'alice@example.test', ['x@small.test'], big);
  await until('size bounce', () => bounces().length > n, 120_000);
  const b = bounces().find((t) => /x@small\.test/.test(t))!;
  assert.match(b, /Status: 5\.3\.4/);
  assert.equal(small.messages.length, 0);
  assert.ok(!small.events.some((e) => e.stage === 'data'), 'no DATA was even started');
});
