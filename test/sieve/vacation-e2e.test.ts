// Vacation (R2) and auto-responders (R3) end to end: `tegami vacation set` answers a first message (null
// envelope sender, Auto-Submitted, In-Reply-To, the subject given) at a lab sink; it stays silent on the second
// message within the period, on Precedence: list, on the null sender and on spam, and answers again after its
// text changes; `vacation off` stops it. `tegami autoreply set` answers every sender once per interval. Silence
// is judged by the reason the delivery log gives for each message, never by waiting a while.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cliOk, logLines, mail, smtpSend, startRulesLab, until, type RulesLab } from './e2e-helpers.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({
    users: ['alice@example.test', 'info@example.test'],
    toml: '[spam]\nenabled = true\nphrases = ["CHEAP PILLS NOW"]\nbayes = false\nscores = { PHRASE = 9 }\n',
  });
});

after(async () => {
  await lab?.close();
});

/** Send; return the queue id from the 250. */
async function send(from: string, to: string, raw: string): Promise<string> {
  const r = await smtpSend(lab.srv.ports.smtp, from, [to], raw);
  assert.equal(r.code, 250, r.text);
  return /queued as (\w+)/.exec(r.text)![1];
}

/** What the rules logged for message `id`: "vacation-sent", or the skip reason. */
async function outcome(kind: 'vacation' | 'auto-reply', id: string): Promise<string> {
  return until(`the ${kind} outcome of ${id}`, () => {
    const sent = logLines(lab.srv, `${kind}-sent`, new RegExp(`id=${id}\\b`));
    if (sent.length) return 'sent';
    const skipped = logLines(lab.srv, `${kind}-skipped`, new RegExp(`id=${id}\\b`))[0];
    return skipped ? /reason=(\S+)/.exec(skipped)![1] : null;
  });
}

const repliesTo = (to: string) => lab.sink.messages.filter((m) => m.to.includes(to) && /^Auto-Submitted: auto-replied/im.test(m.raw.toString('latin1')));

test('vacation answers a first message once, with the RFC 3834 marks, and stays silent on the second', async () => {
  const out = cliOk(lab.srv, ['vacation', 'set', 'alice@example.test', '--subject', '不在のお知らせ', '--days', '7'], '8月15日まで休暇中です。\nI am away until 15 August.\n');
  assert.match(out, /vacation on/);
  const first = await send('sender@orig.test', 'alice@example.test', mail({ subject: 'Meeting', id: 'first-msg' }));
  assert.equal(await outcome('vacation', first), 'sent');
  const [reply] = await until('the vacation reply at the sink', () => (repliesTo('sender@orig.test').length ? repliesTo('sender@orig.test') : null));
  assert.equal(reply.from, '', 'a vacation reply goes with the null envelope sender');
  const text = reply.raw.toString('latin1');
  assert.match(text, /^Auto-Submitted: auto-replied \(vacation\)/m);
  assert.match(text, /^In-Reply-To: <first-msg@orig\.test>/m);
  assert.match(text, /^From: <alice@example\.test>/m);
  assert.match(text, /^Subject: =\?UTF-8\?B\?/m, 'the Japanese subject is RFC 2047-encoded');
  assert.match(Buffer.from(/\r\n\r\n([\s\S]*)$/.exec(text)![1].replace(/\s+/g, ''), 'base64').toString('utf8'), /8月15日まで休暇中です/);

  const second = await send('sender@orig.test', 'alice@example.test', mail({ subject: 'Meeting again' }));
  assert.equal(await outcome('vacation', second), 'already-replied');
  assert.equal(repliesTo('sender@orig.test').length, 1);
});

test('vacation is silent on Precedence: list, on the null sender, and on mail judged spam', async () => {
  const list = await send('member@orig.test', 'alice@example.test', mail({ from: '<member@orig.test>', subject: 'digest', headers: ['Precedence: list'] }));
  assert.equal(await outcome('vacation', list), 'bulk-precedence');
  const bounce = await send('', 'alice@example.test', mail({ from: 'MAILER-DAEMON@orig.test', subject: 'Undelivered Mail' }));
  assert.equal(await outcome('vacation', bounce), 'null-sender');
  const spam = await send('spammer@orig.test', 'alice@example.test', mail({ from: '<spammer@orig.test>', subject: 'offer', body: 'CHEAP PILLS NOW CHEAP PILLS NOW' }));
  assert.equal(await outcome('vacation', spam), 'spam');
  const bcc = await send('other@orig.test', 'alice@example.test', mail({ from: '<other@orig.test>', to: 'someone-else@orig.test', subject: 'bcc' }));
  assert.equal(await outcome('vacation', bcc), 'not-addressed');
  assert.equal(repliesTo('member@orig.test').length + repliesTo('spammer@orig.test').length + repliesTo('other@orig.test').length, 0);
});

test('a new vacation text starts a new period; `vacation off` stops the replies', async () => {
  cliOk(lab.srv, ['vacation', 'set', 'alice@example.test', '-', '--subject', 'Back soon'], 'Now travelling until September.\n');
  const again = await send('sender@orig.test', 'alice@example.test', mail({ subject: 'Meeting, third' }));
  assert.equal(await outcome('vacation', again), 'sent');
  await until('the second reply to the same sender', () => repliesTo('sender@orig.test').length === 2);
  assert.match(cliOk(lab.srv, ['vacation', 'show', 'alice@example.test']), /Now travelling until September/);
  cliOk(lab.srv, ['vacation', 'off', 'alice@example.test']);
  const off = await send('newcomer@orig.test', 'alice@example.test', mail({ from: '<newcomer@orig.test>', subject: 'hello' }));
  await until('the message delivered', () => logLines(lab.srv, 'delivered', new RegExp(`id=${off}\\b`)).length > 0);
  assert.equal(logLines(lab.srv, 'vacation-sent', new RegExp(`id=${off}\\b`)).length + logLines(lab.srv, 'vacation-skipped', new RegExp(`id=${off}\\b`)).length, 0);
});

test('the auto-responder answers every sender, once per interval, under the same loop rules', async () => {
  cliOk(lab.srv, ['autoreply', 'set', 'info@example.test', '--subject', 'Thank you for your inquiry', '--interval', '1h'], 'We will answer within two business days.\n');
  const a1 = await send('customer@orig.test', 'info@example.test', mail({ from: '<customer@orig.test>', to: 'info@example.test', subject: 'price list?' }));
  assert.equal(await outcome('auto-reply', a1), 'sent');
  const [reply] = await until('the auto-reply at the sink', () => (repliesTo('customer@orig.test').length ? repliesTo('customer@orig.test') : null));
  assert.match(reply.raw.toString('latin1'), /^Subject: Thank you for your inquiry/m);
  assert.match(reply.raw.toString('latin1'), /^Auto-Submitted: auto-replied \(auto-reply\)/m);
  assert.match(reply.raw.toString('latin1'), /within two business days/);
  // the rate: the same sender again within the hour gets nothing; another sender does
  const a2 = await send('customer@orig.test', 'info@example.test', mail({ from: '<customer@orig.test>', to: 'info@example.test', subject: 'and shipping?' }));
  assert.equal(await outcome('auto-reply', a2), 'already-replied');
  const b = await send('second@orig.test', 'info@example.test', mail({ from: '<second@orig.test>', to: 'undisclosed-recipients:;', subject: 'hours?' }));
  assert.equal(await outcome('auto-reply', b), 'sent', 'an auto-responder answers mail that does not name it (Bcc) too');
  const auto = await send('robot@orig.test', 'info@example.test', mail({ from: '<robot@orig.test>', to: 'info@example.test', subject: 'ticket', headers: ['Auto-Submitted: auto-generated'] }));
  assert.equal(await outcome('auto-reply', auto), 'auto-submitted');
  assert.equal(repliesTo('customer@orig.test').length, 1);
  // the message itself is delivered as usual
  await until('info@ has its mail', () => logLines(lab.srv, 'delivered', new RegExp(`id=${a1}\\b`)).length > 0);
});
