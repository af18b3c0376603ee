// MTA-STS pieces on their own: the TXT record and policy parsers (RFC 8461 §3.1, §3.2), the MX pattern
// rules (§4.1), the durable cache, and the HTTPS fetch against a lab policy server with a lab CA (wrong
// content type, redirect, oversize, untrusted or misnamed certificate, nothing listening).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_AGE_CAP, mxMatches, parseStsPolicy, parseStsRecord, policyAllows } from '../../engine/outbound/mta-sts-policy.js';
import { fetchPolicyText } from '../../engine/outbound/mta-sts-fetch.js';
import { readCached, writeCached } from '../../engine/outbound/mta-sts-cache.js';
import { discoverPolicy } from '../../engine/outbound/mta-sts.js';
import { makeResolver } from '../../engine/dns/resolver.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import { CLOSED_PORT } from '../helpers/server.js';
import { labCa, leafCert, policy, startPolicyServer, type Pem, type PolicyServer } from './mta-sts-lab.js';

test('TXT record: id read, other records ignored, malformed or ambiguous records mean no policy', () => {
  assert.deepEqual(parseStsRecord(['v=STSv1; id=20160831085700Z;']), { ok: true, value: { id: '20160831085700Z' } });
  assert.deepEqual(parseStsRecord(['v=spf1 -all', 'v=STSv1;id=abc']), { ok: true, value: { id: 'abc' } });
  assert.deepEqual(parseStsRecord(['v=STSv1 ; id=abc ; ext=x']), { ok: true, value: { id: 'abc' } });
  assert.equal(parseStsRecord([]).ok, false);
  assert.equal(parseStsRecord(['v=STSv2; id=abc']).ok, false);
  assert.equal(parseStsRecord(['v=STSv1; id=1', 'v=STSv1; id=2']).ok, false, 'two STS records');
  assert.equal(parseStsRecord(['v=STSv1;']).ok, false, 'no id');
  assert.equal(parseStsRecord(['v=STSv1; id=has-dash']).ok, false, 'id is alphanumeric');
  assert.equal(parseStsRecord(['v=STSv1; id=' + 'a'.repeat(33)]).ok, false, 'id at most 32');
  assert.equal(parseStsRecord(['id=abc; v=STSv1']).ok, false, 'version first');
});

test('policy: fields, CRLF or LF, first value wins except mx, max_age capped', () => {
  const p = parseStsPolicy('version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n');
  assert.deepEqual(p, { ok: true, value: { mode: 'enforce', mx: ['mail.example.com', '*.example.net'], maxAge: 604800 } });
  const q = parseStsPolicy('version: STSv1\nmode: testing\nmode: enforce\nmx: MX.Example.COM.\nmax_age: 9999999999\nfuture_key: some value\n');
  assert.ok(q.ok);
  assert.equal(q.value.mode, 'testing');
  assert.deepEqual(q.value.mx, ['mx.example.com']);
  assert.equal(q.value.maxAge, MAX_AGE_CAP);
  const none = parseStsPolicy('version: STSv1\nmode: none\nmax_age: 86400');
  assert.deepEqual(none, { ok: true, value: { mode: 'none', mx: [], maxAge: 86400 } });
});

test('policy: malformed ones are rejected', () => {
  const bad: [string, RegExp][] = [
    ['mode: enforce\nmx: a.example\nmax_age: 1', /no version/],
    ['version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1', /unknown version/],
    ['version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1', /unknown mode/],
    ['version: STSv1\nmx: a.example\nmax_age: 1', /no mode/],
    ['version: STSv1\nmode: enforce\nmx: a.example', /no max_age/],
    ['version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -5', /max_age/],
    ['version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901', /max_age/],
    ['version: STSv1\nmode: enforce\nmax_age: 1', /without mx/],
    ['version: STSv1\nmode: enforce\nmx: mail.*.example\nmax_age: 1', /malformed mx/],
    ['version: STSv1\nmode: enforce\nmx: **.example\nmax_age: 1', /malformed mx/],
    ['version: STSv1\nmode: enforce\nmx: *\nmax_age: 1', /malformed mx/],
    ['version: STSv1\nmode: enforce\nmx: a b.example\nmax_age: 1', /malformed mx/],
    ['version : STSv1\nmode: enforce\nmx: a.example\nmax_age: 1', /malformed line/],
    ['<html><body>hello</body></html>', /malformed line/],
  ];
  for (const [text, why] of bad) {
    const r = parseStsPolicy(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.match(r.reason, why, text);
  }
});

test('mx patterns: exact names, and a wildcard only as the whole leftmost label, matching one label', () => {
  assert.ok(mxMatches('mail.example.com', 'MAIL.example.com.'));
  assert.ok(!mxMatches('mail.example.com', 'mail2.example.com'));
  assert.ok(mxMatches('*.example.com', 'mx1.example.com'));
  assert.ok(!mxMatches('*.example.com', 'example.com'), 'the wildcard needs a label');
  assert.ok(!mxMatches('*.example.com', 'a.b.example.com'), 'exactly one label');
  assert.ok(!mxMatches('*.example.com', 'mx1.badexample.com'));
  const p = parseStsPolicy('version: STSv1\nmode: enforce\nmx: *.example.com\nmx: backup.example.net\nmax_age: 60');
  assert.ok(p.ok);
  assert.ok(policyAllows(p.value, 'x.example.com'));
  assert.ok(policyAllows(p.value, 'backup.example.net'));
  assert.ok(!policyAllows(p.value, 'evil.example.org'));
});

test('cache: written atomically per domain, damaged files read as nothing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-sts-cache-'));
  try {
    assert.equal(readCached(dir, 'example.com'), null);
    const entry = { domain: 'example.com', id: 'abc', policy: { mode: 'enforce' as const, mx: ['mx.example.com'], maxAge: 60 }, fetchedAt: 1, expiresAt: 60_001 };
    writeCached(dir, entry);
    assert.deepEqual(readCached(dir, 'example.com'), entry);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'mta-sts')), ['example.com.json'], 'no temporary file left');
    assert.equal(fs.statSync(path.join(dir, 'mta-sts', 'example.com.json')).mode & 0o777, 0o600);
    fs.writeFileSync(path.join(dir, 'mta-sts', 'example.com.json'), '{"domain":"example.com","id":');
    assert.equal(readCached(dir, 'example.com'), null);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- HTTPS fetch against a lab server ----
let ca: Pem;
let dns: DnsServer;
let web: PolicyServer;
let caFile: string;
let tmp: string;

before(async () => {
  ca = await labCa();
  const leaf = await leafCert(ca, ['mta-sts.good.test', 'mta-sts.type.test', 'mta-sts.redirect.test', 'mta-sts.big.test', 'mta-sts.bad.test', 'mta-sts.slow.test']);
  web = await startPolicyServer(leaf);
  dns = await startDnsServer({
    zones: ['good', 'type', 'redirect', 'big', 'bad', 'wrongname', 'gone'].map((d) => ({ name: `mta-sts.${d}.test`, type: 'A' as const, data: '127.0.0.1' })).concat([{ name: '_mta-sts.good.test', type: 'TXT' as never, data: 'v=STSv1; id=one' }]),
  });
  web.set('mta-sts.good.test', { body: policy('enforce', ['mx.good.test']) });
  web.set('mta-sts.type.test', { body: policy('enforce', ['mx.type.test']), type: 'text/html' });
  web.set('mta-sts.redirect.test', { status: 301, body: '', headers: { location: 'https://mta-sts.good.test/.well-known/mta-sts.txt' } });
  web.set('mta-sts.big.test', { body: 'x'.repeat(70 * 1024) });
  web.set('mta-sts.bad.test', { body: 'version: STSv1\nmode: enforce\n' });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-sts-'));
  caFile = path.join(tmp, 'ca.pem');
  fs.writeFileSync(caFile, ca.cert);
});

after(async () => {
  await web?.close();
  await dns?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function opts(port = web.port, withCa = true) {
  return { resolver: makeResolver([dns.address], 15_000), port, timeoutMs: 15_000, ca: withCa ? ca.cert : undefined };
}

test('fetch: a text/plain policy over HTTPS with a certificate from the trusted CA', async () => {
  const r = await fetchPolicyText('good.test', opts());
  assert.ok(r.ok, JSON.stringify(r));
  assert.match(r.text, /mode: enforce/);
});

test('fetch: wrong Content-Type, redirects and oversized bodies are failures', async () => {
  const t = await fetchPolicyText('type.test', opts());
  assert.ok(!t.ok && /text\/html/.test(t.reason), JSON.stringify(t));
  const r = await fetchPolicyText('redirect.test', opts());
  assert.ok(!r.ok && /HTTP 301 \(redirect not followed\)/.test(r.reason), JSON.stringify(r));
  const b = await fetchPolicyText('big.test', opts());
  assert.ok(!b.ok && /larger than 65536/.test(b.reason), JSON.stringify(b));
});

test('fetch: an untrusted CA, a certificate for another name, or nothing listening are failures', async () => {
  const untrusted = await fetchPolicyText('good.test', opts(web.port, false));
  assert.ok(!untrusted.ok && /certificate/i.test(untrusted.reason), JSON.stringify(untrusted));
  const wrong = await fetchPolicyText('wrongname.test', opts());
  assert.ok(!wrong.ok && /altnames|ERR_TLS_CERT_ALTNAME_INVALID/.test(wrong.reason), JSON.stringify(wrong));
  const closed = await fetchPolicyText('good.test', opts(CLOSED_PORT));
  assert.ok(!closed.ok && /ECONNREFUSED/.test(closed.reason), JSON.stringify(closed));
  const nohost = await fetchPolicyText('nowhere.test', opts());
  assert.ok(!nohost.ok && /ENOTFOUND/.test(nohost.reason), JSON.stringify(nohost));
});

test('fetch: a server that never answers hits the deadline', async () => {
  const net = await import('node:net');
  const silent = net.createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const started = Date.now();
    const r = await fetchPolicyText('good.test', { ...opts((silent.address() as import('node:net').AddressInfo).port), timeoutMs: 500 });
    assert.ok(!r.ok && /timed out/.test(r.reason), JSON.stringify(r));
    assert.ok(Date.now() - started >= 450, 'not before its 500 ms deadline');
  } finally {
    silent.close();
  }
});

test('discovery: fetched once, then served from the cache while the id is unchanged; invalid policy is no policy', async () => {
  const dataDir = path.join(tmp, 'data');
  const deps = { resolver: makeResolver([dns.address], 15_000), dataDir, httpsPort: web.port, timeoutMs: 15_000, caFile };
  const before = web.hits.get('mta-sts.good.test') ?? 0;
  const a = await discoverPolicy('good.test', deps);
  assert.equal(a.policy?.policy.mode, 'enforce');
  assert.deepEqual(a.events.map((e) => e.event), ['mta-sts-fetched']);
  const b = await discoverPolicy('GOOD.test', deps);
  assert.equal(b.policy?.id, 'one');
  assert.deepEqual(b.events, []);
  assert.equal(web.hits.get('mta-sts.good.test'), before + 1, 'one fetch');
  // no record at all: no policy, no fetch
  const none = await discoverPolicy('bad.test', deps);
  assert.equal(none.policy, null);
  assert.equal(web.hits.get('mta-sts.bad.test') ?? 0, 0);
  dns.add([{ name: '_mta-sts.bad.test', type: 'TXT', data: 'v=STSv1; id=x1' }]);
  const invalid = await discoverPolicy('bad.test', deps);
  assert.equal(invalid.policy, null);
  assert.equal(invalid.events[0]?.event, 'mta-sts-fetch-failed');
  assert.match(String(invalid.events[0]?.fields.error), /invalid policy: no max_age/);
});
