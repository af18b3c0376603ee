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

before(async () => {
  // one sink: greylists grey@, always 4xx for doomed@, 5xx for gone@
  grey = await startSink({
    tempFail: ['doomed@remote.test'],
    permFail: ['gone@remote.test', 'quiet@remote.test', 'hdrs@remote.test', 'never@remote.test'],
    greylist: true,
    greylistMs: 500,
  });
  nodsn = await startSink({ server: { hideDSN: true } as never });
  s = await setup({
    mxPort: grey.port,
    records: [
      { name: 'remote.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'mx.remote.test', type: 'A', data: '127.0.0.1' },
    ],
    toml: `[queue]\nretry_schedule = ["1s", "2s"]\nmax_queue_lifetime = "5s"\ndelay_warning = "2s"\n[[route]]\ndomain = "nodsn.test"\nto = "${nodsn.address}"\n`,
  });
});

after(async () => {
  await s?.close();
  await grey?.close();
  await nodsn?.close();
});

const bounces = () => readMail(s.srv.maildir('alice@example.test')).filter((t) => /report-type=delivery-status/.test(t));

test('4xx (greylisting) is deferred, shown in the queue, retried on schedule and delivered', async () => {
  const t0 = Date.now();
  await submit(s.srv.ports.smtp, 'alice@example.test', ['grey@remote.test'], message('alice@example.test', 'grey@remote.test', 'greylisted'));
  const listed = await until('deferred entry', () => queueList(s.srv).find((m) => m.state === 'deferred' || m.recipients.some((r) => r.attempts > 0)));
  assert.equal(listed.recipients[0].address, 'grey@remote.test');
  assert.match(listed.last_error ?? '', /451 4\.7\.1 Greylisted/);
  assert.ok(listed.next_attempt);
  const [m] = await grey.waitFor(1, 15_000);
  assert.deepEqual(m.to, ['grey@remote.test']);
  assert.ok(Date.now() - t0 >= 900, 'delivered on the retry, about 1 s later');
  assert.match(logText(s.srv), /deferred id=\S+ rcpt=grey@remote\.test.*next_attempt=/);
  await until('queue empty', () => queueList(s.srv).length === 0);
});

test('5xx bounces to the local sender, quoting the remote reply, with ENVID and ORCPT; RET=HDRS returns headers only', async () => {
  const n = bounces().length;
  await submit(
    s.srv.ports.smtp,
    'alice@example.test',
    [{ address: 'gone@remote.test', params: 'NOTIFY=FAILURE ORCPT=rfc822;gone-orig@remote.test' }],
    message('alice@example.test', 'gone@remote.test', 'will bounce', 'SECRET-BODY-LINE\r\n'),
    'RET=FULL ENVID=env-123',
  );
  await until('bounce', () => bounces().length > n, 15_000);
  const b = bounces().find((t) => /gone@remote\.test/.test(t))!;
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

  const n2 = bounces().length;
  await submit(s.srv.ports.smtp, 'alice@example.test', ['hdrs@remote.test'], message('alice@example.test', 'hdrs@remote.test', 'headers only', 'HIDDEN-BODY-LINE\r\n'), 'RET=HDRS');
  await until('second bounce', () => bounces().length > n2, 15_000);
  const h = bounces().find((t) => /hdrs@remote\.test/.test(t) && /Final-Recipient/.test(t))!;
  assert.match(h, /Content-Type: text\/rfc822-headers/);
  assert.match(h, /Subject: headers only/);
  assert.doesNotMatch(h, /HIDDEN-BODY-LINE/);
});

test('NOTIFY=NEVER and the null sender get no bounce', async () => {
  const n = bounces().length;
  await submit(s.srv.ports.smtp, 'alice@example.test', [{ address: 'never@remote.test', params: 'NOTIFY=NEVER' }], message('alice@example.test', 'never@remote.test', 'no notice'));
  await submit(s.srv.ports.smtp, '', ['quiet@remote.test'], message('MAILER-DAEMON@example.test', 'quiet@remote.test', 'a bounce that bounces'));
  await until('both refused', () => {
    const t = logText(s.srv);
    return /bounced id=\S+ rcpt=never@remote\.test/.test(t) && /bounced id=\S+ rcpt=quiet@remote\.test/.test(t);
  });
  await until('null-sender DSN suppressed', () => /dsn-suppressed.*null sender/.test(logText(s.srv)));
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(bounces().length, n);
  assert.equal(queueList(s.srv).length, 0);
});

test('a recipient that keeps failing temporarily gets a delay warning, then expires into a bounce', async () => {
  const n = bounces().length;
  await submit(s.srv.ports.smtp, 'alice@example.test', ['doomed@remote.test'], message('alice@example.test', 'doomed@remote.test', 'doomed'));
  await until('delay warning and expiry bounce', () => bounces().filter((t) => /doomed@remote\.test/.test(t)).length >= 2, 20_000, 200);
  const mine = bounces().filter((t) => /doomed@remote\.test/.test(t));
  assert.equal(bounces().length - n, 2);
  const warn = mine.find((t) => /Action: delayed/.test(t))!;
  const fail = mine.find((t) => /Action: failed/.test(t))!;
  assert.ok(warn, 'a delay warning');
  assert.match(warn, /Will-Retry-Until: /);
  assert.match(warn, /Subject: Delayed Mail/);
  assert.ok(fail, 'an expiry bounce');
  assert.match(fail, /Status: 4\.4\.7/);
  assert.match(fail, /451 4\.3\.0 Try again later \(lab sink: temporary failure\)/);
  assert.match(logText(s.srv), /expired id=\S+ rcpt=doomed@remote\.test/);
  assert.equal(queueList(s.srv).length, 0);
  // retried several times before it expired (1 s, then 2 s steps within 5 s)
  const tries = grey.events.filter((e) => e.stage === 'rcpt' && e.arg === 'doomed@remote.test').length;
  assert.ok(tries >= 3 && tries <= 5, `attempts: ${tries}`);
});

test('NOTIFY=SUCCESS to a next hop without DSN gets a "relayed" notice', async () => {
  const n = bounces().length;
  await submit(s.srv.ports.smtp, 'alice@example.test', [{ address: 'ok@nodsn.test', params: 'NOTIFY=SUCCESS,FAILURE' }], message('alice@example.test', 'ok@nodsn.test', 'tell me'));
  await nodsn.waitFor(1, 10_000);
  await until('relayed notice', () => bounces().length > n, 10_000);
  const r = bounces().find((t) => /ok@nodsn\.test/.test(t))!;
  assert.match(r, /Action: relayed/);
  assert.match(r, /Status: 2\.0\.0/);
  assert.match(r, /Subject: Successful Mail Relay Notification/);
});
