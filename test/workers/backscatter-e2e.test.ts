// Failures decided after the 250 (the hop limit, a message that can never fit the mailbox, a full one until the
// message expires) send a delivery notice
// only to a sender that cannot be forged (authenticated, SPF passing for the MAIL FROM domain, an aligned DMARC pass,
// or a client of [spam] local_networks / trusted_ips): a stranger on port 25 naming someone else as MAIL FROM gets
// no notice carrying his headers and Subject, signed in our name, sent to that someone (security review 8).
// Over real sockets: a `tegami serve` judging loopback as a stranger, the lab's stand-in DNS, a lab sink for the
// outside domains.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cliOk, folderFiles, logLines, mail, smtpSend, startRulesLab, until, type RulesLab } from '../sieve/e2e-helpers.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({
    users: ['alice@example.test', 'bobby@example.test', 'carol@example.test'],
    // a deferred local recipient warns after 1 s and expires after 8 s (test 3)
    queue: 'delay_warning = "1s"\nmax_queue_lifetime = "8s"',
    listeners: ['smtp'],
    // connection checks judge loopback here (local_networks empty), so SPF is evaluated: orig.test authorises
    // 127.0.0.1, forged.test publishes nothing
    toml: '[spam]\nenabled = true\nbayes = false\nlocal_networks = []\ncheck_rdns = false\ncheck_helo = false\n',
    records: [
      { name: 'orig.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.1 -all' },
      { name: 'forged.test', type: 'MX', data: '10 mx.lab.test' },
    ],
  });
  cliOk(lab.srv, ['user', 'set', 'bobby@example.test', '--quota', '4K']);
  cliOk(lab.srv, ['user', 'set', 'carol@example.test', '--quota', '4K']);
});

after(async () => {
  await lab?.close();
});

const hops = Array.from({ length: 50 }, (_, i) => `Received: from hop${i}.forged.test by relay${i}.forged.test; Mon, 1 Jan 2024 00:00:00 +0000`);

/** The queue's decision about a notice for this message: the `dsn` line (sent) or the `dsn-suppressed` line. */
async function noticeFor(id: string): Promise<'sent' | 'suppressed'> {
  return until(`the notice decision for ${id}`, () => {
    if (logLines(lab.srv, 'dsn', new RegExp(`id=${id}\\b`)).length) return 'sent' as const;
    if (logLines(lab.srv, 'dsn-suppressed', new RegExp(`id=${id}\\b`)).length) return 'suppressed' as const;
    return null;
  }, 120_000);
}

async function queued(from: string, to: string, raw: string): Promise<string> {
  const r = await smtpSend(lab.srv.ports.smtp, from, [to], raw);
  assert.equal(r.code, 250, r.text);
  return /queued as (\w+)/.exec(r.text)![1];
}

test('past the hop limit, a forged sender is refused at the end of DATA (554 5.4.6): no notice, nothing queued', async () => {
  // since harden10 the hop limit is found before the 250 (engine/smtp/session.ts): the client is told, nobody is
  // mailed; the after-250 check (and its notice rule) stays for Sieve redirects and lists (redirect-srs-e2e)
  const r = await smtpSend(lab.srv.ports.smtp, 'victim@forged.test', ['alice@example.test'], [...hops, mail({ from: '<victim@forged.test>', subject: 'BUY CHEAP PILLS at pills.forged.test' })].join('\r\n'));
  assert.equal(r.code, 554, r.text);
  assert.match(r.text, /5\.4\.6 Too many hops/);
  const vouched = await smtpSend(lab.srv.ports.smtp, 'sender@orig.test', ['alice@example.test'], [...hops, mail({ subject: 'looping, vouched' })].join('\r\n'));
  assert.equal(vouched.code, 554, vouched.text);
  assert.equal(logLines(lab.srv, 'dsn').length + logLines(lab.srv, 'dsn-suppressed').length, 0, 'no notice decided at all');
  assert.equal(lab.sink.messages.filter((x) => x.to.includes('victim@forged.test') || x.to.includes('sender@orig.test')).length, 0, 'nothing went to either sender');
  assert.equal(folderFiles(lab.srv, 'alice@example.test', 'INBOX').length, 0, 'a looping message is stored nowhere');
});

test('a message that can never fit the mailbox: no notice to a forged sender', async () => {
  const big = mail({ from: '<victim@forged.test>', to: 'bobby@example.test', subject: 'too big for bobby', body: 'x'.repeat(76).concat('\r\n').repeat(200) });
  const id = await queued('victim@forged.test', 'bobby@example.test', big);
  assert.equal(await noticeFor(id), 'suppressed');
  assert.equal(lab.sink.messages.filter((x) => x.to.includes('victim@forged.test')).length, 0);
  assert.equal(folderFiles(lab.srv, 'bobby@example.test', 'INBOX').length, 0);
});

test('a mailbox full at delivery: a forged sender gets neither the delay warning nor the expiry notice', async () => {
  // the stranger fills carol's mailbox himself: the first fits, the second passes RCPT (not full yet) and waits
  const fill = await queued('victim@forged.test', 'carol@example.test', mail({ from: '<victim@forged.test>', to: 'carol@example.test', subject: 'filler', body: 'y'.repeat(76).concat('\r\n').repeat(38) }));
  await until('the filler stored', () => folderFiles(lab.srv, 'carol@example.test', 'INBOX').length === 1 || null, 120_000);
  assert.ok(fill);
  const id = await queued('victim@forged.test', 'carol@example.test', mail({ from: '<victim@forged.test>', to: 'carol@example.test', subject: 'waits for room', body: 'z'.repeat(76).concat('\r\n').repeat(25) }));
  await until('the deferred message expired', () => logLines(lab.srv, 'expired', new RegExp(`id=${id}\\b`)).length > 0 || null, 120_000);
  // the queue's decisions about the delay warning and the expiry notice: sent (`dsn`) or not (`dsn-suppressed`)
  const decided = await until('both notice decisions', () => {
    const all = [...logLines(lab.srv, 'dsn', new RegExp(`id=${id}\\b`)), ...logLines(lab.srv, 'dsn-suppressed', new RegExp(`id=${id}\\b`))];
    return (all.some((l) => /action=delayed/.test(l)) && all.some((l) => /action=failed/.test(l)) && all) || null;
  }, 120_000);
  assert.deepEqual(decided.map((l) => l.split(' ')[2]), ['dsn-suppressed', 'dsn-suppressed'], decided.join('\n'));
  assert.equal(lab.sink.messages.filter((x) => x.to.includes('victim@forged.test')).length, 0);
});
