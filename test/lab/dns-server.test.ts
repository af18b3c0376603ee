// The stand-in DNS answers node's resolver (c-ares) and dig over UDP and TCP, with NXDOMAIN vs NODATA right
// and the RFC 5782 DNSBL test points.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as dnsp } from 'node:dns';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as packet from 'dns-packet';
import { startDnsServer, reverseName, type DnsServer } from '../../lab/dns/server.js';
import { dnsblZone, dnsblQueryName } from '../../lab/dns/dnsbl.js';

const run = promisify(execFile);
let dns: DnsServer;
let r: dnsp.Resolver;
const longTxt = 'v=DKIM1; k=rsa; p=' + 'A'.repeat(3000);

before(async () => {
  dns = await startDnsServer({
    zones: [
      { name: 'example.test', type: 'NS', data: 'ns.example.test' },
      { name: 'example.test', type: 'A', data: '192.0.2.10' },
      { name: 'example.test', type: 'AAAA', data: '2001:db8::10' },
      { name: 'example.test', type: 'MX', data: '10 mx.example.test' },
      { name: 'example.test', type: 'MX', data: { preference: 20, exchange: 'mx2.example.test' } },
      { name: 'example.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.0/24 -all' },
      { name: '_dmarc.example.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
      { name: 'sel._domainkey.example.test', type: 'TXT', data: longTxt },
      { name: 'mx.example.test', type: 'A', data: '127.0.0.1' },
      { name: 'www.example.test', type: 'CNAME', data: 'example.test' },
      { name: 'deep.sub.example.test', type: 'A', data: '192.0.2.11' },
      { name: reverseName('192.0.2.10'), type: 'PTR', data: 'example.test' },
      { name: reverseName('2001:db8::10'), type: 'PTR', data: 'example.test' },
      ...dnsblZone('bl.example.test', { listed: ['192.0.2.99', { key: '2001:db8::99', code: '127.0.0.4', txt: 'v6 spammer' }] }),
    ],
  });
  r = new dnsp.Resolver({ timeout: 15_000, tries: 1 });
  r.setServers([dns.address]);
});
after(async () => dns.close());

test('A, AAAA, MX, TXT, CNAME and PTR answers', async () => {
  assert.match(dns.address, /^127\.0\.0\.1:\d+$/);
  assert.deepEqual(await r.resolve4('example.test'), ['192.0.2.10']);
  assert.deepEqual(await r.resolve6('EXAMPLE.test'), ['2001:db8::10']);
  const mx = (await r.resolveMx('example.test')).sort((a, b) => a.priority - b.priority);
  assert.deepEqual(mx, [
    { exchange: 'mx.example.test', priority: 10 },
    { exchange: 'mx2.example.test', priority: 20 },
  ]);
  assert.deepEqual(await r.resolveTxt('example.test'), [['v=spf1 ip4:192.0.2.0/24 -all']]);
  assert.deepEqual(await r.resolveTxt('_dmarc.example.test'), [['v=DMARC1; p=reject']]);
  assert.deepEqual(await r.resolveCname('www.example.test'), ['example.test']);
  assert.deepEqual(await r.resolve4('www.example.test'), ['192.0.2.10']);
  assert.deepEqual(await r.reverse('192.0.2.10'), ['example.test']);
  assert.deepEqual(await r.reverse('2001:db8::10'), ['example.test']);
});

test('a TXT too big for UDP is truncated and fetched again over TCP', async () => {
  const before = dns.queries.filter((q) => q.transport === 'tcp').length;
  const txt = await r.resolveTxt('sel._domainkey.example.test');
  assert.equal(txt[0].join(''), longTxt);
  assert.ok(dns.queries.filter((q) => q.transport === 'tcp').length > before, 'the resolver retried over TCP');
});

test('NXDOMAIN for names that do not exist, NODATA for names without that type', async () => {
  await assert.rejects(r.resolve4('nope.example.test'), { code: 'ENOTFOUND' });
  await assert.rejects(r.resolveMx('mx.example.test'), { code: 'ENODATA' });
  // an empty non-terminal exists: NODATA, not NXDOMAIN
  await assert.rejects(r.resolve4('sub.example.test'), { code: 'ENODATA' });
});

test('DNSBL: RFC 5782 test points and listings', async () => {
  assert.deepEqual(await r.resolve4(dnsblQueryName('127.0.0.2', 'bl.example.test')), ['127.0.0.2']);
  assert.equal((await r.resolveTxt('2.0.0.127.bl.example.test'))[0].join(''), 'RFC 5782 test point, bl.example.test');
  await assert.rejects(r.resolve4('1.0.0.127.bl.example.test'), { code: 'ENOTFOUND' });
  assert.deepEqual(await r.resolve4('99.2.0.192.bl.example.test'), ['127.0.0.2']);
  assert.deepEqual(await r.resolve4(dnsblQueryName('2001:db8::99', 'bl.example.test')), ['127.0.0.4']);
  assert.deepEqual(await r.resolveTxt(dnsblQueryName('2001:db8::99', 'bl.example.test')), [['v6 spammer']]);
  assert.deepEqual(await r.resolve4(dnsblQueryName('::ffff:7f00:2', 'bl.example.test')), ['127.0.0.2']);
  await assert.rejects(r.resolve4(dnsblQueryName('::ffff:7f00:1', 'bl.example.test')), { code: 'ENOTFOUND' });
  await assert.rejects(r.resolve4(dnsblQueryName('192.0.2.98', 'bl.example.test')), { code: 'ENOTFOUND' });
  assert.deepEqual(await r.resolve4('test.bl.example.test'), ['127.0.0.2']);
  await assert.rejects(r.resolve4('invalid.bl.example.test'), { code: 'ENOTFOUND' });
});

test('records can be added and removed while running', async () => {
  dns.add([{ name: 'late.example.test', type: 'A', data: '192.0.2.50' }]);
  assert.deepEqual(await r.resolve4('late.example.test'), ['192.0.2.50']);
  dns.remove('late.example.test');
  await assert.rejects(r.resolve4('late.example.test'), { code: 'ENOTFOUND' });
});

test('a raw TCP query gets an authoritative answer with SOA in NXDOMAIN authority', async () => {
  const q = packet.encode({ type: 'query', id: 4242, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'missing.example.test' }] });
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  const res = await new Promise<Buffer>((resolve, reject) => {
    const s = net.connect(dns.port, '127.0.0.1', () => s.write(Buffer.concat([len, q])));
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.end();
        resolve(buf.subarray(2));
      }
    });
    s.on('error', reject);
    setTimeout(() => reject(new Error('timeout')), 30_000).unref();
  });
  const p = packet.decode(res);
  assert.equal(p.id, 4242);
  assert.equal(p.flag_aa, true);
  assert.equal(p.flag_ra, false, 'never claims recursion');
  assert.equal((p as unknown as { rcode: string }).rcode, 'NXDOMAIN');
  assert.equal(p.authorities?.[0]?.type, 'SOA');
  assert.equal(p.authorities?.[0]?.name, 'example.test');
});

async function haveDig(): Promise<boolean> {
  try {
    await run('dig', ['-v']);
    return true;
  } catch {
    return false;
  }
}

test('dig over UDP and TCP', async (t) => {
  if (!(await haveDig())) {
    if (process.env.CI) assert.fail('dig (bind9-dnsutils) is missing in CI');
    t.skip('dig not installed (apt-get install bind9-dnsutils)');
    return;
  }
  const base = ['@127.0.0.1', '-p', String(dns.port), '+time=2', '+tries=1'];
  const udp = await run('dig', [...base, '+short', 'MX', 'example.test']);
  assert.deepEqual(udp.stdout.trim().split('\n').sort(), ['10 mx.example.test.', '20 mx2.example.test.']);
  const tcp = await run('dig', [...base, '+tcp', '+short', 'A', '2.0.0.127.bl.example.test']);
  assert.equal(tcp.stdout.trim(), '127.0.0.2');
  const nx = await run('dig', [...base, '+tcp', 'A', '1.0.0.127.bl.example.test']);
  assert.match(nx.stdout, /status: NXDOMAIN/);
  assert.match(nx.stdout, /flags: qr aa/);
  const nodata = await run('dig', [...base, 'AAAA', 'mx.example.test']);
  assert.match(nodata.stdout, /status: NOERROR/);
  assert.match(nodata.stdout, /ANSWER: 0/);
});
