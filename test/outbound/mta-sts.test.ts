// MTA-STS end to end: a real `tegami serve` with the lab DNS (_mta-sts TXT, MX, A), an HTTPS policy
// server on loopback with a certificate from a lab CA, and lab sinks on 127.0.0.1-4 (one port) offering
// STARTTLS with certificates from the same CA, without STARTTLS, or with a certificate for another name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { logText, message, queueList, setup, submit, until, type Setup } from './helpers.js';
import { labCa, leafCert, policy, startPolicyServer, type PolicyServer } from './mta-sts-lab.js';

let good: Sink; // 127.0.0.1, STARTTLS, certificate for the MX names below
let goodOpen = 0; // connections open at it
let plain: Sink; // 127.0.0.2, no STARTTLS
let misnamed: Sink; // 127.0.0.3, STARTTLS, certificate from the lab CA for another name
let rogue: net.Server; // 127.0.0.4, counts connections
let rogueConnections = 0;
let web: PolicyServer;
let s: Setup;

const FROM = 'alice@example.test';
const POLICIES: Record<string, string> = {
  'enforce-ok.test': policy('enforce', ['*.enforce-ok.test']),
  'enforce-notls.test': policy('enforce', ['mx.enforce-notls.test']),
  'enforce-wrongname.test': policy('enforce', ['mx.enforce-wrongname.test']),
  'enforce-mx.test': policy('enforce', ['mx.enforce-mx.test']),
  'testing.test': policy('testing', ['mx.testing.test']),
  'refresh.test': policy('testing', ['mx.refresh.test']),
  'cached.test': policy('enforce', ['mx.cached.test']),
  // a [[route]] with `to` sends it elsewhere: the policy is never fetched
  'routed.test': policy('enforce', ['mx.routed.test']),
};

before(async () => {
  const ca = await labCa();
  const mxCert = await leafCert(ca, ['*.enforce-ok.test', 'mx.enforce-mx.test', 'mx.cached.test']);
  const otherCert = await leafCert(ca, ['other.example.test']);
  const webCert = await leafCert(ca, Object.keys(POLICIES).map((d) => `mta-sts.${d}`));
  // the four MXes share one port (outbound.port) on four loopback addresses: the first takes port 0, the others
  // its number; should another process hold that number on one of the other addresses, start over
  for (let attempt = 1; ; attempt++) {
    // connections open at the good MX (to see a worker's idle session end, whenever the machine gets to it)
    good = await startSink({
      host: '127.0.0.1',
      tls: 'offer',
      server: {
        key: mxCert.key,
        cert: mxCert.cert,
        onConnect: (_s, cb) => {
          goodOpen++;
          cb();
        },
        onClose: () => goodOpen--,
      },
    });
    const started: { close(): Promise<unknown> }[] = [good];
    try {
      // STARTTLS neither offered nor accepted (502), like an MTA without TLS
      plain = await startSink({ host: '127.0.0.2', port: good.port, tls: 'none', server: { disabledCommands: ['AUTH', 'STARTTLS'] } });
      started.push(plain);
      misnamed = await startSink({ host: '127.0.0.3', port: good.port, tls: 'offer', server: { key: otherCert.key, cert: otherCert.cert } });
      started.push(misnamed);
      rogue = net.createServer((sock) => {
        rogueConnections++;
        sock.destroy();
      });
      await new Promise<void>((r, reject) => {
        rogue.once('error', reject);
        rogue.listen(good.port, '127.0.0.4', r);
      });
      break;
    } catch (e) {
      for (const x of started) await x.close();
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw e;
    }
  }
  web = await startPolicyServer(webCert);
  for (const [d, p] of Object.entries(POLICIES)) web.set(`mta-sts.${d}`, { body: p });

  const records = [
    // TTL 0 where a test changes the record (the resolver caches answers for their TTL, as any resolver does)
    ...Object.keys(POLICIES).flatMap((d) => [
      { name: `_mta-sts.${d}`, type: 'TXT' as const, data: 'v=STSv1; id=20261128a;', ttl: 0 },
      { name: `mta-sts.${d}`, type: 'A' as const, data: '127.0.0.1' },
    ]),
    { name: 'enforce-ok.test', type: 'MX' as const, data: '10 mx1.enforce-ok.test' },
    { name: 'mx1.enforce-ok.test', type: 'A' as const, data: '127.0.0.1' },
    { name: 'enforce-notls.test', type: 'MX' as const, data: '10 mx.enforce-notls.test' },
    { name: 'mx.enforce-notls.test', type: 'A' as const, data: '127.0.0.2' },
    { name: 'enforce-wrongname.test', type: 'MX' as const, data: '10 mx.enforce-wrongname.test' },
    { name: 'mx.enforce-wrongname.test', type: 'A' as const, data: '127.0.0.3' },
    // the preferred MX is not in the policy: under enforce it is never contacted
    { name: 'enforce-mx.test', type: 'MX' as const, data: '5 rogue.enforce-mx.test' },
    { name: 'enforce-mx.test', type: 'MX' as const, data: '10 mx.enforce-mx.test' },
    { name: 'rogue.enforce-mx.test', type: 'A' as const, data: '127.0.0.4' },
    { name: 'mx.enforce-mx.test', type: 'A' as const, data: '127.0.0.1' },
    { name: 'testing.test', type: 'MX' as const, data: '10 mx.testing.test' },
    { name: 'mx.testing.test', type: 'A' as const, data: '127.0.0.3' },
    { name: 'refresh.test', type: 'MX' as const, data: '10 mx.refresh.test' },
    { name: 'mx.refresh.test', type: 'A' as const, data: '127.0.0.3' },
    { name: 'cached.test', type: 'MX' as const, data: '10 mx.cached.test' },
    { name: 'mx.cached.test', type: 'A' as const, data: '127.0.0.1', ttl: 0 },
    // no _mta-sts record: delivered as before, in plaintext to a server without STARTTLS
    { name: 'nosts.test', type: 'MX' as const, data: '10 mx.nosts.test' },
    { name: 'mx.nosts.test', type: 'A' as const, data: '127.0.0.2' },
  ];
  const dir = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'tegami-sts-ca-'));
  const caFile = path.join(dir, 'lab-ca.pem');
  fs.writeFileSync(caFile, ca.cert);
  s = await setup({
    mxPort: good.port,
    records,
    toml: [
      '[queue]',
      'workers = 1',
      'retry_schedule = ["1h"]',
      '[outbound]',
      'connect_timeout = "15s"',
      // sessions are kept for the next message: an unverified one must not serve an enforce policy
      'idle_reuse = "3s"',
      `mta_sts_https_port = ${web.port}`,
      'mta_sts_fetch_timeout = "15s"',
      `ca_file = ${JSON.stringify(caFile)}`,
      '[[route]]',
      'domain = "routed.test"',
      `to = "127.0.0.2:${good.port}"`,
    ].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await web?.close().catch(() => undefined);
  await good?.close();
  await plain?.close();
  await misnamed?.close();
  await new Promise((r) => rogue?.close(r));
});

async function send(to: string, subject: string): Promise<void> {
  const r = await submit(s.srv.ports.smtp, FROM, [to], message(FROM, to, subject));
  assert.equal(r.code, 250, r.text);
}

/** Wait until `to` is deferred in the queue; returns its last error. */
async function deferred(to: string): Promise<string> {
  return until(`${to} deferred`, async () => {
    for (const m of await queueList(s.srv)) for (const r of m.recipients) if (r.address === to && r.status === 'deferred' && r.attempts >= 1) return r.last_error ?? '(none)';
    return null;
  });
}

function logLines(re: RegExp): string[] {
  return logText(s.srv)
    .split('\n')
    .filter((l) => re.test(l));
}

test('enforce + STARTTLS with a valid certificate (wildcard SAN and wildcard mx pattern): delivered over TLS, policy cached', async () => {
  await send('bob@enforce-ok.test', 'sts ok');
  const [m] = await good.waitFor(1, 120_000);
  assert.deepEqual(m.to, ['bob@enforce-ok.test']);
  assert.equal(m.secure, true);
  await until('enforced logged', () => logLines(/mta-sts-enforced.*domain=enforce-ok\.test/).length > 0);
  assert.equal(logLines(/mta-sts-fetched.*domain=enforce-ok\.test.*mode=enforce/).length, 1);
  const cached = JSON.parse(fs.readFileSync(path.join(s.srv.dataDir, 'mta-sts', 'enforce-ok.test.json'), 'utf8'));
  assert.equal(cached.id, '20261128a');
  assert.equal(cached.policy.mode, 'enforce');
  assert.ok(cached.expiresAt > Date.now() + 86_000_000);
  await until('queue empty', async () => (await queueList(s.srv)).length === 0);
});

test('enforce + an MX without STARTTLS: deferred naming MTA-STS, nothing sent in plaintext', async () => {
  await send('bob@enforce-notls.test', 'sts notls');
  const err = await deferred('bob@enforce-notls.test');
  assert.match(err, /MTA-STS policy of enforce-notls\.test \(enforce\)/);
  assert.equal(plain.messages.length, 0);
  assert.equal(plain.events.filter((e) => e.stage === 'mail').length, 0, 'no MAIL FROM reached the plaintext server');
  assert.ok(logLines(/deferred.*bob@enforce-notls\.test/).length >= 1);
  const v = await until('violation logged', () => logLines(/mta-sts-violation.*domain=enforce-notls\.test/)[0]);
  assert.match(v, /STARTTLS/);
});

test('enforce + a certificate for another name: deferred, nothing delivered', async () => {
  await send('bob@enforce-wrongname.test', 'sts wrong name');
  const err = await deferred('bob@enforce-wrongname.test');
  assert.match(err, /MTA-STS/);
  assert.match(err, /altnames|certificate/i);
  assert.equal(misnamed.messages.length, 0);
  assert.equal(misnamed.events.filter((e) => e.stage === 'mail').length, 0);
});

test('enforce + an MX host not in the policy: never contacted, the listed one gets the mail', async () => {
  good.clear();
  await send('bob@enforce-mx.test', 'sts mx');
  const [m] = await good.waitFor(1, 120_000);
  assert.deepEqual(m.to, ['bob@enforce-mx.test']);
  assert.equal(m.secure, true);
  const v = await until('violation logged', () => logLines(/mta-sts-violation.*host=rogue\.enforce-mx\.test/)[0]);
  assert.match(v, /not tried/);
  assert.equal(rogueConnections, 0, 'the MX outside the policy was not contacted');
  assert.equal(logLines(/remote-connect.*rogue\.enforce-mx\.test/).length, 0);
});

test('testing + a certificate for another name: delivered as before, the violation logged', async () => {
  await send('bob@testing.test', 'sts testing');
  const [m] = await misnamed.waitFor(1, 120_000);
  assert.deepEqual(m.to, ['bob@testing.test']);
  const v = await until('violation', () => logLines(/mta-sts-violation.*domain=testing\.test.*mode=testing/)[0]);
  assert.match(v, /host=mx\.testing\.test/);
  assert.match(v, /delivered anyway/);
  assert.match(v, /altnames|certificate/i);
  assert.equal(logLines(/mta-sts-enforced.*testing\.test/).length, 0);
});

test('no _mta-sts record: delivered in plaintext as before, no policy fetched', async () => {
  await send('bob@nosts.test', 'no sts');
  const [m] = await plain.waitFor(1, 120_000);
  assert.deepEqual(m.to, ['bob@nosts.test']);
  assert.equal(m.secure, false);
  assert.equal(web.hits.get('mta-sts.nosts.test') ?? 0, 0);
  assert.equal(logLines(/mta-sts.*nosts\.test/).length, 0);
});

test('a [[route]] destination is not subject to MTA-STS: no fetch, delivered to the route host', async () => {
  plain.clear();
  await send('bob@routed.test', 'routed');
  const [m] = await plain.waitFor(1, 120_000);
  assert.deepEqual(m.to, ['bob@routed.test']);
  assert.equal(m.secure, false);
  assert.equal(web.hits.get('mta-sts.routed.test') ?? 0, 0);
  assert.ok(!s.dns.queries.some((q) => q.name === '_mta-sts.routed.test'), 'no TXT lookup either');
});

test('a new TXT id refreshes the policy: testing → enforce takes effect at once', async () => {
  await send('a@refresh.test', 'refresh 1');
  await misnamed.waitFor(2, 120_000);
  dns().remove('_mta-sts.refresh.test', 'TXT');
  dns().add([{ name: '_mta-sts.refresh.test', type: 'TXT', data: 'v=STSv1; id=20261128b', ttl: 0 }]);
  web.set('mta-sts.refresh.test', { body: policy('enforce', ['mx.refresh.test']) });
  // sent at once: the testing-mode session (certificate not valid) is still idle, and must not be reused
  await send('b@refresh.test', 'refresh 2');
  const err = await deferred('b@refresh.test');
  assert.match(err, /MTA-STS policy of refresh\.test \(enforce\)/);
  assert.equal(misnamed.messages.length, 2, 'the second message was not delivered');
  assert.equal(web.hits.get('mta-sts.refresh.test'), 2);
  const cached = JSON.parse(fs.readFileSync(path.join(s.srv.dataDir, 'mta-sts', 'refresh.test.json'), 'utf8'));
  assert.equal(cached.id, '20261128b');
});

test('cached policy: HTTPS server stopped, TXT unchanged, changed or gone → still enforced', async () => {
  good.clear();
  await send('c1@cached.test', 'cached 1');
  await good.waitFor(1, 120_000);
  assert.equal(web.hits.get('mta-sts.cached.test'), 1);
  await web.close();
  // no session to the old address may carry the next message: restart (the policy cache is on disk). Waiting
  // out idle_reuse is not enough: between tasks the delivery worker is paused (piscina's atomics), so its
  // idle-session timer fires only when the next task wakes it, racing that task for the session
  await s.srv.restart();
  await until('the idle session to the old address gone', () => goodOpen === 0);
  // the MX now points at the server without STARTTLS: only the cached policy stands in the way
  dns().remove('mx.cached.test', 'A');
  dns().add([{ name: 'mx.cached.test', type: 'A', data: '127.0.0.2', ttl: 0 }]);

  await send('c2@cached.test', 'cached 2');
  assert.match(await deferred('c2@cached.test'), /MTA-STS policy of cached\.test \(enforce\)/);
  assert.equal(logLines(/mta-sts-fetch-failed.*cached\.test/).length, 0, 'unchanged id: no fetch at all');

  dns().remove('_mta-sts.cached.test', 'TXT');
  dns().add([{ name: '_mta-sts.cached.test', type: 'TXT', data: 'v=STSv1; id=20261128c', ttl: 0 }]);
  await send('c3@cached.test', 'cached 3');
  assert.match(await deferred('c3@cached.test'), /MTA-STS/);
  const failed = await until('fetch failure logged', () => logLines(/mta-sts-fetch-failed.*domain=cached\.test/)[0]);
  assert.match(failed, /cached=true/);

  dns().remove('_mta-sts.cached.test', 'TXT');
  await send('c4@cached.test', 'cached 4');
  assert.match(await deferred('c4@cached.test'), /MTA-STS/);
  assert.ok(logLines(/mta-sts-cached.*domain=cached\.test.*no TXT record/).length >= 1);
  assert.equal(plain.messages.filter((m) => m.to.some((t) => t.endsWith('@cached.test'))).length, 0, 'nothing in plaintext');
});

function dns() {
  return s.dns;
}
