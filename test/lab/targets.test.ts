// The lab's own targets: relay probes against a real tegami (every probe refused, with and without a login),
// against a private Postfix from Debian's package (every probe refused), and a short load against smtp-sink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSink } from '../../lab/peers/sink.js';
import { runRelayProbes, formatProbeLine, RELAY_PROBES } from '../../lab/probes/relay.js';
import { startTegami } from '../../lab/targets/tegami.js';
import { startPostfix } from '../../lab/targets/postfix.js';
import { requirePostfix } from '../helpers/server.js';
import { startSmtpSink, smtpSinkAvailable } from '../../lab/targets/smtp-sink.js';
import { runLoad } from '../../lab/load/generator.js';
import { maildirObserver } from '../../lab/load/observers.js';
import { SmtpClient } from '../../lab/smtp/client.js';

const RELAY = 'relay-sink.lab.example.test';

test('tegami: every relay probe refused, logged-in probes included', async () => {
  const sink = await startSink({ tls: 'none' });
  const tegami = await startTegami({ users: [{ address: 'alice@example.test', password: 'alice-pass-1' }], toml: `[[route]]\ndomain = "${RELAY}"\nto = "127.0.0.1:${sink.port}"` });
  try {
    const results = await runRelayProbes({ host: tegami.host, port: tegami.port, localDomain: 'example.test', relayDomain: RELAY, sink, auth: { user: 'alice@example.test', password: 'alice-pass-1' }, proofWaitMs: 2000 });
    const report = results.map((r) => formatProbeLine(r) + (r.verdict === 'refused' ? '' : '\n    ' + r.transcript.join('\n    '))).join('\n');
    assert.equal(results.length, RELAY_PROBES.length);
    for (const r of results) assert.equal(r.verdict, 'refused', report);
    assert.equal(sink.messages.length, 0);
    // control: the route to the probe sink works, so a relay would have been proven
    const c = await SmtpClient.connect(tegami.host, tegami.port);
    await c.reply();
    await c.ehlo();
    assert.equal((await c.authPlain('alice@example.test', 'alice-pass-1')).code, 235);
    assert.equal((await c.cmd('MAIL FROM:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd(`RCPT TO:<relaytest@${RELAY}>`)).code, 250);
    assert.equal((await c.data('Subject: control\r\n\r\nauthenticated relay is allowed\r\n')).end.code, 250);
    await c.quit();
    await sink.waitFor(1, 120_000);
  } finally {
    await tegami.stop();
    await sink.close();
  }
});

test('Postfix (private instance): every unauthenticated relay probe refused', async (t) => {
  if (!requirePostfix(t)) return;
  const pf = await startPostfix();
  const sink = await startSink({ tls: 'none' });
  try {
    const results = await runRelayProbes({ host: pf.host, port: pf.port, localDomain: 'example.test', relayDomain: RELAY, sink, proofWaitMs: 1000 });
    const report = results.map(formatProbeLine).join('\n');
    for (const r of results) assert.ok(r.verdict === 'refused' || r.verdict === 'skipped', report);
    assert.match(results.find((r) => r.id === 'plain')!.detail, /Relay access denied/);
  } finally {
    await sink.close();
    await pf.stop();
  }
});

test('Postfix delivers a short load into its Maildir, observed by the lab', async (t) => {
  if (!requirePostfix(t)) return;
  const pf = await startPostfix();
  try {
    const observer = maildirObserver(pf.maildir!('alice@example.test'));
    const res = await runLoad({ name: 'postfix', host: pf.host, port: pf.port, pid: pf.pid, observer }, { mode: 'closed', connections: 4, messages: 40, size: 5120, from: 'load@lab.example.test', to: ['alice@example.test'] });
    assert.equal(res.accepted, 40, JSON.stringify(res.errors));
    assert.equal(res.deliveredMissing, 0);
    assert.ok(res.process && res.process.samples.length >= 0);
  } finally {
    await pf.stop();
  }
});

test('smtp-sink takes a short load', async (t) => {
  if (!smtpSinkAvailable()) {
    if (process.env.CI) assert.fail('smtp-sink missing (apt-get install postfix)');
    t.skip('smtp-sink not installed');
    return;
  }
  const s = await startSmtpSink();
  try {
    const res = await runLoad({ name: 'smtp-sink', host: s.host, port: s.port, pid: s.pid }, { mode: 'closed', connections: 4, messages: 200, size: 5120, from: 'a@example.test', to: ['b@example.test'] });
    assert.equal(res.accepted, 200, JSON.stringify(res.errors));
  } finally {
    await s.stop();
  }
});
