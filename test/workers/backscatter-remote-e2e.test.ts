// The worker's "no notice" decision is kept in the queue state (security review 8, left open 1): a stranger's
// message with a deferred local recipient (a mailbox he filled himself) and a remote one (an alias forwarding to
// the outside, no SRS) gets its delay warning and expiry notices from remote attempts too; those must not cover the
// local recipient whose notices the worker suppressed. Over real sockets: a `tegami serve` judging loopback as a
// stranger, the lab DNS, a lab sink that answers 451 for the forwarded address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cliOk, folderFiles, logLines, mail, smtpSend, startRulesLab, until, type RulesLab } from '../sieve/e2e-helpers.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({
    users: ['dave@example.test'],
    queue: 'delay_warning = "1s"\nmax_queue_lifetime = "8s"',
    listeners: ['smtp'],
    sink: { tempFail: (rcpt: string) => rcpt === 'slow@remote.test' },
    toml: '[spam]\nenabled = true\nbayes = false\nlocal_networks = []\ncheck_rdns = false\ncheck_helo = false\n[srs]\nenabled = false\n',
    records: [{ name: 'forged.test', type: 'MX', data: '10 mx.lab.test' }],
  });
  cliOk(lab.srv, ['user', 'set', 'dave@example.test', '--quota', '4K']);
  cliOk(lab.srv, ['alias', 'add', 'fwd@example.test', 'slow@remote.test']);
});

after(async () => {
  await lab?.close();
});

test('a remote attempt\'s delay warning and expiry notice leave out the local recipient whose notices were suppressed', async () => {
  const fill = await smtpSend(lab.srv.ports.smtp, 'victim@forged.test', ['dave@example.test'], mail({ from: '<victim@forged.test>', to: 'dave@example.test', subject: 'filler', body: 'y'.repeat(76).concat('\r\n').repeat(38) }));
  assert.equal(fill.code, 250, fill.text);
  await until('the filler stored', () => folderFiles(lab.srv, 'dave@example.test', 'INBOX').length === 1 || null, 120_000);
  const r = await smtpSend(lab.srv.ports.smtp, 'victim@forged.test', ['dave@example.test', 'fwd@example.test'], mail({ from: '<victim@forged.test>', to: 'dave@example.test', subject: 'two ways', body: 'z'.repeat(76).concat('\r\n').repeat(10) }));
  assert.equal(r.code, 250, r.text);
  const id = /queued as (\w+)/.exec(r.text)![1];
  await until('the message expired for both recipients', () => logLines(lab.srv, 'expired', new RegExp(`id=${id}\\b`)).length >= 2 || null, 120_000);
  await until('a decision for both notices', () => {
    const all = [...logLines(lab.srv, 'dsn', new RegExp(`id=${id}\\b`)), ...logLines(lab.srv, 'dsn-suppressed', new RegExp(`id=${id}\\b`))];
    return (all.some((l) => /action=delayed/.test(l)) && all.some((l) => /action=failed/.test(l))) || null;
  }, 120_000);
  const toVictim = lab.sink.messages.filter((x) => x.to.includes('victim@forged.test')).map((x) => x.raw.toString('latin1'));
  for (const n of toVictim) assert.doesNotMatch(n, /Final-Recipient: rfc822; ?dave@example\.test/i, n);
  assert.ok(logLines(lab.srv, 'dsn-suppressed', new RegExp(`id=${id}\\b`)).length >= 1, 'the local recipient\'s notices were suppressed and said so');
});
