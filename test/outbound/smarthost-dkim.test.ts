// Smarthost with AUTH, a static route that requires TLS, and DKIM: `tegami dkim keygen` makes a key and
// prints the record; once published in the stand-in DNS, the sink side verifies the signature with mailauth.
// The smarthost's certificate comes from the lab CA, given as its ca_file: credentials need verified TLS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as dnsp } from 'node:dns';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { labCa, leafCert } from './mta-sts-lab.js';
import { message, queueList, setup, submit, until, type Setup } from './helpers.js';

let smarthost: Sink;
let plain: Sink;
let s: Setup;
let caDir: string;

before(async () => {
  const ca = await labCa();
  const pem = await leafCert(ca, ['smarthost.lab.test']);
  caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-lab-ca-'));
  fs.writeFileSync(path.join(caDir, 'ca.pem'), ca.cert);
  smarthost = await startSink({ auth: { users: { relayuser: 'relay-pass-9' }, required: true }, server: { key: pem.key, cert: pem.cert } });
  plain = await startSink({ tls: 'none' });
  s = await setup({
    mxPort: 1, // nothing goes by MX here
    records: [{ name: 'smarthost.lab.test', type: 'A', data: '127.0.0.1' }],
    toml: [
      '[queue]',
      'retry_schedule = ["1s"]',
      '[smarthost]',
      `to = "smarthost.lab.test:${smarthost.port}"`,
      'auth_user = "relayuser"',
      'auth_password = "relay-pass-9"',
      `ca_file = ${JSON.stringify(path.join(caDir, 'ca.pem'))}`,
      '[[route]]',
      'domain = "secure.test"',
      `to = "${plain.address}"`,
      'require_tls = true',
      '[[route]]',
      'domain = "open.test"',
      `to = "${plain.address}"`,
    ].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await smarthost?.close();
  await plain?.close();
  if (caDir) fs.rmSync(caDir, { recursive: true, force: true });
});

test('dkim keygen writes a private key and prints the TXT record', () => {
  const r = s.srv.cli(['dkim', 'keygen', 'example.test', '--selector', 'sel1', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rec = JSON.parse(r.stdout) as { name: string; value: string; file: string };
  assert.equal(rec.name, 'sel1._domainkey.example.test');
  assert.match(rec.value, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
  assert.equal(fs.statSync(rec.file).mode & 0o777, 0o600);
  assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
  s.dns.add([{ name: rec.name, type: 'TXT', data: rec.value }]);
  const again = s.srv.cli(['dkim', 'keygen', 'example.test', '--selector', 'sel1']);
  assert.equal(again.status, 1, 'an existing key is not overwritten');
  const shown = s.srv.cli(['dkim', 'show', 'example.test']);
  assert.match(shown.stdout, /^sel1\._domainkey\.example\.test\. IN TXT \( "v=DKIM1; k=rsa; p=/);
});

test('mail to any other domain goes through the smarthost with AUTH, DKIM-signed and verifiable', async () => {
  await submit(s.srv.ports.smtp, 'alice@example.test', ['someone@elsewhere.test'], message('alice@example.test', 'someone@elsewhere.test', 'signed via smarthost', 'Body line one.\r\nBody line two.\r\n'));
  const [m] = await smarthost.waitFor(1, 120_000);
  assert.equal(m.user, 'relayuser', 'authenticated at the smarthost');
  assert.equal(m.secure, true);
  const raw = m.raw.toString();
  assert.match(raw, /^DKIM-Signature: .*d=example\.test/m);
  assert.match(raw, /s=sel1/);
  const resolver = new dnsp.Resolver();
  resolver.setServers([s.dns.address]);
  const v = await dkimVerify(m.raw, { resolver: (name: string, rr: string) => resolver.resolve(name, rr) as Promise<string[][]> });
  const res = v.results[0];
  assert.equal(res?.status.result, 'pass', JSON.stringify(res?.status));
  assert.equal(res?.signingDomain, 'example.test');
  // tampering breaks it: the verifier is really checking
  const bad = await dkimVerify(Buffer.from(raw.replace('Body line two.', 'Body line 2.')), { resolver: (name: string, rr: string) => resolver.resolve(name, rr) as Promise<string[][]> });
  assert.notEqual(bad.results[0]?.status.result, 'pass', 'a changed body does not verify (mailauth says neutral: body hash mismatch)');
  assert.match(JSON.stringify(bad.results[0]?.status), /body hash/i);
});

test('a route with require_tls does not deliver in plaintext; the same host without it does', async () => {
  await submit(s.srv.ports.smtp, 'alice@example.test', ['x@secure.test'], message('alice@example.test', 'x@secure.test', 'needs TLS'));
  await submit(s.srv.ports.smtp, 'alice@example.test', ['y@open.test'], message('alice@example.test', 'y@open.test', 'plaintext is fine'));
  const [m] = await plain.waitFor(1, 120_000);
  assert.deepEqual(m.to, ['y@open.test']);
  assert.equal(m.secure, false);
  const q = await until('deferred for TLS', async () => (await queueList(s.srv)).find((x) => x.recipients[0]?.address === 'x@secure.test' && x.last_error));
  assert.match(q.last_error ?? '', /TLS/);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(plain.messages.length, 1, 'never sent without TLS');
  assert.equal(s.srv.cli(['queue', 'delete', q.id]).status, 0);
});
