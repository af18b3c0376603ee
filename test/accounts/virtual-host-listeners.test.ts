// Per-IP virtual hosts wired into the listeners (A6), on the real server: listeners on 127.0.0.2 (the virtual
// host mx.example.jp, with a certificate bound to that address) and on 127.0.0.1 (the server itself). swaks sees
// the host's own name in the greeting and the EHLO reply, and the delivered message's Received: line carries it;
// `openssl s_client` gets the address's certificate on SMTP STARTTLS, implicit TLS (465), POP3 STLS and IMAP
// STARTTLS, the default one on 127.0.0.1, and SNI's choice wherever the client names a host.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, hasCommand, requireCommand, run } from '../helpers/server.js';
import { readAll, startRawServer, until, type RawServer } from './helpers.js';

let srv: RawServer | undefined;
const P: Record<string, number> = {};

function makeCert(dir: string, name: string, dns: string[]): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${dns[0]}`, '-addext', `subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { cert, key };
}

before(async () => {
  if (!hasCommand('openssl')) return;
  for (const [k, host] of [['smtp', '127.0.0.2'], ['submission', '127.0.0.1'], ['submissions', '127.0.0.2'], ['pop3', '127.0.0.2'], ['imap', '127.0.0.2'], ['imaps', '127.0.0.1']]) P[k] = await freePort(host);
  srv = await startRawServer(
    (dataDir) => {
      const certDir = path.dirname(dataDir);
      const jp = makeCert(certDir, 'jp', ['mail.example.jp', 'example.jp']);
      const other = makeCert(certDir, 'other', ['*.other.jp']);
      return [
        'hostname = "mx.example.test"',
        `data_dir = ${JSON.stringify(dataDir)}`,
        '[listen]',
        `smtp = "127.0.0.2:${P.smtp}"`,
        `submission = "127.0.0.1:${P.submission}"`,
        `submissions = "127.0.0.2:${P.submissions}"`,
        `pop3 = "127.0.0.2:${P.pop3}"`,
        `imap = "127.0.0.2:${P.imap}"`,
        `imaps = "127.0.0.1:${P.imaps}"`,
        '[[tls.domain]]',
        'domain = "example.jp"',
        `cert = ${JSON.stringify(jp.cert)}`,
        `key = ${JSON.stringify(jp.key)}`,
        'ip = "127.0.0.2"',
        '[[tls.domain]]',
        'domain = "other.jp"',
        `cert = ${JSON.stringify(other.cert)}`,
        `key = ${JSON.stringify(other.key)}`,
        '[domains]',
        'local = ["example.jp", "other.jp"]',
        '[[domains.virtual_host]]',
        'ip = "127.0.0.2"',
        'hostname = "mx.example.jp"',
        'domains = ["example.jp"]',
        '[spam]',
        'enabled = false',
        '[log]',
        'stdout = false',
        '[dns]',
        'servers = ["127.0.0.1:9"]',
        'timeout = "500ms"',
      ].join('\n');
    },
    [
      { host: '127.0.0.2', port: P.smtp },
      { host: '127.0.0.1', port: P.submission },
      { host: '127.0.0.2', port: P.submissions },
      { host: '127.0.0.2', port: P.pop3 },
      { host: '127.0.0.2', port: P.imap },
      { host: '127.0.0.1', port: P.imaps },
    ],
  );
  assert.equal(srv.cli(['user', 'add', 'taro@example.jp', '--password-stdin'], 'secret-pw1\n').status, 0);
});

after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

/** The CN of the certificate openssl s_client is shown. */
async function served(host: string, port: number, o: { starttls?: string; servername?: string } = {}): Promise<string> {
  const args = ['s_client', '-connect', `${host}:${port}`, ...(o.starttls ? ['-starttls', o.starttls] : []), ...(o.servername ? ['-servername', o.servername] : ['-noservername'])];
  const r = await run('openssl', args, { input: '', timeoutMs: 20_000 });
  const m = /subject=\s*CN\s*=\s*([^\s,/]+)/.exec(r.stdout);
  assert.ok(m, `no certificate from ${host}:${port} ${o.starttls ?? ''}: ${r.stdout}${r.stderr}`);
  return m[1];
}

describe('a per-IP virtual host on the listeners', () => {
  it('greets and answers EHLO with its own name; the Received: line says it; 127.0.0.1 keeps the server name', async (t) => {
    if (!requireCommand(t, 'swaks') || !requireCommand(t, 'openssl')) return;
    const r = await run('swaks', ['--server', '127.0.0.2', '--port', String(P.smtp), '--local-interface', '127.0.0.9', '--from', 'sender@remote.test', '--to', 'taro@example.jp', '--h-Subject', 'vhost name', '--body', '名前']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /<- {1,2}220 mx\.example\.jp ESMTP/);
    assert.match(r.stdout, /<- {1,2}250-mx\.example\.jp /);
    assert.match(r.stdout, /\[127\.0\.0\.9\]/, 'the client was 127.0.0.9 (swaks --local-interface)');
    const mail = await until('delivered', () => readAll(srvMaildir('taro@example.jp')).find((m) => /Subject: vhost name/.test(m)));
    assert.match(mail, /^Received: from .*\r?\n\tby mx\.example\.jp \(tegami\)/m);
    const other = await run('swaks', ['--server', '127.0.0.1', '--port', String(P.submission), '--quit-after', 'EHLO']);
    assert.match(other.stdout, /<- {1,2}220 mx\.example\.test ESMTP/);
  });

  it('gives the address\'s certificate on every protocol, the default elsewhere, and SNI\'s choice first', async (t) => {
    if (!requireCommand(t, 'openssl')) return;
    assert.equal(await served('127.0.0.2', P.smtp, { starttls: 'smtp' }), 'mail.example.jp', 'SMTP STARTTLS by address');
    assert.equal(await served('127.0.0.2', P.submissions), 'mail.example.jp', 'implicit TLS (465) by address');
    assert.equal(await served('127.0.0.2', P.pop3, { starttls: 'pop3' }), 'mail.example.jp', 'POP3 STLS by address');
    assert.equal(await served('127.0.0.2', P.imap, { starttls: 'imap' }), 'mail.example.jp', 'IMAP STARTTLS by address');
    assert.equal(await served('127.0.0.1', P.submission, { starttls: 'smtp' }), 'mx.example.test', 'the default on 127.0.0.1');
    assert.equal(await served('127.0.0.1', P.imaps), 'mx.example.test');
    assert.equal(await served('127.0.0.1', P.submission, { starttls: 'smtp', servername: 'mail.example.jp' }), 'mail.example.jp', 'SNI on SMTP STARTTLS');
    assert.equal(await served('127.0.0.1', P.imaps, { servername: 'imap.other.jp' }), '*.other.jp', 'SNI on implicit TLS (wildcard)');
    assert.equal(await served('127.0.0.2', P.pop3, { starttls: 'pop3', servername: 'pop.other.jp' }), '*.other.jp', 'SNI wins over the address');
  });
});

function srvMaildir(owner: string): string[] {
  const [local, domain] = owner.split('@');
  const files: string[] = [];
  for (const sub of ['new', 'cur']) {
    const d = path.join(srv!.dataDir, 'mail', domain, local, 'Maildir', sub);
    if (fs.existsSync(d)) for (const f of fs.readdirSync(d)) files.push(path.join(d, f));
  }
  return files;
}
