// A connection's later transactions reuse what its first one found of the client (reverse DNS) and of its HELO
// name, as Postfix looks a client's name up once per connection, and the last sender domain's MX/address check
// for the next sender of that domain: SPF and the DNSBLs still run for every sender. Kept at most 60 s, for one HELO, and only when the lookups answered. Real DNS on
// loopback (the lab's stand-in server) through a resolver without a cache, so every question asked is counted.
import { test, before, after, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionChecker, type ClientMemo } from '../../engine/spam/connection.js';
import { makeResolver, type Resolver } from '../../engine/dns/resolver.js';
import { nullLogger } from '../../engine/log/logger.js';
import type { DnsServer } from '../../lab/dns/server.js';
import { configFrom, startSpamDns, removeTempDirs } from './helpers.js';

let dns: DnsServer;
before(async () => {
  dns = await startSpamDns();
});
after(async () => {
  await dns.close();
  removeTempDirs();
});
afterEach(() => mock.timers.reset());

let ptrDown = false;

function checker() {
  const config = configFrom(`[dns]\nservers = ["${dns.address}"]\n[[dnsbl]]\nname = "testbl"\nquery_domain = "bl.test"\ntype = "DNS"\n`);
  const real = makeResolver(config.dns.servers, 15_000);
  // PTR questions time out while ptrDown is set (a lookup that did not answer)
  const resolver = new Proxy(real, {
    get(t, p) {
      if (p === 'resolvePtr' && ptrDown) return () => Promise.reject(Object.assign(new Error('queryPtr ETIMEOUT'), { code: 'ETIMEOUT' }));
      const v = Reflect.get(t, p) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  }) as Resolver;
  return new ConnectionChecker(config, resolver, nullLogger);
}

const PTR = '3.0.0.127.in-addr.arpa';
const asked = (name: string, type?: string) => dns.queries.filter((q) => q.name === name && (!type || q.type === type)).length;
const input = (mailFrom: string, helo = 'mx.good.test') => ({ ip: '127.0.0.3', helo, mailFrom, authenticated: false, hostname: 'mx.tegami.test' });

test('the next transaction on a connection asks nothing again of its client and HELO, and gets the same result', async () => {
  const c = checker();
  const conn: { memo?: ClientMemo } = {};
  const first = await c.check(input('a@good.test'), conn);
  const ptr = asked(PTR);
  const helo = asked('mx.good.test');
  const spf = asked('good.test', 'TXT');
  const mx = asked('good.test', 'MX');
  assert.ok(ptr >= 1 && helo >= 1 && spf >= 1 && mx >= 1);
  const second = await c.check(input('b@good.test'), conn);
  assert.equal(asked(PTR), ptr, 'no PTR question for the same client');
  assert.equal(asked('mx.good.test'), helo, 'no question about the same HELO name (nor the PTR name it forward-confirms)');
  assert.equal(asked('good.test', 'TXT'), spf + 1, 'SPF is judged for each sender');
  assert.equal(asked('good.test', 'MX'), mx, 'the sender domain was checked at the first transaction');
  // the same as a check on a connection of its own
  const alone = await checker().check(input('b@good.test'), {});
  assert.deepEqual(second, alone);
  assert.ok(second.authResults.includes('iprev=pass policy.iprev=127.0.0.3 (mx.good.test)'), second.authResults.join('|'));
  assert.deepEqual(first.tags, second.tags);
  // a sender of another domain (nowhere.test has no records at all): that domain is checked
  const mxBefore = asked('good.test', 'MX');
  const other = await c.check(input('x@nowhere.test'), conn);
  assert.ok(other.tags.includes('VALFROM'), other.tags.join());
  const back = await c.check(input('e@good.test'), conn);
  assert.ok(!back.tags.includes('VALFROM'), back.tags.join());
  assert.equal(asked('good.test', 'MX'), mxBefore + 1, 'after another domain, good.test is checked again');
  // another HELO on the same connection: its name is checked
  const renamed = await c.check(input('c@good.test', 'nowhere.test'), conn);
  assert.ok(asked('nowhere.test') >= 1);
  assert.ok(renamed.tags.includes('VALHELO'), renamed.tags.join());
});

test('after 60 s the client and HELO are looked up again', async () => {
  mock.timers.enable({ apis: ['Date'], now: 5_000_000 });
  const c = checker();
  const conn: { memo?: ClientMemo } = {};
  await c.check(input('a@good.test'), conn);
  const ptr = asked(PTR);
  mock.timers.tick(30_000);
  await c.check(input('b@good.test'), conn);
  assert.equal(asked(PTR), ptr);
  mock.timers.tick(31_000);
  await c.check(input('d@good.test'), conn);
  assert.equal(asked(PTR), ptr + 1);
});

test('a lookup that did not answer is asked again at the next transaction', async () => {
  const c = checker();
  const conn: { memo?: ClientMemo } = {};
  ptrDown = true;
  try {
    const first = await c.check(input('a@good.test'), conn);
    assert.ok(first.authResults.includes('iprev=temperror policy.iprev=127.0.0.3'), first.authResults.join('|'));
  } finally {
    ptrDown = false;
  }
  const second = await c.check(input('b@good.test'), conn);
  assert.ok(second.authResults.includes('iprev=pass policy.iprev=127.0.0.3 (mx.good.test)'), second.authResults.join('|'));
});

test('a result with a lookup that did not answer is not given to the next connection of the same client and sender (review9)', async () => {
  const c = checker();
  ptrDown = true;
  try {
    const first = await c.check(input('a@good.test'), {});
    assert.ok(first.authResults.includes('iprev=temperror policy.iprev=127.0.0.3'), first.authResults.join('|'));
  } finally {
    ptrDown = false;
  }
  // a new connection (no memo), the same IP, HELO and sender within the 60 s the server keeps whole results
  const again = await c.check(input('a@good.test'), {});
  assert.ok(again.authResults.includes('iprev=pass policy.iprev=127.0.0.3 (mx.good.test)'), again.authResults.join('|'));
});
