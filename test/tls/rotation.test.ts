// Renewing the [tls] certificate as docs/operations.md says (replace the files, restart), on the real server with
// `openssl s_client`: the new certificate is served after the restart. A half-done renewal (a new certificate
// beside the old key, a file gone, one that is not PEM) stops the start with the files named, where it used to
// print only OpenSSL's "key values mismatch" or "no start line"; so does a [[tls.domain]] pair.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, hasCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const skip = hasCommand('openssl') ? false : 'needs openssl';
let srv: TestServer;
let certDir: string;

function makeCert(name: string): { cert: string; key: string } {
  const cert = path.join(certDir, `${name}.crt`);
  const key = path.join(certDir, `${name}.key`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=mx.example.test'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { cert, key };
}

const fingerprint = (file: string) => new crypto.X509Certificate(fs.readFileSync(file)).fingerprint256;

/** The fingerprint of the certificate `openssl s_client` is shown on the imaps listener. */
async function served(): Promise<string> {
  const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${srv.ports.imaps}`, '-servername', 'mx.example.test'], { input: '', timeoutMs: 30_000 });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.stdout)?.[0];
  assert.ok(pem, `no certificate from s_client: ${r.stdout}${r.stderr}`);
  return new crypto.X509Certificate(pem).fingerprint256;
}

let live: { cert: string; key: string };

before(async () => {
  if (skip) return;
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-tls-rot-'));
  live = { cert: path.join(certDir, 'live.crt'), key: path.join(certDir, 'live.key') };
  const old = makeCert('old');
  fs.copyFileSync(old.cert, live.cert);
  fs.copyFileSync(old.key, live.key);
  srv = await startTestServer({ listeners: ['imaps'], toml: `[tls]\ncert = ${JSON.stringify(live.cert)}\nkey = ${JSON.stringify(live.key)}\n` });
});
after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
  if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
});

it('serves the renewed certificate after the files are replaced and the server restarted', { skip }, async () => {
  assert.equal(await served(), fingerprint(path.join(certDir, 'old.crt')));
  const renewed = makeCert('new');
  fs.copyFileSync(renewed.key, live.key);
  fs.copyFileSync(renewed.cert, live.cert);
  await srv.restart(); // SIGTERM, then `tegami serve` again
  assert.equal(await served(), fingerprint(renewed.cert));
});

it('a half-renewed pair, a missing file or a file that is not PEM stops the start with the files named', { skip }, async () => {
  await srv.stop();
  const other = makeCert('other');
  const serve = (config = srv.configPath) => spawnSync(process.execPath, [BIN, 'serve', '--config', config], { encoding: 'utf8', timeout: 60_000 });
  // a [[tls.domain]] pair that does not go together names its domain
  const domainConfig = path.join(certDir, 'domain.toml');
  const renewed = path.join(certDir, 'new');
  fs.writeFileSync(domainConfig, `${fs.readFileSync(srv.configPath, 'utf8')}\n[[tls.domain]]\ndomain = "example.jp"\ncert = "${renewed}.crt"\nkey = "${other.key}"\n`);
  let r = serve(domainConfig);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.ok(r.stderr.includes(`[[tls.domain]] example.jp cert ${renewed}.crt with key ${other.key}: the key does not belong to the certificate`), r.stderr);
  fs.copyFileSync(other.cert, live.cert); // the new certificate, the old key still in place
  r = serve();
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.ok(r.stderr.includes(`[tls] cert ${live.cert} with key ${live.key}: the key does not belong to the certificate`), r.stderr);
  fs.writeFileSync(live.cert, 'not a certificate\n');
  r = serve();
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(`[tls] cert ${live.cert} with key ${live.key}:`), r.stderr);
  fs.rmSync(live.key);
  r = serve();
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(`[tls] key ${live.key}: cannot read it (ENOENT)`), r.stderr);
});
