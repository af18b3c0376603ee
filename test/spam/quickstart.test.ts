// The README's quick start, as a newcomer runs it (issue 10, "the first message lands in Spam"): a server with no
// spam settings at all, named after this machine as `npm start` names it; `domain add`, `user add` and swaks
// exactly as the README writes them. Twice: with DNS that answers NXDOMAIN for every example domain (the lab's
// DNS server with no zones), and with the harness's DNS on a closed port (every lookup fails). swaks says HELO
// with the machine's own name, 127.0.0.1 has no PTR and example.net no MX: none of that may file the message
// into Spam, as the client is this machine ([spam] local_networks).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import { startTestServer, requireCommand, run, type TestServer } from '../helpers/server.js';

const servers: TestServer[] = [];
let dns: DnsServer | undefined;
after(async () => {
  for (const srv of servers) {
    await srv.stop();
    fs.rmSync(srv.dir, { recursive: true, force: true });
  }
  await dns?.close();
});

test('README quick start, DNS answers NXDOMAIN: the first message lands in Maildir/new', { timeout: 120_000 }, async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  dns = await startDnsServer({ zones: [] });
  await quickStart(`[dns]\nservers = ["${dns.address}"]\ntimeout = "2s"`);
  assert.ok(dns.queries.length === 0 || !dns.queries.some((q) => q.name.endsWith('in-addr.arpa')), 'no PTR asked for this machine');
});

test('README quick start, DNS unreachable: the first message lands in Maildir/new', { timeout: 120_000 }, async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await quickStart();
});

async function quickStart(toml?: string): Promise<void> {
  const readme = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '../../../README.md'), 'utf8');
  assert.match(readme, /^node bin\/tegami domain add example\.test$/m, 'the README still gives these steps');
  assert.match(readme, /^printf 'secret123\\n' \| node bin\/tegami user add alice@example\.test --password-stdin$/m);
  assert.match(readme, /^swaks --server 127\.0\.0\.1:25 --from someone@example\.net --to alice@example\.test /m);
  assert.match(readme, /^ls data\/mail\/example\.test\/alice\/Maildir\/new\/$/m);

  const srv = await startTestServer({ hostname: os.hostname(), domains: [], toml });
  servers.push(srv);
  const dom = srv.cli(['domain', 'add', 'example.test']);
  assert.equal(dom.status, 0, dom.stderr);
  const user = srv.cli(['user', 'add', 'alice@example.test', '--password-stdin'], 'secret123\n');
  assert.equal(user.status, 0, user.stderr);

  // the README's command; only the port is the test server's
  const r = await run('swaks', ['--server', `127.0.0.1:${srv.ports.smtp}`, '--from', 'someone@example.net', '--to', 'alice@example.test']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`-> EHLO ${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`), 'swaks says HELO with this machine\'s name');

  const inNew = path.join(srv.dataDir, 'mail', 'example.test', 'alice', 'Maildir', 'new');
  const deadline = Date.now() + 30_000;
  while (!(fs.existsSync(inNew) && fs.readdirSync(inNew).length > 0)) {
    const spam = srv.maildir('alice@example.test', 'Spam');
    assert.equal(spam.length, 0, `filed as spam: ${spam.length ? fs.readFileSync(spam[0], 'latin1').slice(0, 1200) : ''}`);
    assert.ok(Date.now() < deadline, `nothing in ${inNew}: ${srv.output().slice(-1500)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  const [file] = fs.readdirSync(inNew);
  const text = fs.readFileSync(path.join(inNew, file), 'latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  assert.doesNotMatch(head, /VALFROM|VALREVDNS|VALHELO/, head);
  assert.match(head, /^X-Tegami-Spam-Status: .*verdict=ham/m, 'content filters still ran');
  assert.equal(srv.maildir('alice@example.test', 'Spam').length, 0);
}
