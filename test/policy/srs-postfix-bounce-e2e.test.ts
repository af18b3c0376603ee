// Security review 9, left open 1: with one harvested SRS address of victim@orig.test (a forwarded copy he reads),
// a stranger sent null-sender junk to it until `450 4.7.1 … too many bounces for this sender today`, and every real
// bounce of the victim's forwarded mail was then deferred by its server (and lost past its queue lifetime). Now
// each forwarded copy has an SRS address of its own, counted alone: the harvested copy's allowance runs out, the
// real bounce of another copy still gets through. The next hop is a real Postfix (private instance on a loopback
// port) hosting friend.test and orig.test: it accepts the victim's forwarded copy for owner@friend.test, fails it
// (transport error:5.2.2 Mailbox full), and sends its own DSN to the copy's SRS address through tegami (relayhost),
// which returns it to victim@orig.test, back at the same Postfix, with the copy's Japanese Subject in its headers
// (ISO-2022-JP in an encoded word; raw UTF-8).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import { freePort, requirePostfix, startTestServer, type TestServer } from '../helpers/server.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import { postfixAvailable, startPostfix } from '../../lab/targets/postfix.js';
import { cliOk, mail, smtpSend, until } from '../sieve/e2e-helpers.js';

let srv: TestServer | undefined;
let dns: DnsServer | undefined;
let pf: Awaited<ReturnType<typeof startPostfix>> | undefined;

/** 「配達できなかった転送メール」 as Japanese mail writes it: ISO-2022-JP in an RFC 2047 encoded word. */
const JA = '配達できなかった転送メール';
const JA_SUBJECT = `=?ISO-2022-JP?B?${Buffer.from(Encoding.convert(Encoding.stringToCode(JA), { to: 'JIS', from: 'UNICODE' })).toString('base64')}?=`;

/** And as 8-bit mail writes it: raw UTF-8 bytes in the header. */
const JA_UTF8 = '不達のお知らせ（UTF-8 の件名）';

before(async () => {
  if (!postfixAvailable().ok) return;
  const pfPort = await freePort();
  dns = await startDnsServer({
    zones: [
      { name: 'mx.lab.test', type: 'A', data: '127.0.0.1' },
      { name: 'friend.test', type: 'MX', data: '10 mx.lab.test' },
      { name: 'orig.test', type: 'MX', data: '10 mx.lab.test' },
      // the victim's own mail passes SPF (its copies keep their notices); loopback is judged as a stranger
      { name: 'orig.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.1 -all' },
    ],
  });
  srv = await startTestServer({
    toml: [
      '[dns]',
      `servers = ["${dns.address}"]`,
      'timeout = "2s"',
      '[outbound]',
      `port = ${pfPort}`,
      'connect_timeout = "5s"',
      '[queue]',
      'retry_schedule = ["1s", "2s"]',
      '[spam]',
      'enabled = true',
      'bayes = false',
      'local_networks = []',
      'check_rdns = false',
      'check_helo = false',
      // the bound of review 9's lab (for SRS addresses of the older form; copies are counted alone, 5 each)
      '[srs]',
      'max_bounces_per_day = 3',
    ].join('\n'),
    listeners: ['smtp'],
    users: ['alice@example.test', 'mallory@example.test'].map((address) => ({ address, password: 'secret-pass-1' })),
  });
  pf = await startPostfix({
    port: pfPort,
    domain: 'friend.test',
    domains: ['orig.test'],
    users: ['owner@friend.test', 'mallory@friend.test', 'victim@orig.test'],
    transport: { 'owner@friend.test': 'error:5.2.2 Mailbox full' },
    // owner@friend.test is taken at RCPT and bounced after (error(8)); its bounces (to our SRS addresses in
    // example.test) go to tegami
    hostname: 'mx.friend.test',
    mainCf: ['smtpd_reject_unlisted_recipient = no', `relayhost = [127.0.0.1]:${srv.ports.smtp}`],
  });
  // alice reads her mail at friend.test (whose mailbox is full); mallory, the attacker, forwards his to friend.test
  cliOk(srv, ['user', 'set', 'alice@example.test', '--forward', 'owner@friend.test']);
  cliOk(srv, ['user', 'set', 'mallory@example.test', '--forward', 'mallory@friend.test']);
});

after(async () => {
  await srv?.stop();
  await pf?.stop();
  await dns?.close();
});

/** The messages in a Postfix mailbox (new/). */
function mailbox(address: string): string[] {
  const dir = path.join(pf!.maildir!(address), 'new');
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'latin1')) : [];
}

test("a harvested copy's address is bounded alone; a real Postfix bounce of another copy still reaches the victim", async (t) => {
  if (!requirePostfix(t)) return;
  const smtp = srv!.ports.smtp;
  // the attacker has one message naming the victim as its sender forwarded to a mailbox he reads: its SRS address
  const h = await smtpSend(smtp, 'victim@orig.test', ['mallory@example.test'], mail({ from: 'Victim <victim@orig.test>', to: 'mallory@example.test', subject: 'harvest' }));
  assert.equal(h.code, 250, h.text);
  const [copy] = await until('the harvested copy at friend.test', () => {
    const m = mailbox('mallory@friend.test');
    return m.length ? m : null;
  }, 120_000);
  const harvested = /^Return-Path: <([^>]+)>/m.exec(copy)![1];
  assert.match(harvested, /^SRS0=[A-Z2-7]+=[A-Z2-7]{2}=orig\.test=victim@example\.test$/i);

  // he sends null-sender junk to it until refused
  let accepted = 0;
  let refusal = { code: 0, text: '', stage: '' };
  for (let n = 1; n <= 10; n++) {
    const r = await smtpSend(smtp, '', [harvested], mail({ from: 'MAILER-DAEMON@forged.test', to: harvested, subject: `null-sender flood ${n}` }));
    if (r.code !== 250) {
      refusal = r;
      break;
    }
    accepted++;
  }
  assert.equal(refusal.stage, 'rcpt', refusal.text);
  assert.equal(refusal.code, 450);

  // the victim's own mail to alice, forwarded to her full mailbox at friend.test: Postfix takes it, then bounces it;
  // its Subject in ISO-2022-JP (an encoded word), and another with raw UTF-8 in its Subject (8-bit header)
  for (const [subject, id] of [[JA_SUBJECT, 'real-mail-1'], [JA_UTF8, 'real-mail-2']]) {
    const r = await smtpSend(smtp, 'victim@orig.test', ['alice@example.test'], mail({ from: 'Victim <victim@orig.test>', subject, id }));
    assert.equal(r.code, 250, r.text);
  }
  // Postfix's DSNs to those copies' SRS addresses, through tegami: sent (250), not deferred
  const bounces = () => pf!.maillog().split('\n').filter((l) => /to=<srs0=[^>]*=orig\.test=victim@example\.test>.*status=(sent|deferred|bounced)/i.test(l));
  const lines = await until("Postfix's two bounces to the copies' SRS addresses, sent or deferred", () => (bounces().length >= 2 ? bounces() : null), 120_000).catch((e) => {
    console.error(pf!.maillog());
    throw e;
  });
  for (const line of lines) assert.match(line, /status=sent \(250 /, line);
  const [utf8] = await until('the DSN of the UTF-8 copy in the victim’s mailbox', () => {
    const m = mailbox('victim@orig.test').filter((x) => /real-mail-2/.test(x));
    return m.length ? m : null;
  }, 120_000);
  assert.ok(utf8.includes(`Subject: ${Buffer.from(JA_UTF8, 'utf8').toString('latin1')}\n`), 'the raw UTF-8 Subject, byte for byte, in the returned headers');
  assert.match(utf8, /^Final-Recipient: rfc822; ?owner@friend\.test/m);
  const [dsn] = await until('the DSN of the ISO-2022-JP copy in the victim’s mailbox', () => {
    const m = mailbox('victim@orig.test').filter((x) => /real-mail-1/.test(x));
    return m.length ? m : null;
  }, 120_000);
  // Postfix's own format, as tegami returned it: the null sender, the report, the copy's headers with its Subject
  assert.match(dsn, /^Return-Path: <>/m);
  assert.match(dsn, /^Content-Type: multipart\/report; report-type=delivery-status;/m);
  assert.match(dsn, /This is the mail system at host mx\.friend\.test\./);
  assert.match(dsn, /^Final-Recipient: rfc822; ?owner@friend\.test/m);
  assert.match(dsn, /^Status: 5\.2\.2/m);
  assert.match(dsn, /Mailbox full/);
  assert.match(dsn, /^Content-Type: (message\/rfc822|text\/rfc822-headers)/m);
  const subject = /^Subject: (=\?ISO-2022-JP\?B\?[^?]+\?=)\r?$/m.exec(dsn);
  assert.equal(subject?.[1], JA_SUBJECT);
  const decoded = Encoding.convert(Buffer.from(/\?B\?([^?]+)\?=/.exec(subject![1])![1], 'base64'), { to: 'UNICODE', from: 'JIS', type: 'string' });
  assert.equal(decoded, JA);

  // the harvested copy took its own allowance ([srs] max_bounces_per_copy, 5) and no more; the day's bound of
  // the older addresses (3 per sender) did not apply to it
  assert.equal(accepted, 5);
  assert.match(refusal.text, /4\.7\.1 .*too many bounces for this forwarded message today/);
});
