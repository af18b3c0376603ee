// Per-domain certificates (A6, [[tls.domain]]) over real sockets: a TLS listener on 127.0.0.1 and 127.0.0.2 that
// builds each connection's TLSSocket from CertificateSelector.serverOptions(socket.localAddress), as the
// listeners do, driven by `openssl s_client`: SNI picks the certificate (exact name, wildcard, a subdomain of the
// configured domain), else the local address the client reached, else the default. Also the config schema.
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import { CertificateSelector, certificateNames } from '../../engine/tls/select.js';
import { parseConfigText } from '../../engine/config/load.js';
import { hasCommand, run } from '../helpers/server.js';

let dir: string;
const files: Record<string, { cert: string; key: string }> = {};

/** A P-256 self-signed certificate (fast to make) with these DNS names; the first is the CN. */
function makeCert(name: string, dns: string[]): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${dns[0]}`, '-addext', `subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { cert, key };
}

const servers: net.Server[] = [];
let port = 0;

before(async () => {
  if (!hasCommand('openssl')) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-tls-select-'));
  files.default = makeCert('default', ['mx.example.test']);
  files.jp = makeCert('jp', ['mail.example.jp', 'example.jp']);
  files.other = makeCert('other', ['*.other.jp']);
  files.ip = makeCert('ip', ['mail.bound.jp']);
  const read = (n: string) => ({ cert: fs.readFileSync(files[n].cert), key: fs.readFileSync(files[n].key) });
  const selector = new CertificateSelector(read('default'), [
    { domain: 'example.jp', ...read('jp') },
    { domain: 'other.jp', ...read('other') },
    { domain: 'bound.jp', ip: '127.0.0.2', ...read('ip') },
  ]);
  const onSocket = (raw: net.Socket) => {
    raw.on('error', () => {});
    const s = new tls.TLSSocket(raw, { isServer: true, ...selector.serverOptions(raw.localAddress) });
    s.on('error', () => {});
    s.on('secure', () => s.end('hello\n'));
  };
  const a = net.createServer(onSocket);
  await new Promise<void>((r) => a.listen(0, '127.0.0.1', r));
  port = (a.address() as net.AddressInfo).port;
  const b = net.createServer(onSocket);
  await new Promise<void>((r) => b.listen(port, '127.0.0.2', r));
  servers.push(a, b);
});

after(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The CN of the certificate openssl s_client is shown on `host`, with or without SNI. */
async function served(host: string, servername?: string): Promise<string> {
  const args = ['s_client', '-connect', `${host}:${port}`, ...(servername ? ['-servername', servername] : ['-noservername'])];
  const r = await run('openssl', args, { input: '', timeoutMs: 20_000 });
  const m = /subject=\s*CN\s*=\s*([^\s,/]+)/.exec(r.stdout);
  assert.ok(m, `no certificate in: ${r.stdout}${r.stderr}`);
  return m[1];
}

describe('certificate selection', () => {
  it('by SNI: the exact name, a wildcard, a subdomain of the configured domain; else by local address; else the default', async (t) => {
    if (!hasCommand('openssl')) return t.skip('openssl not installed');
    assert.equal(await served('127.0.0.1', 'mail.example.jp'), 'mail.example.jp');
    assert.equal(await served('127.0.0.1', 'EXAMPLE.JP'), 'mail.example.jp', 'case-insensitive');
    assert.equal(await served('127.0.0.1', 'imap.other.jp'), '*.other.jp', 'wildcard');
    assert.equal(await served('127.0.0.1', 'pop.example.jp'), 'mail.example.jp', 'a subdomain of the configured domain');
    assert.equal(await served('127.0.0.1'), 'mx.example.test', 'no SNI on the unbound address: the default');
    assert.equal(await served('127.0.0.1', 'unknown.test'), 'mx.example.test');
    assert.equal(await served('127.0.0.2'), 'mail.bound.jp', 'no SNI on the bound address: its certificate');
    assert.equal(await served('127.0.0.2', 'unknown.test'), 'mail.bound.jp', 'an unknown name on the bound address');
    assert.equal(await served('127.0.0.2', 'mail.example.jp'), 'mail.example.jp', 'SNI wins over the address');
  });

  it('reads the names of a certificate, and refuses a key that does not match at start', (t) => {
    if (!hasCommand('openssl')) return t.skip('openssl not installed');
    assert.deepEqual(certificateNames(fs.readFileSync(files.jp.cert)), ['mail.example.jp', 'example.jp']);
    assert.throws(() => CertificateSelector.fromConfig({ cert: fs.readFileSync(files.default.cert), key: fs.readFileSync(files.default.key) }, [{ domain: 'example.jp', cert: files.jp.cert, key: files.other.key }]));
  });
});

describe('[[tls.domain]] and [[domains.virtual_host]] in the config', () => {
  const load = (toml: string) => parseConfigText(`data_dir = "/tmp/x"\n${toml}`, '/tmp/tegami.toml');

  it('takes per-domain certificates (paths made absolute) and virtual hosts, which add to by_ip', () => {
    const c = load(
      '[tls]\ncert = "a.crt"\nkey = "a.key"\n[[tls.domain]]\ndomain = "example.jp"\ncert = "jp.crt"\nkey = "/etc/jp.key"\nip = "192.0.2.10"\n' +
        '[domains]\nlocal = ["example.jp"]\nby_ip = { "192.0.2.20" = "other.jp" }\n[[domains.virtual_host]]\nip = "192.0.2.10"\nhostname = "mail.example.jp"\ndomains = ["example.jp", "example.co.jp"]\nonly_own_domains = true\n',
    );
    assert.deepEqual(c.tls.domain, [{ domain: 'example.jp', cert: '/tmp/jp.crt', key: '/etc/jp.key', ip: '192.0.2.10' }]);
    assert.equal(c.domains.virtual_host[0].hostname, 'mail.example.jp');
    assert.deepEqual(c.domains.by_ip, { '192.0.2.10': 'example.jp', '192.0.2.20': 'other.jp' });
  });

  it('refuses a bad address, a bad host name, a second host on one address, and a by_ip that disagrees', () => {
    assert.throws(() => load('[[tls.domain]]\ndomain = "example.jp"\ncert = "a"\nkey = "b"\nip = "300.1.1.1"\n'), /tls\.domain\.ip: expected an IP address/);
    assert.throws(() => load('[[domains.virtual_host]]\nip = "192.0.2.1"\nhostname = "bad host"\ndomains = ["a.jp"]\n'), /hostname/);
    assert.throws(() => load('[[domains.virtual_host]]\nip = "192.0.2.1"\nhostname = "a.jp"\ndomains = []\n'), /domains/);
    assert.throws(
      () => load('[[domains.virtual_host]]\nip = "2001:db8::1"\nhostname = "a.jp"\ndomains = ["a.jp"]\n[[domains.virtual_host]]\nip = "2001:DB8:0::1"\nhostname = "b.jp"\ndomains = ["b.jp"]\n'),
      /has two virtual hosts/,
    );
    assert.throws(() => load('[domains]\nby_ip = { "192.0.2.1" = "b.jp" }\n[[domains.virtual_host]]\nip = "192.0.2.1"\nhostname = "a.jp"\ndomains = ["a.jp"]\n'), /by_ip sends 192\.0\.2\.1 to b\.jp/);
  });
});
