// engine/spam/dmarc-memo.ts: a DMARC verdict kept between messages is the one mailauth gives for the same
// inputs, and is given again only while the DNS answers what it answered then: a record changed, removed or
// added (after the resolver's cache let it go) is judged anew, and a failed lookup is never kept. Real DNS on
// loopback (the lab's stand-in server), through tegami's resolver without a cache, so each change is seen at once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import mailauth from 'mailauth';
import { DmarcMemo } from '../../engine/spam/dmarc-memo.js';
import { makeResolver } from '../../engine/dns/resolver.js';
import { startDnsServer } from '../../lab/dns/server.js';

const dns = await startDnsServer({
  zones: [
    { name: '_dmarc.bank.example', type: 'TXT', data: 'v=DMARC1; p=reject' },
    { name: '_dmarc.shop.example', type: 'TXT', data: 'v=DMARC1; p=quarantine; sp=none' },
  ],
});
after(() => dns.close());

const resolver = makeResolver([dns.address], 2000);
const lookup = (name: string, type: string) => resolver.resolve(name, type) as Promise<string[][] | string[]>;

type Verdict = Awaited<ReturnType<typeof mailauth.dmarc>>;
const result = (v: Verdict): string => (v ? v.status.result : 'no verdict');
const policy = (v: Verdict): string | undefined => (v ? (v as { policy?: string }).policy : undefined);

/** What mailauth says for the same inputs, asked directly. */
async function direct(headerFrom: string, spfDomains: string[]) {
  return mailauth.dmarc({ headerFrom, spfDomains, dkimDomains: [], resolver: lookup });
}

test('a kept verdict is the one mailauth gives: pass, fail, the organisational domain, none', async () => {
  const memo = new DmarcMemo();
  const cases: [string, string[]][] = [
    ['info@bank.example', ['bank.example']],
    ['info@bank.example', ['elsewhere.example']],
    ['news@mail.shop.example', ['mail.shop.example']],
    ['news@mail.shop.example', []],
    ['a@nobody.example', ['nobody.example']],
  ];
  for (let round = 0; round < 3; round++) {
    for (const [from, spf] of cases) {
      const got = await memo.dmarc({ headerFrom: from, spfDomains: spf, dkimDomains: [] }, lookup);
      assert.deepEqual(structuredClone(got), await direct(from, spf), `${from} ${spf.join(',')} round ${round}`);
    }
  }
  // one kept verdict per (domain, alignment inputs), not per address
  const a = await memo.dmarc({ headerFrom: 'one@bank.example', spfDomains: ['bank.example'], dkimDomains: [] }, lookup);
  const b = await memo.dmarc({ headerFrom: 'two@bank.example', spfDomains: ['bank.example'], dkimDomains: [] }, lookup);
  assert.equal(a, b);
  assert.ok(a && Object.isFrozen(a) && Object.isFrozen(a.status), 'a shared verdict cannot be changed by one caller');
  assert.equal(memo.size, cases.length);
});

test('a changed, removed or new record is judged anew, never answered from the kept verdict', async () => {
  const memo = new DmarcMemo();
  const judge = () => memo.dmarc({ headerFrom: 'x@change.example', spfDomains: [], dkimDomains: [] }, lookup);
  assert.equal(result(await judge()), 'none');
  dns.add([{ name: '_dmarc.change.example', type: 'TXT', data: 'v=DMARC1; p=none' }]);
  let v = await judge();
  assert.equal(result(v), 'fail');
  assert.equal(policy(v), 'none');
  dns.remove('_dmarc.change.example', 'TXT');
  dns.add([{ name: '_dmarc.change.example', type: 'TXT', data: 'v=DMARC1; p=reject' }]);
  v = await judge();
  assert.equal(policy(v), 'reject');
  dns.remove('_dmarc.change.example', 'TXT');
  assert.equal(result(await judge()), 'none');
});

test('a lookup that fails is not kept: the next message is judged again once DNS answers', async () => {
  const memo = new DmarcMemo();
  let down = true;
  const flaky = (name: string, type: string) =>
    down ? Promise.reject(Object.assign(new Error(`queryTxt ETIMEOUT ${name}`), { code: 'ETIMEOUT' })) : lookup(name, type);
  const judge = () => memo.dmarc({ headerFrom: 'info@bank.example', spfDomains: ['bank.example'], dkimDomains: [] }, flaky);
  assert.equal(result(await judge()), 'temperror');
  assert.equal(memo.size, 0);
  down = false;
  assert.equal(result(await judge()), 'pass');
  // and a kept pass is not given while the DNS fails: the failure is what the message gets
  down = true;
  assert.equal(result(await judge()), 'temperror');
});

test('a verdict read from a big answer is not kept: a stranger’s DNS cannot fill the memo with its records', async () => {
  // an organisational domain whose _dmarc TXT is 40 KB (over TCP): every subdomain a stranger names in From: would
  // otherwise keep its own copy of it (2,000 entries of ~80 KB per worker thread; security review 8)
  const big = 'v=DMARC1; p=none; rua=mailto:' + 'x'.repeat(40_000) + '@huge.example';
  dns.add([{ name: '_dmarc.huge.example', type: 'TXT', data: big }]);
  const memo = new DmarcMemo();
  for (let i = 0; i < 5; i++) {
    const from = `a@s${i}.huge.example`;
    const got = await memo.dmarc({ headerFrom: from, spfDomains: [], dkimDomains: [] }, lookup);
    assert.deepEqual(structuredClone(got), await direct(from, []), from);
    assert.equal(result(got), 'fail');
  }
  assert.equal(memo.size, 0, 'no verdict kept with a 40 KB answer');
  // a record of a usual size is still kept
  await memo.dmarc({ headerFrom: 'info@bank.example', spfDomains: ['bank.example'], dkimDomains: [] }, lookup);
  assert.equal(memo.size, 1);
  dns.remove('_dmarc.huge.example', 'TXT');
});
