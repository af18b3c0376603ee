// An SRS address of ours takes bounces (the null sender) for the address it carries, and nothing else: once anyone
// who reads a forwarded copy knows SRS0=…=orig.test=victim@example.test, mail with a sender to it would be relayed
// to victim@orig.test for three weeks, from a stranger on port 25, with no per-account limit; and since a bounce
// may hold anything, bounces are bounded per original sender and day ([srs] max_bounces_per_day) (security
// review 8).
// Over real sockets: a `tegami serve`, the lab's stand-in DNS and a lab sink for the outside domains.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cliOk, mail, smtpSend, startRulesLab, until, type RulesLab } from '../sieve/e2e-helpers.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({ users: ['alice@example.test'], toml: '[srs]\nmax_bounces_per_day = 3\n' });
  // an ordinary account forwards to a mailbox outside that its owner reads
  cliOk(lab.srv, ['user', 'set', 'alice@example.test', '--forward', 'owner@friend.test']);
});

after(async () => {
  await lab?.close();
});

let harvested = '';

test('a harvested SRS address relays no mail with a sender; a bounce to it still goes back', async () => {
  // one message naming the victim as sender, forwarded: its SRS address is now known outside
  const r = await smtpSend(lab.srv.ports.smtp, 'victim@orig.test', ['alice@example.test'], mail({ subject: 'harvest' }));
  assert.equal(r.code, 250, r.text);
  const [copy] = await until('the forwarded copy', () => {
    const m = lab.sink.messages.filter((x) => x.to.includes('owner@friend.test'));
    return m.length ? m : null;
  }, 120_000);
  assert.match(copy.from, /^SRS0=[A-Z2-7]{6}=[A-Z2-7]{2}=orig\.test=victim@example\.test$/i);
  harvested = copy.from;

  // a stranger sends whatever he likes to that address, with a sender: refused at RCPT, nothing relayed
  const spam = await smtpSend(lab.srv.ports.smtp, 'spammer@forged.test', [copy.from], mail({ from: 'Pharmacy <spammer@forged.test>', to: 'victim@orig.test', subject: 'CHEAP PILLS via srs' }));
  assert.equal(spam.stage, 'rcpt', spam.text);
  assert.equal(spam.code, 550);
  assert.match(spam.text, /5\.7\.1 .*SRS/);

  // the bounce the address exists for is still accepted and returned
  const bounce = await smtpSend(lab.srv.ports.smtp, '', [copy.from], mail({ from: 'MAILER-DAEMON@friend.test', to: copy.from, subject: 'Undelivered Mail Returned to Sender (srs relay test)' }));
  assert.equal(bounce.code, 250, bounce.text);
  await until('the bounce at the sink', () => lab.sink.messages.some((x) => x.to.includes('victim@orig.test') && /srs relay test/.test(x.raw.toString('latin1'))), 120_000);
  assert.equal(lab.sink.messages.filter((x) => x.to.includes('victim@orig.test') && /CHEAP PILLS/.test(x.raw.toString('latin1'))).length, 0);
});

test('bounces through SRS addresses are bounded per original sender and day (450 past it); another sender is not', async () => {
  assert.ok(harvested, 'the first test harvested an address');
  // the first test's bounce counted one; max_bounces_per_day = 3
  const bounce = (to: string, n: number) => smtpSend(lab.srv.ports.smtp, '', [to], mail({ from: 'MAILER-DAEMON@friend.test', to, subject: `null-sender flood ${n}` }));
  for (const n of [2, 3]) assert.equal((await bounce(harvested, n)).code, 250);
  const over = await bounce(harvested, 4);
  assert.equal(over.stage, 'rcpt', over.text);
  assert.equal(over.code, 450);
  assert.match(over.text, /4\.7\.1 .*too many bounces/);
  // another original sender has its own count
  const r = await smtpSend(lab.srv.ports.smtp, 'other@orig.test', ['alice@example.test'], mail({ from: 'Other <other@orig.test>', subject: 'harvest two' }));
  assert.equal(r.code, 250, r.text);
  const [copy] = await until('the second forwarded copy', () => {
    const m = lab.sink.messages.filter((x) => x.to.includes('owner@friend.test') && /harvest two/.test(x.raw.toString('latin1')));
    return m.length ? m : null;
  }, 120_000);
  assert.equal((await bounce(copy.from, 5)).code, 250);
  await until('two flood bounces at the sink', () => lab.sink.messages.filter((x) => x.to.includes('victim@orig.test') && /null-sender flood/.test(x.raw.toString('latin1'))).length === 2 || null, 120_000);
  assert.equal(lab.sink.messages.filter((x) => /null-sender flood 4/.test(x.raw.toString('latin1'))).length, 0);
});
