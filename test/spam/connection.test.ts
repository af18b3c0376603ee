// Connection-time checks against the lab's stand-in DNS over real UDP/TCP sockets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { ConnectionChecker } from '../../engine/spam/connection.js';
import { makeResolver } from '../../engine/dns/resolver.js';
import { nullLogger } from '../../engine/log/logger.js';
import { reversedIp, dnsblQueryName } from '../../engine/policy/dnsbl.js';
import { checkReverseDns } from '../../engine/policy/sender-checks.js';
import { dnsblQueryName as labQueryName } from '../../lab/dns/dnsbl.js';
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

function checker(extra = '') {
  const config = configFrom(`[dns]\nservers = ["${dns.address}"]\n[[dnsbl]]\nname = "testbl"\nquery_domain = "bl.test"\ntype = "DNS"\n${extra}`);
  return new ConnectionChecker(config, makeResolver(config.dns.servers, 15_000), nullLogger);
}

const base = { helo: 'mx.good.test', mailFrom: 'a@good.test', authenticated: false, hostname: 'mx.tegami.test' };

test('listed 127.0.0.2 gets DNSBL and missing-PTR tags, SPF fail; 127.0.0.3 is clean with SPF pass', async () => {
  const c = checker();
  const bad = await c.check({ ...base, ip: '127.0.0.2' });
  assert.ok(bad.tags.includes('DNSBL'), bad.tags.join());
  assert.ok(bad.headers.includes('X-IMAIL-SPAM-DNSBL: testbl 127.0.0.2'), bad.headers.join('|'));
  assert.ok(bad.tags.includes('VALREVDNS'));
  assert.ok(bad.tags.includes('SPF_FAIL'));
  assert.ok(bad.headers.some((h) => h.startsWith('X-IMAIL-SPAM-SPF: fail')));
  assert.ok(bad.authResults.some((a) => a.startsWith('spf=fail')));
  assert.equal(bad.reject, undefined, 'an untrusted list only tags');

  const good = await c.check({ ...base, ip: '127.0.0.3' });
  assert.deepEqual(good.tags, ['SPF_PASS']);
  assert.deepEqual(good.headers, []);
  assert.ok(good.authResults.some((a) => a.startsWith('spf=pass')), good.authResults.join('|'));
  assert.ok(good.authResults.includes('iprev=pass policy.iprev=127.0.0.3 (mx.good.test)'));
  assert.deepEqual(good.spf, { result: 'pass', domain: 'good.test' });
});

test('IPv6 clients are looked up in nibble form (the RFC 5782 test point ::ffff:7f00:2 is listed)', async () => {
  const c = checker(`[spam]\ncheck_rdns = false\nspf = false\n`);
  const r = await c.check({ ...base, ip: '::ffff:7f00:2' });
  assert.ok(r.tags.includes('DNSBL'), r.tags.join());
  assert.ok(dns.queries.some((q) => q.name.startsWith('2.0.0.0.0.0.f.7.f.f.f.f.') && q.name.endsWith('.ip6.arpa') === false && q.name.endsWith('bl.test')));
  const clean = await c.check({ ...base, ip: '::1' });
  assert.ok(!clean.tags.includes('DNSBL'));
});

test('SPF softfail, unresolvable sender domain, PTR not forward-confirmed', async () => {
  const c = checker();
  const r = await c.check({ ...base, ip: '127.0.0.4', mailFrom: 'x@soft.test' });
  assert.ok(r.tags.includes('SPF_SOFTFAIL'), r.tags.join());
  assert.ok(r.tags.includes('VALREVDNS_FCRDNS'));
  const n = await c.check({ ...base, ip: '127.0.0.3', mailFrom: 'x@nowhere.test' });
  assert.ok(n.tags.includes('VALFROM'), n.tags.join());
  assert.ok(n.headers.includes('X-IMAIL-SPAM-VALFROM: nowhere.test has no MX or A record'));
  assert.ok(n.tags.includes('SPF_NONE'));
});

test('forged HELO: our own name, an IP literal that is not the client, an unresolvable name', async () => {
  const c = checker();
  const ours = await c.check({ ...base, ip: '127.0.0.3', helo: 'mx.tegami.test' });
  assert.ok(ours.tags.includes('VALHELO_FORGED'));
  const lit = await c.check({ ...base, ip: '127.0.0.3', helo: '[192.0.2.1]' });
  assert.ok(lit.tags.includes('VALHELO_FORGED'));
  const okLit = await c.check({ ...base, ip: '127.0.0.3', helo: '[127.0.0.3]' });
  assert.ok(!okLit.tags.includes('VALHELO_FORGED') && !okLit.tags.includes('VALHELO'), okLit.tags.join());
  const nx = await c.check({ ...base, ip: '127.0.0.3', helo: 'ghost.nowhere.test' });
  assert.ok(nx.tags.includes('VALHELO'));
  assert.ok(nx.headers.some((h) => h.startsWith('X-IMAIL-SPAM-VALHELO: HELO ghost.nowhere.test does not resolve')));
});

test('a trusted list deletes after DATA (the seed) or refuses when asked; connection_reject refuses on a configured tag', async () => {
  const d = checker(`trusted = true\n`);
  const rd = await d.check({ ...base, ip: '127.0.0.2' });
  assert.ok(rd.tags.includes('DNSBL_TRUSTED'));
  assert.equal(rd.reject, undefined, 'by default a trusted hit is tagged (the analyser deletes), not refused');
  const c = checker(`trusted = true\n[spam]\ntrusted_dnsbl_action = "refuse"\n`);
  const r = await c.check({ ...base, ip: '127.0.0.2' });
  assert.ok(r.tags.includes('DNSBL_TRUSTED'));
  assert.equal(r.reject?.code, 550);
  assert.match(r.reject!.text, /listed by testbl/);
  const w = checker(`trusted = true\n[spam]\ntrusted_dnsbl_action = "refuse"\nsender_whitelist = ["boss@nowhere.test", "@good.test"]\n`);
  const rw = await w.check({ ...base, ip: '127.0.0.2', mailFrom: 'boss@nowhere.test' });
  assert.ok(rw.tags.includes('DNSBL_TRUSTED'));
  assert.equal(rw.reject, undefined, 'a whitelisted envelope sender is never refused');
  // good.test's SPF allows only 127.0.0.3: from 127.0.0.2 the whitelisted address is forged, and the list refuses
  const forged = await w.check({ ...base, ip: '127.0.0.2', mailFrom: 'a@good.test' });
  assert.ok(forged.tags.includes('SPF_FAIL'));
  assert.equal(forged.reject?.code, 550);
  const c2 = checker(`[spam]\nconnection_reject = ["SPF_FAIL"]\n`);
  const r2 = await c2.check({ ...base, ip: '127.0.0.5' });
  assert.match(r2.reject?.text ?? '', /SPF_FAIL/);
});

test('trusted IPs and authenticated users skip the checks unless filter_authenticated', async () => {
  const c = checker(`[spam]\ntrusted_ips = ["127.0.0.0/30"]\n`);
  assert.deepEqual((await c.check({ ...base, ip: '127.0.0.2' })).tags, []);
  const a = checker();
  assert.deepEqual((await a.check({ ...base, ip: '127.0.0.2', authenticated: true })).tags, []);
  const f = checker(`[spam]\nfilter_authenticated = true\n`);
  assert.ok((await f.check({ ...base, ip: '127.0.0.2', authenticated: true })).tags.includes('DNSBL'));
});

test('a dead DNSBL fails open at its timeout', async (t) => {
  const silent = dgram.createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  let asked = 0;
  silent.on('message', () => asked++);
  const port = silent.address().port;
  // the real clock for this test's own waiting; the checker's query timer runs on mock.timers
  const realSetTimeout = globalThis.setTimeout;
  const sleep = (ms: number) => new Promise((r) => realSetTimeout(r, ms));
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  try {
    const c = checker(`[[dnsbl]]\nname = "deadbl"\nquery_domain = "dead.test"\nserver = "127.0.0.1:${port}"\ntimeout = "300ms"\n`);
    let settled = false;
    const pending = c.check({ ...base, ip: '127.0.0.3' }).finally(() => (settled = true));
    for (let i = 0; i < 3000 && !asked; i++) await sleep(10);
    assert.equal(asked, 1, 'the silent list was asked');
    // the query's budget is 300 ms overall, less the milliseconds spent before its timer starts: Date is mocked
    // too, so none are spent however busy the machine (the real clock once ate the 50 ms margin below)
    t.mock.timers.tick(250);
    await sleep(200);
    assert.equal(settled, false, 'the check waits for the list until its timeout');
    t.mock.timers.tick(50);
    const r = await pending;
    assert.deepEqual(r.tags, ['SPF_PASS'], 'no answer is no listing (fail open)');
    // the list rests after its timeout: the next transaction neither asks it nor waits for any timer
    const again = await c.check({ ...base, ip: '127.0.0.3' });
    assert.deepEqual(again.tags, ['SPF_PASS']);
    assert.equal(asked, 1, 'not asked again');
  } finally {
    t.mock.timers.reset();
    silent.close();
  }
});

test('DNSBL answers are cached for their TTL; TCP first when asked', async () => {
  const c = checker(`tcp_first = true\n`);
  const before = dns.queries.filter((q) => q.name.endsWith('bl.test')).length;
  await c.check({ ...base, ip: '127.0.0.9' });
  await c.check({ ...base, ip: '127.0.0.9' });
  const qs = dns.queries.filter((q) => q.name.endsWith('.bl.test')).slice(before);
  assert.equal(qs.length, 1);
  assert.equal(qs[0].transport, 'tcp');
});

test('query names: IPv4 octets, IPv6 nibbles, hashed and plain addresses, HELO, RHS', () => {
  assert.equal(reversedIp('192.0.2.99'), '99.2.0.192');
  assert.equal(reversedIp('::ffff:127.0.0.2'), '2.0.0.127');
  const v6 = '2001:db8::1';
  const list = { name: 'x', query_domain: 'bl.test', type: 'DNS', enabled: true, server: '*', tcp_first: false, trusted: false, hash: 'none', timeout: 1000, replies: {} } as const;
  assert.equal(dnsblQueryName({ ...list }, { ip: v6, helo: '', mailFrom: '' }), labQueryName(v6, 'bl.test'));
  assert.equal(dnsblQueryName({ ...list, type: 'HELO' }, { ip: v6, helo: 'Mail.Example.test', mailFrom: '' }), 'mail.example.test.bl.test');
  assert.equal(dnsblQueryName({ ...list, type: 'HELO' }, { ip: v6, helo: '[1.2.3.4]', mailFrom: '' }), null);
  assert.equal(dnsblQueryName({ ...list, type: 'RHS' }, { ip: v6, helo: '', mailFrom: 'a@Spam.test' }), 'spam.test.bl.test');
  assert.equal(dnsblQueryName({ ...list, type: 'ADDR' }, { ip: v6, helo: '', mailFrom: 'a@spam.test' }), 'a.spam.test.bl.test');
  const md5 = crypto.createHash('md5').update('a@spam.test').digest('hex');
  assert.equal(dnsblQueryName({ ...list, type: 'ADDR', hash: 'md5' }, { ip: v6, helo: '', mailFrom: 'A@Spam.test' }), `${md5}.bl.test`);
  assert.equal(dnsblQueryName({ ...list, type: 'ADDR' }, { ip: v6, helo: '', mailFrom: '' }), null);
});

test('reverse DNS asks DNS for the PTR, never /etc/hosts (where 127.0.0.1 is "localhost")', async () => {
  const resolver = makeResolver([dns.address], 15_000);
  const before = dns.queries.length;
  const r = await checkReverseDns(resolver, '127.0.0.1');
  assert.equal(r.ptr.status, 'fail', JSON.stringify(r));
  assert.match(r.ptr.status === 'fail' ? r.ptr.reason : '', /127\.0\.0\.1 has no PTR record/);
  assert.ok(dns.queries.slice(before).some((q) => q.name === '1.0.0.127.in-addr.arpa' && q.type === 'PTR'), 'the stand-in DNS was asked');
  const good = await checkReverseDns(resolver, '127.0.0.3');
  assert.deepEqual({ ptr: good.ptr.status, fcrdns: good.fcrdns.status, name: good.name }, { ptr: 'pass', fcrdns: 'pass', name: 'mx.good.test' });
  await checkReverseDns(resolver, '::1');
  assert.ok(dns.queries.some((q) => q.name === '1' + '.0'.repeat(31) + '.ip6.arpa' && q.type === 'PTR'), 'IPv6 in nibble form under ip6.arpa');
});
