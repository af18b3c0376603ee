// Temporary failures are retried on the configured schedule until delivered; permanent failures and
// expiry bounce to the sender's local mailbox (RFC 3464 report quoting the remote reply); a delay warning
// goes out after `delay_warning`; NOTIFY/RET/ENVID/ORCPT are honoured; the null sender never gets a bounce.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { logText, message, queueList, readMail, setup, submit, until, type Setup } from './helpers.js';

let grey: Sink;
let nodsn: Sink;
let s: Setup;
/** grey@ is refused (451) until the test has seen it deferred in the queue, as a greylisting MTA would. */
let greyOpen = false;

const STEPS_S = [1, 2];
const LIFETIME_S = 15;

before(async () => {
  // one sink: 4xx for grey@ until opened, always 4xx for doomed@, 5xx for gone@
  grey = await startSink({
    tempFail: (a) => a === 'doomed@remote.test' || (a === 'grey@remote.test' && !greyOpen),
    permFail: ['gone@remote.test', 'quiet@remote.test', 'hdrs@remote.test', 'never@remote.test'],
  });
  nodsn = await startSink({ server: { hideDSN: true } as never });
  s = await setup({
    mxPort: grey.port,
    records: [
      { name: 'remote.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'mx.remote.test', type: 'A', data: '127.0.0.1' },
    ],
    toml: `[queue]\nretry_schedule = [${STEPS_S.map((x) => `"${x}s"`).join(', ')}]\nmax_queue_lifetime = "${LIFETIME_S}s"\ndelay_warning = "2s"\n[[route]]\ndomain = "nodsn.test"\nto = "${nodsn.address}"\n`,
  });
});

after(async () => {
  await s?.close();
  await grey?.close();
  await nodsn?.close();
});

const bounces = () => readMail(s.srv.maildir('alice@example.test')).filter((t) => /report-type=delivery-status/.test(t));

test('4xx (greylisting) is deferred, shown in the queue, retried on schedule and delivered', async () => {
  await submit(s.srv.ports.smtp, 'alice@example.test', ['grey@remote.test'], message('alice@example.test', 'grey@remote.test', 'greylisted'));
  const listed = await until('deferred entry', async () => (await queueList(s.srv)).find((m) => m.state === 'deferred' || m.recipients.some((r) => r.attempts > 0)));
  assert.equal(listed.recipients[0].address, 'grey@remote.test');
  assert.match(listed.last_error ?? '', /451 4\.3\.0 Try again later/);
  assert.ok(listed.next_attempt);
  greyOpen = true;
  const [m] = await grey.waitFor(1, 120_000);
  assert.deepEqual(m.to, ['grey@remote.test']);
  // every attempt after the first waited for the next_attempt the one before it set (the server's own clock)
  const log = await until('sent logged', () => (/ sent id=\S+ rcpt=grey@remote\.test/.test(logText(s.srv)) ? logText(s.srv) : ''));
  const lines = log.split('\n').filter((l) => / (deferred|sent) id=\S+ rcpt=grey@remote\.test/.test(l));
  assert.ok(lines.length >= 2 && / sent /.test(lines.at(-1)!), log);
  for (let i = 1; i < lines.length; i++) {
    const due = /next_attempt=(\S+)/.exec(lines[i - 1])![1];
    assert.ok(Date.parse(lines[i].split(' ')[0]) >= Date.parse(due), `attempt ${i + 1} not before ${due}: ${lines[i]}`);
  }
  await until('queue empty', async () => (await queueList(s.srv)).length === 0);
});

test('5xx bounces to the local sender, quoting the remote reply, with ENVID and ORCPT; RET=HDRS returns headers only', async () => {
  await submit(
    s.srv.ports.smtp,
    'alice@example.test',
    [{ address: 'gone@remote.test', params: 'NOTIFY=FAILURE ORCPT=rfc822;gone-orig@remote.test' }],
    message('alice@example.test', 'gone@remote.test', 'will bounce', 'SECRET-BODY-LINE\r\n'),
    'RET=FULL ENVID=env-123',
  );
  // each wait looks for its own notice: they share alice's mailbox
  const b = await until('bounce', () => bounces().find((t) => /gone@remote\.test/.test(t)), 120_000);
  assert.match(b, /^From: Mail Delivery System <MAILER-DAEMON@mx\.example\.test>/m);
  assert.match(b, /^To: <alice@example\.test>/m);
  assert.match(b, /Return-Path: <>/);
  assert.match(b, /Content-Type: message\/delivery-status/);
  assert.match(b, /host mx\.remote\.test said:\r?\n\s+550 5\.1\.1 Mailbox unavailable \(lab sink: permanent failure\)/);
  assert.match(b, /Original-Envelope-Id: env-123/);
  assert.match(b, /Original-Recipient: rfc822; gone-orig@remote\.test/);
  assert.match(b, /Final-Recipient: rfc822; gone@remote\.test/);
  assert.match(b, /Action: failed/);
  assert.match(b, /Status: 5\.1\.1/);
  assert.match(b, /Remote-MTA: dns; mx\.remote\.test/);
  assert.match(b, /Diagnostic-Code: smtp; 550 5\.1\.1/);
  assert.match(b, /Content-Type: message\/rfc822/);
  assert.match(b, /SECRET-BODY-LINE/, 'RET=FULL returns the body');

  await submit(s.srv.ports.smtp, 'alice@example.test', ['hdrs@remote.test'], message('alice@example.test', 'hdrs@remote.test', 'headers only', 'HIDDEN-BODY-LINE\r\n'), 'RET=HDRS');
  const h = await until('second bounce', () => bounces().find((t) => /hdrs@remote\.test/.test(t) && /Final-Recipient/.test(t)), 120_000);
  assert.match(h, /Content-Type: text\/rfc822-headers/);
  assert.match(h, /Subject: headers only/);
  assert.doesNotMatch(h, /HIDDEN-BODY-LINE/);
});

test('NOTIFY=NEVER and the null sender get no bounce', async () => {
  await submit(s.srv.ports.smtp, 'alice@example.test', [{ address: 'never@remote.test', params: 'NOTIFY=NEVER' }], message('alice@example.test', 'never@remote.test', 'no notice'));
  await submit(s.srv.ports.smtp, '', ['quiet@remote.test'], message('MAILER-DAEMON@example.test', 'quiet@remote.test', 'a bounce that bounces'));
  await until('both refused', () => {
    const t = logText(s.srv);
    return /bounced id=\S+ rcpt=never@remote\.test/.test(t) && /bounced id=\S+ rcpt=quiet@remote\.test/.test(t);
  });
  await until('null-sender DSN suppressed', () => /dsn-suppressed.*null sender/.test(logText(s.srv)));
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(bounces().filter((t) => /never@remote\.test|quiet@remote\.test/.test(t)), [], 'no notice about either');
  assert.equal((await queueList(s.srv)).length, 0);
});

test('a recipient that keeps failing temporarily gets a delay warning, then expires into a bounce', async () => {
  await submit(s.srv.ports.smtp, 'alice@example.test', ['doomed@remote.test'], message('alice@example.test', 'doomed@remote.test', 'doomed'));
  await until('delay warning and expiry bounce', () => bounces().filter((t) => /doomed@remote\.test/.test(t)).length >= 2, LIFETIME_S * 1000 + 120_000, 200);
  const mine = bounces().filter((t) => /doomed@remote\.test/.test(t));
  assert.equal(mine.length, 2, 'one delay warning, one bounce');
  const warn = mine.find((t) => /Action: delayed/.test(t))!;
  const fail = mine.find((t) => /Action: failed/.test(t))!;
  assert.ok(warn, 'a delay warning');
  assert.match(warn, /Will-Retry-Until: /);
  assert.match(warn, /Subject: Delayed Mail/);
  assert.ok(fail, 'an expiry bounce');
  assert.match(fail, /Status: 4\.4\.7/);
  assert.match(fail, /451 4\.3\.0 Try again later \(lab sink: temporary failure\)/);
  assert.match(logText(s.srv), /expired id=\S+ rcpt=doomed@remote\.test/);
  assert.equal((await queueList(s.srv)).length, 0);
  // retried several times before it expired, never more often than the schedule allows (a busy machine
  // only makes attempts later, so fewer): the first, then one per step until the lifetime, then the last at it
  const tries = grey.events.filter((e) => e.stage === 'rcpt' && e.arg === 'doomed@remote.test').length;
  let most = 1;
  for (let t = 0, i = 0; t + STEPS_S[Math.min(i, STEPS_S.length - 1)] < LIFETIME_S; i++, most++) t += STEPS_S[Math.min(i, STEPS_S.length - 1)];
  most++;
  assert.ok(tries >= 3 && tries <= most, `attempts: ${tries} (at most ${most})`);
});

test('NOTIFY=SUCCESS to a next hop without DSN gets a "relayed" notice', async () => {
  await submit(s.srv.ports.smtp, 'alice@example.test', [{ address: 'ok@nodsn.test', params: 'NOTIFY=SUCCESS,FAILURE' }], message('alice@example.test', 'ok@nodsn.test', 'tell me'));
  await nodsn.waitFor(1, 120_000);
  const r = await until('relayed notice', () => bounces().find((t) => /ok@nodsn\.test/.test(t)), 120_000);
  assert.match(r, /Action: relayed/);
  assert.match(r, /Status: 2\.0\.0/);
  assert.match(r, /Subject: Successful Mail Relay Notification/);
});
