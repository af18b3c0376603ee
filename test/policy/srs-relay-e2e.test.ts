// An SRS address of ours takes bounces (the null sender) for the address it carries, and nothing else: once anyone
// who reads a forwarded copy knows SRS0=…=orig.test=victim@example.test, mail with a sender to it would be relayed
// to victim@orig.test for three weeks, from a stranger on port 25, with no per-account limit; and since a bounce
// may hold anything, bounces are bounded (security review 8): per forwarded copy and day ([srs]
// max_bounces_per_copy), each copy having an address of its own, so one harvested address cannot use up the
// allowance of the sender's other copies (review 9, left open 1); an address of the older form (one per sender and
// day, made before copy tags) keeps the bound per original sender ([srs] max_bounces_per_day) until it expires.
// Over real sockets: a `tegami serve`, the lab's stand-in DNS and a lab sink for the outside domains.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cliOk, mail, smtpSend, startRulesLab, until, type RulesLab } from '../sieve/e2e-helpers.js';
import { parseSecret } from '../../engine/srs/secret.js';
import { olderSrs0 } from '../srs/older-form.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({ users: ['alice@example.test'], toml: '[srs]\nmax_bounces_per_day = 3\nmax_bounces_per_copy = 2\n' });
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
  assert.match(copy.from, /^SRS0=[A-Z2-7]{11}=[A-Z2-7]{2}=orig\.test=victim@example\.test$/i);
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

test('bounces are bounded per forwarded copy and day (450 past it); another copy of the same sender is not', async () => {
  assert.ok(harvested, 'the first test harvested an address');
  // the first test's bounce counted one; max_bounces_per_copy = 2
  const bounce = (to: string, n: number) => smtpSend(lab.srv.ports.smtp, '', [to], mail({ from: 'MAILER-DAEMON@friend.test', to, subject: `null-sender flood ${n}` }));
  assert.equal((await bounce(harvested, 2)).code, 250);
  const over = await bounce(harvested, 3);
  assert.equal(over.stage, 'rcpt', over.text);
  assert.equal(over.code, 450);
  assert.match(over.text, /4\.7\.1 .*too many bounces for this forwarded message today/);
  // the same address in another case is the same copy
  assert.equal((await bounce(harvested.toLowerCase(), 4)).code, 450);
  // another copy of the same sender's mail has its own address and count: its real bounces still come back
  const r = await smtpSend(lab.srv.ports.smtp, 'victim@orig.test', ['alice@example.test'], mail({ from: 'Victim <victim@orig.test>', subject: 'another copy' }));
  assert.equal(r.code, 250, r.text);
  const [copy] = await until('the second forwarded copy', () => {
    const m = lab.sink.messages.filter((x) => x.to.includes('owner@friend.test') && /another copy/.test(x.raw.toString('latin1')));
    return m.length ? m : null;
  }, 120_000);
  assert.notEqual(copy.from.toLowerCase(), harvested.toLowerCase());
  assert.equal((await bounce(copy.from, 5)).code, 250);
  assert.equal((await bounce(copy.from, 6)).code, 250);
  assert.equal((await bounce(copy.from, 7)).code, 450);
  await until('three flood bounces at the sink', () => lab.sink.messages.filter((x) => x.to.includes('victim@orig.test') && /null-sender flood/.test(x.raw.toString('latin1'))).length === 3 || null, 120_000);
  for (const n of [3, 4, 7]) assert.equal(lab.sink.messages.filter((x) => x.raw.toString('latin1').includes(`null-sender flood ${n}\r\n`)).length, 0, `flood ${n} refused`);
});

test('an SRS address of the older form (made before copies had tags) still takes bounces, bounded per original sender', async () => {
  const key = parseSecret(fs.readFileSync(path.join(lab.srv.dataDir, 'keys', 'srs.secret')))!;
  const older = olderSrs0(key, Date.now(), 'elder@orig.test', 'example.test');
  const bounce = (to: string, n: number) => smtpSend(lab.srv.ports.smtp, '', [to], mail({ from: 'MAILER-DAEMON@friend.test', to, subject: `older form ${n}` }));
  // max_bounces_per_day = 3: one count for every address of the older form of that sender
  for (const n of [1, 2, 3]) assert.equal((await bounce(n === 2 ? older.toLowerCase() : older, n)).code, 250);
  const over = await bounce(older, 4);
  assert.equal(over.code, 450);
  assert.match(over.text, /4\.7\.1 .*too many bounces for this sender today/);
  await until('three older-form bounces at elder@orig.test', () => lab.sink.messages.filter((x) => x.to.includes('elder@orig.test') && /older form/.test(x.raw.toString('latin1'))).length === 3 || null, 120_000);
  // its MAC with a copy tag added is no address at all
  const forged = await bounce(older.replace(/^SRS0=([A-Z2-7]{6})=/, 'SRS0=$1AAAAA='), 5);
  assert.equal(forged.code, 550);
  assert.match(forged.text, /5\.1\.1 .*invalid SRS address/);
});
