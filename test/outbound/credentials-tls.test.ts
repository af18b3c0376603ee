// Issue 10 #10, over real sockets: a route's or the smarthost's password goes only inside TLS whose
// certificate verifies (against the route's ca_file, else [outbound] ca_file, else the system's CAs) for the
// host named in `to`. Lab sinks with STARTTLS and AUTH play the relays; the lab CA signs the good one.
// Good certificate → AUTH and delivery; self-signed, wrong name, a CA we were not told to trust, or no
// STARTTLS at all → no AUTH is ever sent, the mail is deferred (4.7.x) and the log says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { labCa, leafCert, selfSignedCert, type Pem } from './mta-sts-lab.js';
import { logText, message, queueList, setup, submit, until, type Setup } from './helpers.js';

const USERS = { relayuser: 'relay-pass-9' };
let ca: Pem;
let self: Pem;
const sinks: Record<string, Sink> = {};
let s: Setup;

before(async () => {
  ca = await labCa();
  const tlsSink = async (pem: Pem) => startSink({ auth: { users: USERS, required: true }, server: { key: pem.key, cert: pem.cert } });
  sinks.good = await tlsSink(await leafCert(ca, ['good.lab.test']));
  self = await selfSignedCert(['selfsigned.lab.test']);
  sinks.selfsigned = await tlsSink(self);
  sinks.wrongname = await tlsSink(await leafCert(ca, ['another.lab.test']));
  // a relay named by its address in `to`: its certificate names that address
  sinks.byaddress = await tlsSink(await leafCert(ca, ['127.0.0.1']));
  // no STARTTLS at all: not offered, and refused if tried; AUTH in plaintext would be accepted (and recorded)
  sinks.plain = await startSink({ tls: 'none', auth: { users: USERS, required: true }, server: { disabledCommands: ['STARTTLS'] } });
  const names = Object.keys(sinks).filter((n) => n !== 'byaddress');
  const routes = [
    ...names.map((n) => ({ domain: `${n}.test`, host: `${n}.lab.test`, port: sinks[n].port, ca: 'CA_FILE' })),
    // the good relay, but without ca_file: the lab CA is not among the system's CAs
    { domain: 'nocafile.test', host: 'good.lab.test', port: sinks.good.port, ca: '' },
    { domain: 'byaddress.test', host: '127.0.0.1', port: sinks.byaddress.port, ca: 'CA_FILE' },
    // the self-signed relay, its own certificate given as ca_file: pinned, so trusted
    { domain: 'pinned.test', host: 'selfsigned.lab.test', port: sinks.selfsigned.port, ca: 'SELF_FILE' },
  ];
  s = await setup({
    mxPort: 1,
    records: names.map((n) => ({ name: `${n}.lab.test`, type: 'A' as const, data: '127.0.0.1' })),
    toml: [
      '[queue]',
      'retry_schedule = ["1s"]',
      ...routes.flatMap((r) => ['[[route]]', `domain = "${r.domain}"`, `to = "${r.host}:${r.port}"`, 'auth_user = "relayuser"', 'auth_password = "relay-pass-9"', ...(r.ca ? [`ca_file = "${r.ca}"`] : [])]),
    ].join('\n'),
  });
  // the CA file lives in the server's own temporary directory: write it, point the config at it, restart
  const caFile = path.join(s.srv.dir, 'lab-ca.pem');
  const selfFile = path.join(s.srv.dir, 'selfsigned-relay.pem');
  fs.writeFileSync(caFile, ca.cert);
  fs.writeFileSync(selfFile, self.cert);
  const toml = fs.readFileSync(s.srv.configPath, 'utf8').replaceAll('"CA_FILE"', JSON.stringify(caFile)).replaceAll('"SELF_FILE"', JSON.stringify(selfFile));
  fs.writeFileSync(s.srv.configPath, toml);
  await s.srv.restart();
});

after(async () => {
  await s?.close();
  for (const k of Object.values(sinks)) await k.close();
});

test('a relay whose certificate verifies for its name gets AUTH and the mail', async () => {
  const r = await submit(s.srv.ports.smtp, 'alice@example.test', ['bob@good.test'], message('alice@example.test', 'bob@good.test', 'over verified TLS'));
  assert.equal(r.code, 250);
  const [m] = await sinks.good.waitFor(1, 120_000);
  assert.equal(m.user, 'relayuser', 'logged in');
  assert.equal(m.secure, true);
  assert.deepEqual(m.to, ['bob@good.test']);
});

test('a relay named by its IP address is checked against the IP addresses in its certificate', async () => {
  const r = await submit(s.srv.ports.smtp, 'alice@example.test', ['bob@byaddress.test'], message('alice@example.test', 'bob@byaddress.test', 'by address'));
  assert.equal(r.code, 250);
  const [m] = await sinks.byaddress.waitFor(1, 120_000);
  assert.equal(m.user, 'relayuser');
  assert.equal(m.secure, true);
});

test("a self-signed relay whose own certificate is its ca_file is trusted (pinned)", async () => {
  const r = await submit(s.srv.ports.smtp, 'alice@example.test', ['bob@pinned.test'], message('alice@example.test', 'bob@pinned.test', 'pinned'));
  assert.equal(r.code, 250);
  const m = await until('the pinned delivery', () => sinks.selfsigned.messages.find((x) => x.to.includes('bob@pinned.test')), 120_000);
  assert.equal(m.user, 'relayuser');
  assert.equal(m.secure, true);
});

for (const [name, why] of [
  ['selfsigned', /credentials not sent: the certificate of selfsigned\.lab\.test could not be verified/],
  ['wrongname', /credentials not sent: the certificate of wrongname\.lab\.test could not be verified.*(altnames|another\.lab\.test)/],
  ['nocafile', /credentials not sent: the certificate of good\.lab\.test could not be verified/],
  ['plain', /credentials not sent: no TLS with plain\.lab\.test/],
] as const) {
  test(`${name}: no AUTH is sent, the mail is deferred with 4.7.x and the log names why`, async () => {
    const sink = name === 'nocafile' ? sinks.good : sinks[name];
    const authBefore = sink.events.filter((e) => e.stage === 'auth').length;
    const delivered = sink.messages.length;
    const rcpt = `bob@${name}.test`;
    const r = await submit(s.srv.ports.smtp, 'alice@example.test', [rcpt], message('alice@example.test', rcpt, `to ${name}`));
    assert.equal(r.code, 250);
    // two attempts (retry_schedule 1s), each refused before any credential
    const q = await until(`${name} deferred twice`, async () => (await queueList(s.srv)).find((x) => x.recipients[0]?.address === rcpt && x.recipients[0].attempts >= 2), 120_000);
    const rs = q.recipients[0];
    assert.equal(rs.status, 'deferred');
    assert.match(rs.last_error ?? '', /^4\.7\.[05] /);
    assert.match(rs.last_error ?? '', why);
    assert.equal(sink.events.filter((e) => e.stage === 'auth').length, authBefore, 'no AUTH reached the relay');
    assert.equal(sink.messages.length, delivered, 'nothing delivered');
    assert.match(logText(s.srv), new RegExp(`WARN auth-withheld .*${name === 'nocafile' ? 'good' : name}\\.lab\\.test`));
    assert.equal(s.srv.cli(['queue', 'delete', q.id]).status, 0);
  });
}
