// The connection checks' 60 s result cache (per client, HELO and sender) keeps a result from the key's second
// transaction on: a sender seen once (a new address per message) leaves nothing behind, a repeated one is answered
// from the cache from its third transaction, with the same result a fresh check gives. Real DNS on loopback (the
// lab's stand-in server) through a resolver without a cache, so every question asked is counted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionChecker, keyHash } from '../../engine/spam/connection.js';
import { makeResolver } from '../../engine/dns/resolver.js';
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

function checker() {
  const config = configFrom(`[dns]\nservers = ["${dns.address}"]\n[[dnsbl]]\nname = "testbl"\nquery_domain = "bl.test"\ntype = "DNS"\n`);
  return new ConnectionChecker(config, makeResolver(config.dns.servers, 15_000), nullLogger);
}

const input = (mailFrom: string, ip = '127.0.0.3') => ({ ip, helo: 'mx.good.test', mailFrom, authenticated: false, hostname: 'mx.tegami.test' });
const spfAsked = (domain: string) => dns.queries.filter((q) => q.name === domain && q.type === 'TXT').length;

test('a sender seen once is not kept; from its second transaction its result is, and equals a fresh check', async () => {
  const c = checker();
  const first = await c.check(input('a@good.test'));
  const n1 = spfAsked('good.test');
  const second = await c.check(input('a@good.test'));
  assert.equal(spfAsked('good.test'), n1 + 1, 'the second transaction is checked (nothing was kept from the first)');
  const third = await c.check(input('a@good.test'));
  assert.equal(spfAsked('good.test'), n1 + 1, 'the third is answered from the result kept at the second');
  assert.deepEqual(second, first);
  assert.deepEqual(third, first);
  assert.deepEqual(third, await checker().check(input('a@good.test')), 'the same as a fresh check');
  assert.ok(first.authResults.some((a) => a.startsWith('spf=pass')), first.authResults.join('|'));
  // a kept result is never shared: changing a returned one changes nothing for the next caller
  third.tags.push('DNSBL');
  third.authResults.length = 0;
  assert.deepEqual(await c.check(input('a@good.test')), first);
  // other senders of the domain, each once, are each checked; their SPF comes from the SPF memo (engine/policy/
  // spf-memo.ts: good.test's record has no macro, and this client and HELO had it evaluated twice), as a fresh check has it
  const n2 = spfAsked('good.test');
  for (let i = 0; i < 5; i++) assert.deepEqual(await c.check(input(`new-${i}@good.test`)), await checker().check(input(`new-${i}@good.test`)));
  assert.equal(spfAsked('good.test') - n2, 5, 'the five fresh checks asked, the kept checker did not');
});

test('a listed client with a failing SPF: kept from the second transaction too, with its tags and headers', async () => {
  const c = checker();
  const first = await c.check(input('x@fail.test', '127.0.0.9'));
  assert.ok(first.tags.includes('DNSBL') && first.tags.includes('SPF_FAIL'), first.tags.join());
  await c.check(input('x@fail.test', '127.0.0.9'));
  const n = spfAsked('fail.test');
  assert.deepEqual(await c.check(input('x@fail.test', '127.0.0.9')), first);
  assert.equal(spfAsked('fail.test'), n);
});

test('keyHash: a small integer, the same for the same key', () => {
  for (const k of ['', 'a', '127.0.0.1\0mx.good.test\0a@good.test\0false\0mx.tegami.test', 'ｘ'.repeat(300), '\u{1F4E7}@例え.jp']) {
    const h = keyHash(k);
    assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 30, `${h}`);
    assert.equal(keyHash(k), h);
  }
  assert.notEqual(keyHash('a@good.test'), keyHash('b@good.test'));
});
