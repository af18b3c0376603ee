// Issue 10 #1, over real sockets: tegami signs with DKIM only mail its sender owns. swaks submits (with and
// without a login), a lab sink plays the remote side and mailauth verifies what arrives there, against keys
// published in the lab DNS. Two hosted domains: example.test (alice) and other.test (boss@ → alice).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as dnsp } from 'node:dns';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { startSink, type ReceivedMessage, type Sink } from '../../lab/peers/sink.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { logText, queueList, until } from './helpers.js';

let sink: Sink;
/** Refuses (451) until told otherwise: holds a message in the queue across a restart. */
let later: Sink;
let laterRefuses = true;
let dns: DnsServer;
let srv: TestServer;
const ALICE_PW = 'alice-secret-1';

before(async () => {
  sink = await startSink({ permFail: ['dead@fail.test'] });
  later = await startSink({ tempFail: () => laterRefuses });
  dns = await startDnsServer({ zones: [] });
  srv = await startTestServer({
    domains: ['example.test', 'other.test'],
    users: [
      { address: 'alice@example.test', password: ALICE_PW },
      { address: 'fwdr@example.test', password: 'fwdr-secret-1' },
      { address: 'gone@example.test', password: 'gone-secret-1' },
    ],
    // no [relay] allow_ips: the clients here are strangers unless they log in
    toml: [
      '[dns]',
      `servers = ["${dns.address}"]`,
      '[spam]',
      'enabled = false',
      '[queue]',
      'retry_schedule = ["1s"]',
      '[[route]]',
      'domain = "remote.test"',
      `to = "${sink.address}"`,
      '[[route]]',
      'domain = "fail.test"',
      `to = "${sink.address}"`,
      '[[route]]',
      'domain = "later.test"',
      `to = "${later.address}"`,
    ].join('\n'),
  });
  for (const args of [
    ['user', 'set', 'fwdr@example.test', '--forward', 'friend@remote.test'],
    ['user', 'set', 'gone@example.test', '--forward', 'dead@fail.test'],
    ['alias', 'add', 'boss@other.test', 'alice@example.test'],
  ]) {
    const r = srv.cli(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  for (const domain of ['example.test', 'other.test']) {
    const r = srv.cli(['dkim', 'keygen', domain, '--selector', 's1', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rec = JSON.parse(r.stdout) as { name: string; value: string };
    dns.add([{ name: rec.name, type: 'TXT', data: rec.value }]);
  }
});

after(async () => {
  await srv?.stop();
  await sink?.close();
  await later?.close();
  await dns?.close();
});

/** swaks, as a user would run it; returns its transcript. */
async function swaks(args: string[]): Promise<string> {
  const r = await run('swaks', ['--server', '127.0.0.1', '--helo', 'client.remote.test', '--timeout', '30', ...args]);
  return r.stdout + r.stderr;
}

function login(): string[] {
  return ['--port', String(srv.ports.submission), '--auth', 'PLAIN', '--auth-user', 'alice@example.test', '--auth-password', ALICE_PW];
}

async function verify(m: ReceivedMessage): Promise<{ result: string; domain?: string }[]> {
  const resolver = new dnsp.Resolver();
  resolver.setServers([dns.address]);
  const v = await dkimVerify(m.raw, { resolver: (name: string, rr: string) => resolver.resolve(name, rr) as Promise<string[][]> });
  return v.results.map((r) => ({ result: r.status.result, domain: r.signingDomain }));
}

const arrived = (subject: string) => until(`"${subject}" at the sink`, () => sink.messages.find((m) => m.raw.toString().includes(`Subject: ${subject}`)), 120_000);

test('unauthenticated mail forwarded off-site with From: of another hosted domain goes out unsigned', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const out = await swaks(['--port', String(srv.ports.smtp), '--from', 'someone@remote.test', '--to', 'fwdr@example.test', '--header', 'From: The Boss <boss@other.test>', '--header', 'Subject: forged boss via forward']);
  assert.match(out, /<- {2}250 2\.0\.0 Ok: queued/, out);
  const m = await arrived('forged boss via forward');
  assert.deepEqual(m.to, ['friend@remote.test']);
  assert.doesNotMatch(m.raw.toString(), /^DKIM-Signature:/im, 'no signature of ours on mail that only passes through');
  assert.deepEqual((await verify(m)).filter((r) => r.result !== 'none'), [], 'no signature to verify');
  // the operator can see why it was not signed although other.test has a key
  await until('dkim skipped in the log', () => /dkim.*skipped.*other\.test|dkim.*other\.test.*skipped/.test(logText(srv)), 120_000);
});

test("a logged-in user's From: of another hosted domain is refused with 550 5.7.1 at the end of DATA", async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const before = sink.messages.length;
  const out = await swaks([...login(), '--from', 'alice@example.test', '--to', 'friend@remote.test', '--header', 'From: The CEO <ceo@other.test>', '--header', 'Subject: cross-domain forgery']);
  assert.match(out, /<\*\* 550 5\.7\.1 From: address <ceo@other\.test> not owned by the authenticated user/, out);
  // the same through an encoded display name and a quoted comma: still his From: that counts
  const sneaky = await swaks([...login(), '--from', 'alice@example.test', '--to', 'friend@remote.test', '--header', 'From: "alice@example.test, x" <ceo@other.test>', '--header', 'Subject: quoted comma forgery']);
  assert.match(sneaky, /<\*\* 550 5\.7\.1/, sneaky);
  const sender = await swaks([...login(), '--from', 'alice@example.test', '--to', 'friend@remote.test', '--header', 'From: alice@example.test', '--header', 'Sender: ceo@other.test', '--header', 'Subject: forged Sender']);
  assert.match(sender, /<\*\* 550 5\.7\.1 Sender: address <ceo@other\.test>/, sender);
  assert.equal((await queueList(srv)).length, 0, 'nothing was queued');
  // a message sent after them arrives; the refused ones never do
  await swaks([...login(), '--from', 'alice@example.test', '--to', 'friend@remote.test', '--header', 'From: alice@example.test', '--header', 'Subject: marker after refusals']);
  await arrived('marker after refusals');
  assert.equal(sink.messages.slice(before).filter((m) => /forgery|forged Sender/.test(m.raw.toString())).length, 0);
  assert.match(logText(srv, 'smtp'), /header-from.*reject/);
});

test("the user's own address, and an alias of his in the other domain, are signed and verify", async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const own = await swaks([...login(), '--from', 'alice@example.test', '--to', 'friend@remote.test', '--header', 'From: =?UTF-8?B?44Ki44Oq44K5?= <alice@example.test>', '--header', 'Subject: signed as example.test']);
  assert.match(own, /<- {2}250 /, own);
  const m = await arrived('signed as example.test');
  assert.deepEqual(await verify(m), [{ result: 'pass', domain: 'example.test' }]);
  const alias = await swaks([...login(), '--from', 'boss@other.test', '--to', 'friend@remote.test', '--header', 'From: Boss <boss@other.test>', '--header', 'Subject: signed as other.test']);
  assert.match(alias, /<- {2}250 /, alias);
  assert.deepEqual(await verify(await arrived('signed as other.test')), [{ result: 'pass', domain: 'other.test' }]);
});

test('a DSN tegami writes is signed by our domain (the host name mx.example.test signs as example.test); for mail that passed through, headers only', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  // a stranger writes to gone@, which forwards to a dead address: the bounce goes back to the stranger
  // (its sender may be forged: the signed notice returns the headers only, never the stranger's body)
  const out = await swaks(['--port', String(srv.ports.smtp), '--from', 'stranger@remote.test', '--to', 'gone@example.test', '--header', 'Subject: to a dead forward', '--body', '格安バイアグラ spam-body-marker http://spam.example/buy']);
  assert.match(out, /<- {2}250 /, out);
  const dsn = await until('the DSN at the sink', () => sink.messages.find((m) => m.from === '' && m.to.includes('stranger@remote.test')), 120_000);
  const raw = dsn.raw.toString();
  assert.match(raw, /^From: Mail Delivery System <MAILER-DAEMON@mx\.example\.test>/m);
  assert.match(raw, /Status: 5\.1\.1/);
  assert.match(raw, /^Content-Type: text\/rfc822-headers/m);
  assert.match(raw, /^Subject: to a dead forward/m, 'the headers are returned');
  assert.doesNotMatch(raw, /spam-body-marker|spam\.example|message\/rfc822/, 'the body is not');
  assert.deepEqual(await verify(dsn), [{ result: 'pass', domain: 'example.test' }]);
  await until('queue empty', async () => (await queueList(srv)).length === 0, 120_000);
});

test('the origin is kept in the spool: mail queued before a restart is still signed after it', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const out = await swaks([...login(), '--from', 'alice@example.test', '--to', 'friend@later.test', '--header', 'From: alice@example.test', '--header', 'Subject: across a restart']);
  assert.match(out, /<- {2}250 /, out);
  await until('deferred by the refusing sink', async () => (await queueList(srv)).find((m) => m.recipients[0]?.address === 'friend@later.test' && m.recipients[0].attempts >= 1), 120_000);
  await srv.restart();
  laterRefuses = false;
  const [m] = await later.waitFor(1, 120_000);
  assert.deepEqual(await verify(m), [{ result: 'pass', domain: 'example.test' }]);
});
