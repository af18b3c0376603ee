// The notices of a copy sent on (an alias off-site, a forward, a redirect) follow the notice rule of
// workers/notice-sender.ts: a stranger on port 25 naming someone else as MAIL FROM, with NOTIFY=SUCCESS to an
// alias that points outside, made tegami mail that someone "Successful Mail Relay Notification: <his Subject>"
// with his header section, and a copy refused at the next hop came back to him as a failure notice the same way
// (security review 9, finding 1). And the hop limit after the 250 counts only the header's Received: fields, as
// the SMTP session does at DATA: a message with bare-LF line ends quoting 55 of them in its body was accepted, then
// failed as a loop (finding 2). Over real sockets: a `tegami serve` judging loopback as a stranger, the lab's
// stand-in DNS, a lab sink for the outside domains.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cliOk, folderFiles, logLines, mail, startRulesLab, until, type RulesLab } from '../sieve/e2e-helpers.js';
import { RawSmtp } from '../helpers/smtp-client.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({
    users: ['alice@example.test'],
    listeners: ['smtp'],
    // the next hop refuses gone@remote.test at RCPT (550 5.1.1) and does not offer DSN (so NOTIFY=SUCCESS is ours to answer)
    sink: { permFail: ['gone@remote.test'], server: { hideDSN: true } },
    // connection checks judge loopback (local_networks empty): orig.test's SPF passes for 127.0.0.1, forged.test has none
    toml: '[spam]\nenabled = true\nbayes = false\nlocal_networks = []\ncheck_rdns = false\ncheck_helo = false\n',
    records: [
      { name: 'orig.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.1 -all' },
      { name: 'forged.test', type: 'MX', data: '10 mx.lab.test' },
    ],
  });
  cliOk(lab.srv, ['alias', 'add', 'outside@example.test', 'ext@remote.test']);
  cliOk(lab.srv, ['alias', 'add', 'moved@example.test', 'gone@remote.test']);
});

after(async () => {
  await lab?.close();
});

/** One transaction with DSN parameters (RET=FULL, NOTIFY on the recipient); the queue id. */
async function send(from: string, to: string, raw: string, notify: string): Promise<string> {
  const c = await RawSmtp.connect(lab.srv.ports.smtp);
  try {
    await c.reply();
    await c.cmd('EHLO client.orig.test');
    assert.equal((await c.cmd(`MAIL FROM:<${from}> RET=FULL`)).code, 250);
    const r = await c.cmd(`RCPT TO:<${to}> NOTIFY=${notify}`);
    assert.equal(r.code, 250, r.text);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write(Buffer.from(raw.replace(/^\./gm, '..') + '.\r\n', 'latin1'));
    const end = await c.reply(120_000);
    assert.equal(end.code, 250, end.text);
    await c.cmd('QUIT').catch(() => undefined);
    return /queued as (\w+)/.exec(end.text)![1];
  } finally {
    c.close();
  }
}

const toVictim = () => lab.sink.messages.filter((m) => m.to.includes('victim@forged.test'));
/** Notices the queue sent about a copy whose envelope sender carries victim@forged.test (SRS0=…=forged.test=victim@…). */
const victimNotices = (action: string) => logLines(lab.srv, 'dsn', new RegExp(`action=${action} to="?SRS0=\\S+=forged\\.test=victim@`, 'i'));

test('a stranger forging the sender, NOTIFY=SUCCESS to an alias off-site: the copy goes on, no relay notice to the forged sender', async () => {
  await send('victim@forged.test', 'outside@example.test', mail({ from: '<victim@forged.test>', to: 'outside@example.test', subject: 'BUY CHEAP PILLS relayed' }), 'SUCCESS,FAILURE');
  await until('the forwarded copy at the next hop', () => lab.sink.messages.find((m) => m.to.includes('ext@remote.test') && m.raw.includes('BUY CHEAP PILLS relayed')), 120_000);
  // a vouched sender (SPF passes for orig.test) still gets its relay notice, back through the SRS address
  await send('sender@orig.test', 'outside@example.test', mail({ to: 'outside@example.test', subject: 'vouched relayed' }), 'SUCCESS');
  const notice = await until('the relay notice at sender@orig.test', () => lab.sink.messages.find((m) => m.to.includes('sender@orig.test') && /Successful Mail Relay Notification: vouched relayed/.test(m.raw.toString('latin1'))), 120_000);
  assert.equal(notice.from, '');
  // both copies recorded as sent (a notice is decided in the same step)
  await until('both copies recorded', () => logLines(lab.srv, 'sent', /rcpt=ext@remote\.test/).length >= 2 || null, 120_000);
  assert.deepEqual(victimNotices('relayed'), [], 'no notice about the forged sender\'s copy');
  assert.equal(toVictim().length, 0, 'nothing reached the forged sender');
});

test('a forwarded copy refused at the next hop: no failure notice to a forged sender, one to a vouched sender', async () => {
  await send('victim@forged.test', 'moved@example.test', mail({ from: '<victim@forged.test>', to: 'moved@example.test', subject: 'BUY CHEAP PILLS refused' }), 'FAILURE');
  await send('sender@orig.test', 'moved@example.test', mail({ to: 'moved@example.test', subject: 'vouched refused' }), 'FAILURE');
  await until('the failure notice at sender@orig.test', () => lab.sink.messages.find((m) => m.to.includes('sender@orig.test') && /Undelivered Mail Returned to Sender: vouched refused/.test(m.raw.toString('latin1'))), 120_000);
  await until('both copies refused', () => logLines(lab.srv, 'bounced', /rcpt=gone@remote\.test/).length >= 2 || null, 120_000);
  assert.deepEqual(victimNotices('failed'), [], 'no notice about the forged sender\'s copy');
  assert.equal(toVictim().length, 0, 'nothing reached the forged sender');
});

test('bare-LF line ends: Received: lines quoted in the body are not hops (accepted at DATA, then delivered)', async () => {
  const quoted = Array.from({ length: 55 }, (_, i) => `Received: from h${i}.orig.test by r${i}.orig.test; Mon, 1 Jan 2024 00:00:00 +0000`);
  const raw = ['From: sender@orig.test', 'To: alice@example.test', 'Subject: the headers of that loop', '', 'Here they are:', ...quoted, 'end', ''].join('\n');
  const c = await RawSmtp.connect(lab.srv.ports.smtp);
  try {
    await c.reply();
    await c.cmd('EHLO client.orig.test');
    assert.equal((await c.cmd('MAIL FROM:<sender@orig.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write(Buffer.from(raw + '\r\n.\r\n', 'latin1')); // the lines end in bare LF; only the final dot's line in CRLF
    const end = await c.reply(120_000);
    assert.equal(end.code, 250, end.text);
    await c.cmd('QUIT').catch(() => undefined);
  } finally {
    c.close();
  }
  await until('the message in alice\'s INBOX', () => folderFiles(lab.srv, 'alice@example.test', 'INBOX').length === 1 || null, 120_000);
  assert.equal(logLines(lab.srv, 'failed', /Too many hops/).length, 0, 'not failed as a loop');
});
