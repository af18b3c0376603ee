// The resolver's answer cache against the lab's stand-in DNS over real UDP sockets, counting the questions the
// server saw: TTLs (and their caps), RFC 2308 negative answers, shared in-flight questions, short-lived failures,
// and a bound that random names cannot push past. Time moves with mock.timers (Date only: sockets stay real).
import { test, before, after, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import * as packet from 'dns-packet';
import { promises as dnsp } from 'node:dns';
import { makeResolver, type DnsLookup } from '../../engine/dns/resolver.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';

let dns: DnsServer;
before(async () => {
  dns = await startDnsServer({
    zones: [
      { name: 'good.test', type: 'MX', data: '10 mx.good.test', ttl: 300 },
      { name: 'good.test', type: 'TXT', data: ['v=spf1 ip4:192.0.2.0/24 ', '-all'], ttl: 300 },
      { name: 'good.test', type: 'A', data: '192.0.2.10', ttl: 30 },
      { name: 'long.test', type: 'A', data: '192.0.2.11', ttl: 86_400 },
      { name: 'alias.good.test', type: 'CNAME', data: 'good.test', ttl: 10 },
      { name: '10.2.0.192.in-addr.arpa', type: 'PTR', data: 'mx.good.test' },
      { name: 'mx.good.test', type: 'A', data: '192.0.2.10' },
    ],
    origins: ['good.test', 'long.test', 'in-addr.arpa'],
  });
});
after(() => dns.close());
afterEach(() => mock.timers.reset());

const opts = { maxEntries: 1000, maxTtl: 3600, maxNegativeTtl: 900 };
const seen = (name: string, type: string) => dns.queries.filter((q) => q.name.toLowerCase() === name.toLowerCase() && q.type === type).length;

test('one question on the wire however it is spelt; answers in the shapes node gives, each caller its own copy', async () => {
  const r = makeResolver([dns.address], 2000, undefined, opts);
  const plain = makeResolver([dns.address], 2000);
  const mx = await r.resolveMx('good.test');
  assert.deepEqual(mx, await plain.resolveMx('good.test'));
  assert.deepEqual(await r.resolveMx('GOOD.Test.'), mx);
  assert.deepEqual(await r.resolve('good.test', 'MX'), mx);
  const txt = await r.resolveTxt('good.test');
  assert.deepEqual(txt, await plain.resolveTxt('good.test'));
  assert.deepEqual(txt, [['v=spf1 ip4:192.0.2.0/24 ', '-all']]);
  assert.deepEqual(await r.resolvePtr('10.2.0.192.in-addr.arpa'), ['mx.good.test']);
  assert.deepEqual(await r.resolve4('alias.good.test'), await plain.resolve4('alias.good.test'));
  // MX asked by three callers and three spellings, plus once by the uncached resolver: two on the wire
  assert.equal(seen('good.test', 'MX'), 2);
  assert.equal(seen('good.test', 'TXT'), 2);
  mx[0].exchange = 'changed.test';
  assert.equal((await r.resolveMx('good.test'))[0].exchange, 'mx.good.test');
  // the copy goes into each record: a caller that changes a TXT record's strings or the list changes only its own
  txt[0][0] = 'v=spf1 +all';
  txt[0].push('x');
  txt.push(['more']);
  assert.deepEqual(await r.resolveTxt('good.test'), [['v=spf1 ip4:192.0.2.0/24 ', '-all']]);
  const ptr = await r.resolvePtr('10.2.0.192.in-addr.arpa');
  ptr[0] = 'changed.test';
  assert.deepEqual(await r.resolvePtr('10.2.0.192.in-addr.arpa'), ['mx.good.test']);
});

test('an answer lives for its TTL, capped by cache_max_ttl; a CNAME chain for its shortest link', async () => {
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const r = makeResolver([dns.address], 2000, undefined, { ...opts, maxTtl: 120 });
  const before = { a: seen('good.test', 'A'), long: seen('long.test', 'A'), alias: seen('alias.good.test', 'A') };
  await r.resolve4('good.test');
  await r.resolve4('long.test');
  await r.resolve4('alias.good.test');
  mock.timers.tick(9_000);
  await r.resolve4('good.test');
  await r.resolve4('long.test');
  await r.resolve4('alias.good.test');
  assert.equal(seen('alias.good.test', 'A'), before.alias + 1);
  mock.timers.tick(2_000); // 11 s: past the CNAME's 10 s
  await r.resolve4('alias.good.test');
  assert.equal(seen('alias.good.test', 'A'), before.alias + 2);
  mock.timers.tick(18_000); // 29 s: good.test (TTL 30) still cached
  await r.resolve4('good.test');
  assert.equal(seen('good.test', 'A'), before.a + 1);
  mock.timers.tick(2_000); // 31 s
  await r.resolve4('good.test');
  assert.equal(seen('good.test', 'A'), before.a + 2);
  mock.timers.tick(90_000); // 121 s: long.test's day-long TTL is capped at 120 s
  await r.resolve4('long.test');
  assert.equal(seen('long.test', 'A'), before.long + 2);
});

test('NXDOMAIN and NODATA are cached for the SOA minimum (RFC 2308), capped, with node error codes', async () => {
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const r = makeResolver([dns.address], 2000, undefined, { ...opts, maxNegativeTtl: 30 });
  for (let i = 0; i < 3; i++) {
    await assert.rejects(r.resolve4('ghost.good.test'), (e: NodeJS.ErrnoException) => e.code === 'ENOTFOUND' && /queryA ENOTFOUND ghost\.good\.test/.test(e.message));
    await assert.rejects(r.resolveMx('mx.good.test'), (e: NodeJS.ErrnoException) => e.code === 'ENODATA');
  }
  assert.equal(seen('ghost.good.test', 'A'), 1);
  assert.equal(seen('mx.good.test', 'MX'), 1);
  mock.timers.tick(31_000); // the stand-in's SOA says 60 s; the cap is 30 s
  await assert.rejects(r.resolve4('ghost.good.test'), { code: 'ENOTFOUND' });
  assert.equal(seen('ghost.good.test', 'A'), 2);
});

test('callers asking the same question at once share one query; each wire query is reported, cache hits are not', async () => {
  const lookups: DnsLookup[] = [];
  const r = makeResolver([dns.address], 2000, (l) => lookups.push(l), opts);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => r.resolveMx(i % 2 ? 'Shared.Good.Test' : 'shared.good.test').catch((e: NodeJS.ErrnoException) => e.code)));
  assert.deepEqual(new Set(answers), new Set(['ENOTFOUND']));
  assert.equal(seen('shared.good.test', 'MX'), 1);
  assert.deepEqual(lookups.map((l) => [l.type, l.name, l.result]), [['MX', 'shared.good.test', 'nxdomain']]);
});

/** A server that answers every question SERVFAIL (or, silent, never answers), counting them. */
async function badServer(silent: boolean): Promise<{ address: string; count: () => number; close: () => void }> {
  const sock = dgram.createSocket('udp4');
  let n = 0;
  sock.on('message', (msg, rinfo) => {
    n++;
    if (silent) return;
    const q = packet.decode(msg);
    sock.send(packet.encode({ type: 'response', id: q.id, flags: 2, questions: q.questions, answers: [] }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${sock.address().port}`, count: () => n, close: () => sock.close() };
}

test('SERVFAIL and timeouts are reused for 5 s at most, then asked again', async () => {
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  for (const silent of [false, true]) {
    const bad = await badServer(silent);
    try {
      const r = makeResolver([bad.address], 100, undefined, { ...opts, maxNegativeTtl: 900 });
      const code = silent ? 'ETIMEOUT' : 'ESERVFAIL';
      await assert.rejects(r.resolveTxt('good.test'), { code });
      const asked = bad.count();
      assert.equal(asked, 2, 'two rounds over the one server');
      await assert.rejects(r.resolveTxt('good.test'), { code });
      mock.timers.tick(4_000);
      await assert.rejects(r.resolveTxt('good.test'), { code });
      assert.equal(bad.count(), asked);
      mock.timers.tick(2_000);
      await assert.rejects(r.resolveTxt('good.test'), { code });
      assert.equal(bad.count(), asked * 2);
    } finally {
      bad.close();
    }
  }
});

test('a server whose port is closed fails the question as refused (ICMP port unreachable), not after the timeout', async () => {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(resolve));
  const r = makeResolver([`127.0.0.1:${port}`], 5000, undefined, opts);
  await assert.rejects(r.resolveMx('good.test'), { code: 'ECONNREFUSED' });
});

test('random names cannot grow it past cache_size: the least recently used goes first', async () => {
  const r = makeResolver([dns.address], 2000, undefined, { ...opts, maxEntries: 20 });
  await r.resolveMx('good.test');
  const wire = seen('good.test', 'MX');
  for (let i = 0; i < 60; i++) {
    await assert.rejects(r.resolveMx(`r${i}-${Math.random().toString(36).slice(2)}.good.test`), { code: 'ENOTFOUND' });
    if (i % 10 === 0) await r.resolveMx('good.test'); // kept warm: never the least recently used
  }
  await r.resolveMx('good.test');
  assert.equal(seen('good.test', 'MX'), wire);
  const first = dns.queries.find((q) => q.name.startsWith('r0-'))!.name;
  await assert.rejects(r.resolveMx(first), { code: 'ENOTFOUND' });
  assert.equal(seen(first, 'MX'), 2, 'the oldest random name was evicted');
});

test('cache_size = 0 asks every time; uncached types and calls with options go to node', async () => {
  const r = makeResolver([dns.address], 2000, undefined, { ...opts, maxEntries: 0 });
  const n = seen('good.test', 'TXT');
  await r.resolveTxt('good.test');
  await r.resolveTxt('good.test');
  assert.equal(seen('good.test', 'TXT'), n + 2);
  const c = makeResolver([dns.address], 2000, undefined, opts);
  const withTtl = await c.resolve4('good.test', { ttl: true });
  assert.equal(withTtl[0].address, '192.0.2.10');
  assert.ok(c instanceof dnsp.Resolver);
});
