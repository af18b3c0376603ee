// Per-IP virtual hosts (A6, [[domains.virtual_host]]): the greeting name a local address gets, and, on a host
// with only_own_domains, RCPT for the other local domains refused over a real socket (swaks to 127.0.0.2), while
// the same recipient is taken on 127.0.0.1, and postmaster@ and host aliases of its own domains are always taken.
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { VirtualHosts, refuseOnVirtualHost } from '../../engine/accounts/virtual-hosts.js';
import { freePort, requireCommand, run } from '../helpers/server.js';
import { startRawServer, type RawServer } from './helpers.js';

describe('VirtualHosts', () => {
  const hosts = new VirtualHosts('mx.example.test', [
    { ip: '192.0.2.10', hostname: 'Mail.Example.JP', domains: ['example.jp'], only_own_domains: true },
    { ip: '2001:db8::10', hostname: 'mail.other.jp', domains: ['other.jp'], only_own_domains: false },
  ]);
  const canonical = (d: string) => ({ 'example.jp': 'example.jp', 'mail.example.jp': 'example.jp', 'other.jp': 'other.jp' })[d.toLowerCase()] ?? null;

  it('names a connection by the address it reached (IPv4-mapped and any IPv6 spelling too), else the server', () => {
    assert.equal(hosts.hostnameFor('192.0.2.10'), 'mail.example.jp');
    assert.equal(hosts.hostnameFor('::ffff:192.0.2.10'), 'mail.example.jp');
    assert.equal(hosts.hostnameFor('2001:DB8:0:0::10'), 'mail.other.jp');
    assert.equal(hosts.hostnameFor('192.0.2.11'), 'mx.example.test');
    assert.equal(hosts.hostnameFor(undefined), 'mx.example.test');
  });

  it('takes only its own domains (and their host aliases) when told to; postmaster@ always', () => {
    assert.equal(hosts.acceptsDomain('192.0.2.10', 'MAIL.example.jp', canonical), true);
    assert.equal(hosts.acceptsDomain('192.0.2.10', 'other.jp', canonical), false);
    assert.equal(hosts.acceptsDomain('2001:db8::10', 'example.jp', canonical), true, 'only_own_domains off');
    assert.equal(hosts.acceptsDomain('192.0.2.99', 'other.jp', canonical), true, 'no virtual host');
    assert.match(refuseOnVirtualHost(hosts, '192.0.2.10', 'hanako@other.jp', canonical)!.text, /not served at this address/);
    assert.equal(refuseOnVirtualHost(hosts, '192.0.2.10', 'postmaster@other.jp', canonical), null);
  });
});

describe('a virtual host on 127.0.0.2 over real sockets', () => {
  let srv: RawServer;
  let smtp = 0;
  let submission = 0;
  before(async () => {
    smtp = await freePort('127.0.0.2');
    submission = await freePort();
    srv = await startRawServer(
      (dataDir) =>
        [
          'hostname = "mx.example.test"',
          `data_dir = ${JSON.stringify(dataDir)}`,
          '[listen]',
          `smtp = "127.0.0.2:${smtp}"`,
          `submission = "127.0.0.1:${submission}"`,
          '[domains]',
          'local = ["example.jp", "other.jp"]',
          'aliases = { "mail.example.jp" = "example.jp" }',
          '[[domains.virtual_host]]',
          'ip = "127.0.0.2"',
          'hostname = "mx.example.jp"',
          'domains = ["example.jp"]',
          'only_own_domains = true',
          '[auth]',
          'allow_insecure_auth = true',
          '[spam]',
          'enabled = false',
          '[log]',
          'stdout = false',
          '[dns]',
          'servers = ["127.0.0.1:9"]',
          'timeout = "500ms"',
        ].join('\n'),
      [{ host: '127.0.0.2', port: smtp }, { host: '127.0.0.1', port: submission }],
    );
    for (const a of ['taro@example.jp', 'hanako@other.jp']) assert.equal(srv.cli(['user', 'add', a, '--password-stdin'], 'secret-pw1\n').status, 0);
  });
  after(async () => {
    await srv?.stop();
    if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
  });

  const swaks = (args: string[]) => run('swaks', ['--from', 'sender@remote.test', '--h-Subject', 'vhost', '--body', '仮想ホスト', '--quit-after', 'RCPT', ...args]);

  it('refuses RCPT for the other local domain on its address, and takes its own (and its host alias, and postmaster@)', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const other = await swaks(['--server', '127.0.0.2', '--port', String(smtp), '--to', 'hanako@other.jp']);
    assert.match(other.stdout, /<\*\* 550 5\.7\.1 <hanako@other\.jp>: this domain is not served at this address/, other.stdout);
    for (const to of ['taro@example.jp', 'taro@mail.example.jp', 'postmaster@other.jp']) {
      const r = await swaks(['--server', '127.0.0.2', '--port', String(smtp), '--to', to]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /<- {1,2}250 /, `${to}: ${r.stdout}`);
    }
  });

  it('the same recipient is taken on an address without a virtual host', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const r = await swaks(['--server', '127.0.0.1', '--port', String(submission), '--to', 'hanako@other.jp', '--auth', 'PLAIN', '--auth-user', 'taro@example.jp', '--auth-password', 'secret-pw1', '--from', 'taro@example.jp']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /550 5\.7\.1/);
  });
});
