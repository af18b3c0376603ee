// The scenario of the backscatter tests whose notices come from the queue state (security review 8), shared by the
// file queue's test (backscatter-remote-e2e) and its PostgreSQL twin (test/db/pg/serve-backscatter): a `tegami
// serve` judging loopback as a stranger, the lab DNS, a lab sink that answers 451 for the forwarded address, no SRS.
// A stranger naming `victim@forged.test` fills `dave@`'s 4 KB mailbox, then sends one message to `dave@` and to an
// alias forwarding outside, and one only to the alias. Both wait until they expire; the sender, who may be forged,
// gets no notice about either — neither about the local recipient nor about the forwarded one — and the log says so.
import assert from 'node:assert/strict';
import type { TestServer, TestServerOptions } from '../helpers/server.js';
import { cliOk, logLines, mail, smtpSend, startRulesLab, until, type RulesLab } from '../sieve/e2e-helpers.js';

export function startBackscatterLab(start?: (opts: TestServerOptions) => Promise<TestServer>): Promise<RulesLab> {
  return startRulesLab({
    users: ['dave@example.test'],
    queue: 'delay_warning = "1s"\nmax_queue_lifetime = "8s"',
    listeners: ['smtp'],
    sink: { tempFail: (rcpt: string) => rcpt === 'slow@remote.test' },
    toml: '[spam]\nenabled = true\nbayes = false\nlocal_networks = []\ncheck_rdns = false\ncheck_helo = false\n[srs]\nenabled = false\n',
    records: [{ name: 'forged.test', type: 'MX', data: '10 mx.lab.test' }],
    start,
  });
}

/** Both messages sent and expired; returns nothing, asserts that no notice reached the sender and why. */
export async function twoWaysNoNotice(lab: RulesLab): Promise<void> {
  cliOk(lab.srv, ['user', 'set', 'dave@example.test', '--quota', '4K']);
  cliOk(lab.srv, ['alias', 'add', 'fwd@example.test', 'slow@remote.test']);
  const fill = await smtpSend(lab.srv.ports.smtp, 'victim@forged.test', ['dave@example.test'], mail({ from: '<victim@forged.test>', to: 'dave@example.test', subject: 'filler', body: 'y'.repeat(76).concat('\r\n').repeat(38) }));
  assert.equal(fill.code, 250, fill.text);
  const fillId = /queued as (\w+)/.exec(fill.text)![1];
  // (the delivery log, not the Maildir: on PostgreSQL the mailbox is in the shared store)
  await until('the filler stored', () => logLines(lab.srv, 'delivered', new RegExp(`id=${fillId}\\b`)).length === 1 || null, 120_000);
  const sent = [
    { rcpts: ['dave@example.test', 'fwd@example.test'], subject: 'two ways', expired: 2 },
    { rcpts: ['fwd@example.test'], subject: 'only forwarded', expired: 1 },
  ];
  const ids: string[] = [];
  for (const s of sent) {
    const r = await smtpSend(lab.srv.ports.smtp, 'victim@forged.test', s.rcpts, mail({ from: '<victim@forged.test>', to: s.rcpts[0], subject: s.subject, body: 'z'.repeat(76).concat('\r\n').repeat(10) }));
    assert.equal(r.code, 250, r.text);
    ids.push(/queued as (\w+)/.exec(r.text)![1]);
  }
  for (const [i, id] of ids.entries()) {
    const mine = new RegExp(`id=${id}\\b`);
    await until(`${sent[i].subject}: expired for every recipient`, () => logLines(lab.srv, 'expired', mine).length >= sent[i].expired || null, 120_000);
    // the delay warning and the expiry notice were each decided (a remote attempt's), and both were left out
    await until(`${sent[i].subject}: a decision for both notices`, () => {
      const all = [...logLines(lab.srv, 'dsn', mine), ...logLines(lab.srv, 'dsn-suppressed', mine)];
      return (all.some((l) => /action=delayed/.test(l)) && all.some((l) => /action=failed/.test(l))) || null;
    }, 120_000);
    assert.deepEqual(logLines(lab.srv, 'dsn', mine), [], `${sent[i].subject}: no notice made`);
    const suppressed = logLines(lab.srv, 'dsn-suppressed', mine).join('\n');
    assert.match(suppressed, /action=delayed[^\n]*slow@remote\.test/, suppressed);
    assert.match(suppressed, /action=failed[^\n]*slow@remote\.test/, suppressed);
  }
  const toVictim = lab.sink.messages.filter((x) => x.to.includes('victim@forged.test')).map((x) => x.raw.toString('latin1'));
  assert.deepEqual(toVictim, [], 'no notice reached the sender that may be forged');
}
