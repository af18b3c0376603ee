// SPF results reused for the next sender of a domain (engine/policy/spf-memo.ts): for every kind of result, what
// checkSpf answers from its memo is exactly what mailauth answers for that sender evaluated afresh (result, domain,
// comment, Authentication-Results text); records with a macro (in the domain's record or one it includes) are
// evaluated for every sender, so a local part the record allows and one it does not get their own answers; another
// client address or HELO is evaluated anew; the memo is used from a key's third evaluation on (kept at the second)
// and forgotten after 60 s (fake clock). Real DNS on loopback (the lab's stand-in server) through a resolver without
// a cache, so every question asked is counted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkSpf } from '../../engine/policy/sender-checks.js';
import { MEMO_TTL_MS, SpfMemo, memoDomain, type SpfAnswer } from '../../engine/policy/spf-memo.js';
import { makeResolver, type Resolver } from '../../engine/dns/resolver.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';

const Z = 'spf.test';
let dns: DnsServer;
before(async () => {
  dns = await startDnsServer({
    zones: [
      { name: Z, type: 'NS', data: `ns.${Z}` },
      { name: `pass.${Z}`, type: 'TXT', data: 'v=spf1 ip4:127.0.0.1 -all' },
      { name: `fail.${Z}`, type: 'TXT', data: 'v=spf1 ip4:192.0.2.1 -all' },
      { name: `soft.${Z}`, type: 'TXT', data: 'v=spf1 ip4:192.0.2.1 ~all' },
      { name: `neutral.${Z}`, type: 'TXT', data: 'v=spf1 ?all' },
      { name: `none.${Z}`, type: 'TXT', data: 'not an spf record' },
      { name: `inc.${Z}`, type: 'TXT', data: `v=spf1 include:pass.${Z} -all` },
      // the local part decides: alice.ok.spf.test exists, bob.ok.spf.test does not
      { name: `macro.${Z}`, type: 'TXT', data: `v=spf1 exists:%{l}.ok.${Z} -all` },
      { name: `alice.ok.${Z}`, type: 'A', data: '127.0.0.2' },
      // the macro is in an included record, not in the domain's own
      { name: `incmacro.${Z}`, type: 'TXT', data: `v=spf1 include:macro.${Z} -all` },
    ],
    origins: [Z],
  });
});
after(async () => {
  await dns.close();
});

const fresh = (): Resolver => makeResolver([dns.address], 5_000);
const ask = (r: Resolver, mailFrom: string, ip = '127.0.0.1', helo = 'client.example.net') => checkSpf(r, { ip, helo, mailFrom, hostname: 'mx.example.test' });
const txtQuestions = (name: string) => dns.queries.filter((q) => q.type === 'TXT' && q.name.toLowerCase() === name).length;

test('every kind of result: the memo answers each new sender exactly as mailauth does afresh, and asks no more', async () => {
  const cases: [string, SpfAnswer['result']][] = [
    ['pass', 'pass'],
    ['fail', 'fail'],
    ['soft', 'softfail'],
    ['neutral', 'neutral'],
    ['none', 'none'],
    ['inc', 'pass'],
  ];
  for (const [label, expected] of cases) {
    const domain = `${label}.${Z}`;
    const kept = fresh();
    const before = txtQuestions(domain);
    for (let i = 0; i < 6; i++) {
      // local parts of every shape mailauth writes as is or escapes: dots, plus, a quote-free "=" and "(" in a comment
      const sender = [`u${i}@${domain}`, `first.last+tag${i}@${domain}`, `x=y${i}@${domain.toUpperCase()}`][i % 3];
      const memo = await ask(kept, sender);
      const truth = await ask(fresh(), sender);
      assert.deepEqual(memo, truth, `${label}, sender ${sender}`);
      assert.equal(memo.result, expected, `${label}, sender ${sender}`);
    }
    // the memo's resolver asked the domain's record twice (the first two senders), the fresh ones six times
    assert.equal(txtQuestions(domain) - before, 2 + 6, label);
  }
});

test('a record with a macro (its own or an included one) is evaluated for every sender', async () => {
  for (const domain of [`macro.${Z}`, `incmacro.${Z}`]) {
    const r = fresh();
    for (let i = 0; i < 3; i++) assert.equal((await ask(r, `alice@${domain}`, '127.0.0.2')).result, 'pass', domain);
    const bob = await ask(r, `bob@${domain}`, '127.0.0.2');
    assert.equal(bob.result, 'fail', `${domain}: bob is not allowed, whatever alice got`);
    assert.deepEqual(bob, await ask(fresh(), `bob@${domain}`, '127.0.0.2'));
    assert.equal((await ask(r, `alice@${domain}`, '127.0.0.2')).result, 'pass', domain);
  }
});

test('another client address or HELO name is evaluated anew', async () => {
  const r = fresh();
  for (let i = 0; i < 3; i++) assert.equal((await ask(r, `a${i}@pass.${Z}`)).result, 'pass');
  const other = await ask(r, `a9@pass.${Z}`, '127.0.0.9');
  assert.equal(other.result, 'fail', 'the record allows 127.0.0.1 only');
  assert.deepEqual(other, await ask(fresh(), `a9@pass.${Z}`, '127.0.0.9'));
  const n = txtQuestions(`pass.${Z}`);
  const helo = await ask(r, `a10@pass.${Z}`, '127.0.0.1', 'other.example.net');
  assert.equal(txtQuestions(`pass.${Z}`), n + 1, 'a new HELO name is a new key');
  assert.match(helo.info, /smtp\.helo=other\.example\.net/);
});

test('the null sender and addresses without a local part are never answered from the memo', async () => {
  const r = fresh();
  for (let i = 0; i < 3; i++) await ask(r, `p${i}@pass.${Z}`);
  const n = dns.queries.length;
  const nul = await ask(r, '', '127.0.0.1', `pass.${Z}`);
  assert.deepEqual(nul, await ask(fresh(), '', '127.0.0.1', `pass.${Z}`));
  assert.ok(dns.queries.length > n, 'the null sender was evaluated (as postmaster@HELO)');
  assert.equal(memoDomain(`@pass.${Z}`), null);
  assert.equal(memoDomain('no-at-sign'), null);
  assert.equal(memoDomain('trailing@'), null);
  assert.equal(memoDomain(`"a@b"@Pass.${Z}`), `pass.${Z}`);
});

test('SpfMemo: kept from the second offer, forgotten after 60 s, never errors or texts it would not write', () => {
  let now = 1_000_000;
  const m = new SpfMemo(() => now);
  const q = (sender: string) => ({ ip: '192.0.2.7', helo: 'h.example.net', sender, mta: 'mx.example.test' });
  const pass = (sender: string): SpfAnswer => ({
    result: 'pass',
    domain: 'd.example',
    comment: `mx.example.test: domain of ${sender} designates 192.0.2.7 as permitted sender`,
    info: `spf=pass (mx.example.test: domain of ${sender} designates 192.0.2.7 as permitted sender) smtp.mailfrom=${sender} smtp.helo=h.example.net`,
  });
  assert.equal(m.offer(q('a@d.example'), pass('a@d.example'), false), false, 'first sight: not kept');
  assert.equal(m.get(q('b@d.example')), null);
  assert.equal(m.offer(q('b@d.example'), pass('b@d.example'), true), false, 'a macro was seen: not kept');
  assert.equal(m.offer(q('b@d.example'), { ...pass('b@d.example'), comment: 'something else' }, false), false, 'a text this module would not write');
  assert.equal(m.offer(q('b@d.example'), { ...pass('b@d.example'), result: 'temperror' }, false), false, 'temperror');
  assert.equal(m.offer(q('b@d.example'), { ...pass('b@d.example'), result: 'permerror' }, false), false, 'permerror');
  assert.equal(m.size, 0);
  assert.equal(m.offer(q('b@d.example'), pass('b@d.example'), false), true);
  assert.deepEqual(m.get(q('c@D.example')), { ...pass('c@D.example') });
  now += MEMO_TTL_MS - 1;
  assert.ok(m.get(q('c@d.example')));
  now += 1;
  assert.equal(m.get(q('c@d.example')), null, 'expired');
  assert.equal(m.size, 0);
});
