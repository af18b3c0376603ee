// The pure parts of outbound delivery: route selection, host:port parsing, MX resolution against the lab
// DNS (order, implicit MX, null MX, NXDOMAIN, relay hosts), NOTIFY rules, the DSN's structure, DKIM keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { destinationFor } from '../../engine/outbound/destination.js';
import { parseHostPort, resolveDestination } from '../../engine/outbound/mx.js';
import { buildDsn, wantsNotice } from '../../engine/outbound/dsn.js';
import { findKey, fromDomain, generateKey, signMessage } from '../../engine/outbound/dkim.js';
import { enhancedStatus } from '../../engine/outbound/smtp-client.js';
import { makeResolver } from '../../engine/dns/resolver.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import type { Envelope } from '../../engine/spool/envelope.js';

const routeCfg = (route: { domain: string; to?: string; hold?: boolean; require_tls?: boolean; auth_user?: string; auth_password?: string }[], smarthost?: { to: string }) => ({
  route: route.map((r) => ({ hold: false, require_tls: false, ...r })),
  smarthost: smarthost ? { require_tls: false, ...smarthost } : undefined,
});

test('route selection: exact route, wildcard route, smarthost, MX', () => {
  const cfg = routeCfg([{ domain: '*.corp.test', to: 'wild:25' }, { domain: 'a.corp.test', to: '10.0.0.5:2525, 10.0.0.6', auth_user: 'u', auth_password: 'p' }, { domain: 'tls.test', require_tls: true }]);
  const a = destinationFor('A.corp.test', cfg);
  assert.equal(a.kind, 'relay');
  assert.deepEqual(a.hosts, ['10.0.0.5:2525', '10.0.0.6']);
  assert.deepEqual(a.auth, { user: 'u', pass: 'p' });
  assert.equal(destinationFor('b.corp.test', cfg).hosts[0], 'wild:25');
  assert.equal(destinationFor('corp.test', cfg).hosts[0], 'wild:25');
  const t = destinationFor('tls.test', cfg);
  assert.equal(t.kind, 'mx');
  assert.equal(t.requireTls, true);
  assert.equal(destinationFor('other.test', cfg).key, 'mx:other.test');
  assert.equal(destinationFor('other.test', routeCfg([], { to: 'relay:587' })).key, 'smarthost');
});

test('host:port parsing', () => {
  assert.deepEqual(parseHostPort('10.0.0.5:2525', 25), { host: '10.0.0.5', port: 2525 });
  assert.deepEqual(parseHostPort('[::1]:26', 25), { host: '::1', port: 26 });
  assert.deepEqual(parseHostPort('::1', 25), { host: '::1', port: 25 });
  assert.deepEqual(parseHostPort('[mx.example.org]', 25), { host: 'mx.example.org', port: 25 });
  assert.deepEqual(parseHostPort('mx.example.org', 587), { host: 'mx.example.org', port: 587 });
});

test('enhanced status codes from replies', () => {
  assert.equal(enhancedStatus('550 5.1.1 no such user'), '5.1.1');
  assert.equal(enhancedStatus('550 no such user'), '5.0.0');
  assert.equal(enhancedStatus('421 closing'), '4.0.0');
});

let dns: DnsServer;
before(async () => {
  dns = await startDnsServer({
    zones: [
      { name: 'multi.test', type: 'MX', data: '20 b.multi.test' },
      { name: 'multi.test', type: 'MX', data: '10 a.multi.test' },
      { name: 'multi.test', type: 'MX', data: '30 gone.multi.test' },
      { name: 'a.multi.test', type: 'A', data: '192.0.2.1' },
      { name: 'a.multi.test', type: 'AAAA', data: '2001:db8::1' },
      { name: 'b.multi.test', type: 'A', data: '192.0.2.2' },
      { name: 'implicit.test', type: 'AAAA', data: '2001:db8::9' },
      { name: 'null.test', type: 'MX', data: '0 .' },
      { name: 'broken.test', type: 'MX', data: '10 nowhere.broken.test' },
      { name: 'relayhost.test', type: 'A', data: '192.0.2.7' },
    ],
  });
});
after(async () => dns?.close());

test('MX resolution: preference order, A before AAAA, unresolvable hosts skipped, implicit MX, null MX, NXDOMAIN', async () => {
  const r = makeResolver([dns.address], 15_000);
  const opts = { port: 2525, maxMx: 5 };
  const mx = await resolveDestination(destinationFor('multi.test', routeCfg([])), r, opts);
  assert.equal(mx.kind, 'ok');
  if (mx.kind === 'ok') {
    assert.deepEqual(mx.targets.map((t) => t.name), ['a.multi.test', 'b.multi.test']);
    assert.deepEqual(mx.targets[0].addresses, ['192.0.2.1', '2001:db8::1']);
    assert.equal(mx.targets[0].port, 2525);
  }
  const imp = await resolveDestination(destinationFor('implicit.test', routeCfg([])), r, opts);
  assert.ok(imp.kind === 'ok' && imp.targets[0].name === 'implicit.test' && imp.targets[0].addresses[0] === '2001:db8::9');
  const nul = await resolveDestination(destinationFor('null.test', routeCfg([])), r, opts);
  assert.ok(nul.kind === 'perm' && nul.status === '5.1.10');
  const nx = await resolveDestination(destinationFor('missing.test', routeCfg([])), r, opts);
  assert.ok(nx.kind === 'perm' && nx.status === '5.1.2', JSON.stringify(nx));
  const broken = await resolveDestination(destinationFor('broken.test', routeCfg([])), r, opts);
  assert.ok(broken.kind === 'perm' && broken.status === '5.4.4', JSON.stringify(broken));
  const relay = await resolveDestination(destinationFor('x.test', routeCfg([{ domain: 'x.test', to: 'relayhost.test:2626' }])), r, opts);
  assert.ok(relay.kind === 'ok' && relay.targets[0].addresses[0] === '192.0.2.7' && relay.targets[0].port === 2626);
  const badRelay = await resolveDestination(destinationFor('y.test', routeCfg([{ domain: 'y.test', to: 'nohost.test:25' }])), r, opts);
  assert.equal(badRelay.kind, 'temp', 'a misconfigured relay keeps the mail');
  // a DNS server that does not answer is a temporary failure
  const dead = makeResolver(['127.0.0.1:9'], 300);
  const t = await resolveDestination(destinationFor('multi.test', routeCfg([])), dead, opts);
  assert.equal(t.kind, 'temp');
});

test('NOTIFY rules (RFC 3461)', () => {
  assert.equal(wantsNotice(undefined, 'failed'), true);
  assert.equal(wantsNotice(undefined, 'delayed'), true);
  assert.equal(wantsNotice(undefined, 'relayed'), false);
  assert.equal(wantsNotice(['NEVER'], 'failed'), false);
  assert.equal(wantsNotice(['SUCCESS'], 'failed'), false);
  assert.equal(wantsNotice(['SUCCESS'], 'relayed'), true);
  assert.equal(wantsNotice(['FAILURE'], 'delayed'), false);
  assert.equal(wantsNotice(['DELAY'], 'delayed'), true);
});

const env: Envelope = {
  id: 'ABC123',
  time: Date.UTC(2026, 0, 2, 3, 4, 5),
  mailFrom: 'sender@example.test',
  rcptTo: [{ address: 'x@remote.test', kind: 'remote' }],
  dsn: { envid: 'my-envid' },
  client: { ip: '127.0.0.1', helo: 'c', protocol: 'ESMTP', listener: 'smtp' },
};
const original = Buffer.from('From: <sender@example.test>\r\nSubject: Hi\r\nMessage-ID: <m1@example.test>\r\n\r\nbody text\r\n');

test('a DSN parses as multipart/report with delivery-status and the original message', async () => {
  const d = buildDsn({ action: 'failed', hostname: 'mx.example.test', envelope: env, original, recipients: [{ address: 'x@remote.test', orcpt: 'rfc822;orig@remote.test', action: 'failed', status: '5.1.1', remoteMta: 'mx.remote.test', diagnostic: '550 5.1.1 no such user', fromRemote: true }] })!;
  assert.equal(d.envelope.mailFrom, '');
  assert.deepEqual(d.envelope.rcptTo.map((r) => r.address), ['sender@example.test']);
  const p = await simpleParser(d.raw);
  assert.match(String(p.headers.get('content-type') && (p.headers.get('content-type') as { value: string }).value), /multipart\/report/);
  assert.equal(p.headers.get('auto-submitted'), 'auto-replied');
  assert.equal(p.inReplyTo, '<m1@example.test>');
  assert.ok(p.attachments.some((a) => a.contentType === 'message/rfc822'), 'the original message is returned');
  // the delivery-status part, cut out of the raw report by its boundary
  const raw = d.raw.toString();
  const boundary = /boundary="([^"]+)"/.exec(raw)![1];
  const part = raw.split(`--${boundary}`).find((x) => /Content-Type: message\/delivery-status/.test(x))!;
  const status = part.slice(part.indexOf('\r\n\r\n') + 4);
  assert.match(status, /^Reporting-MTA: dns; mx\.example\.test\r\nOriginal-Envelope-Id: my-envid\r\n/);
  assert.match(status, /\r\n\r\nOriginal-Recipient: rfc822; orig@remote\.test\r\nFinal-Recipient: rfc822; x@remote\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx\.remote\.test\r\nDiagnostic-Code: smtp; 550 5\.1\.1 no such user\r\n/);
  assert.match(p.text ?? '', /550 5\.1\.1 no such user/);
  assert.equal(buildDsn({ action: 'failed', hostname: 'h', envelope: { ...env, mailFrom: '' }, original, recipients: [] }), null, 'never to the null sender');
});

test('DKIM: keygen, From domain, sign', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-dkim-'));
  try {
    const g = generateKey(dir, 'Example.TEST', 's1', { type: 'ed25519' });
    assert.ok(g.ok);
    if (g.ok) assert.match(g.record.value, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    assert.equal(generateKey(dir, 'bad domain', 's1').ok, false);
    assert.equal(generateKey(dir, 'example.test', 'bad/sel').ok, false);
    const k = findKey(dir, 'example.test')!;
    assert.equal(k.selector, 's1');
    assert.equal(k.algorithm, 'ed25519-sha256');
    assert.equal(findKey(dir, 'other.test'), null);
    assert.equal(fromDomain(Buffer.from('Subject: x\r\nFrom: "A, B" <a@Example.Test>\r\n\r\n')), 'example.test');
    assert.equal(fromDomain(Buffer.from('From: a@b.test\r\n\r\n')), 'b.test');
    const sig = await signMessage(original, k);
    assert.ok(sig.ok && /^DKIM-Signature: .*a=ed25519-sha256/s.test(sig.header) && /d=example\.test/.test(sig.header));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
