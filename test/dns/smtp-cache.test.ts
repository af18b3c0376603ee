// The resolver's cache as an SMTP peer meets it: a real `tegami serve` judging loopback like a stranger, Python's
// smtplib sending three messages from three addresses of one domain over one connection. The connection checks
// (sender domain, SPF, rDNS, HELO) ask the lab's stand-in DNS each question once, not once per message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestServer, requireCommand, run, type TestServer } from '../helpers/server.js';
import { startDnsServer, reverseName, type DnsServer } from '../../lab/dns/server.js';

const SEND = `
import smtplib, sys
host, port = sys.argv[1:3]
s = smtplib.SMTP(host, int(port), local_hostname='mx.good.test', timeout=30)
for i in range(3):
    s.sendmail('sender%d@Good.Test' % i, ['user@example.test'], b'From: <sender%d@good.test>\\r\\nTo: <user@example.test>\\r\\nSubject: %d\\r\\n\\r\\nhello\\r\\n' % (i, i))
s.quit()
`;

let dns: DnsServer;
let srv: TestServer;
before(async () => {
  dns = await startDnsServer({
    zones: [
      { name: 'good.test', type: 'MX', data: '10 mx.good.test' },
      { name: 'good.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.1 -all' },
      { name: 'mx.good.test', type: 'A', data: '127.0.0.1' },
      { name: reverseName('127.0.0.1'), type: 'PTR', data: 'mx.good.test' },
    ],
    origins: ['good.test', 'in-addr.arpa'],
  });
  srv = await startTestServer({
    users: [{ address: 'user@example.test', password: 'secret-pass' }],
    toml: ['[dns]', `servers = ["${dns.address}"]`, 'timeout = "15s"', '[spam]', 'local_networks = []'].join('\n'),
  });
});
after(async () => {
  await srv?.stop();
  await dns?.close();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

test('three messages from one domain: each of its connection-check questions reaches the DNS once', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const r = await run('python3', ['-c', SEND, '127.0.0.1', String(srv.ports.smtp)]);
  assert.equal(r.code, 0, r.stderr);
  const deadline = Date.now() + 30_000;
  while (srv.maildir('user@example.test', 'INBOX').length + srv.maildir('user@example.test', 'Spam').length < 3) {
    if (Date.now() > deadline) throw new Error(`3 messages not delivered: ${srv.output().slice(-2000)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  const count = (name: string, type: string) => dns.queries.filter((q) => q.name.toLowerCase() === name && q.type === type).length;
  // sender domain (MX; its A and AAAA only without one), SPF (TXT), HELO (A; AAAA and MX only without one), rDNS
  // (PTR, then the A of the name, here the HELO name's)
  for (const [name, type] of [
    ['good.test', 'MX'],
    ['good.test', 'TXT'],
    ['mx.good.test', 'A'],
    [reverseName('127.0.0.1'), 'PTR'],
  ]) {
    assert.equal(count(name, type), 1, `${type} ${name}: ${JSON.stringify(dns.queries)}`);
  }
  for (const [name, type] of [
    ['good.test', 'A'],
    ['good.test', 'AAAA'],
    ['mx.good.test', 'MX'],
  ]) {
    assert.equal(count(name, type), 0, `${type} ${name} is not asked when the first question answers: ${JSON.stringify(dns.queries)}`);
  }
  const inbox = srv.maildir('user@example.test', 'INBOX');
  assert.equal(inbox.length, 3, 'SPF pass, forward-confirmed rDNS: nothing filed as spam');
  assert.match(fs.readFileSync(inbox[0], 'latin1'), /spf=pass/);
});
