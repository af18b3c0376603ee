// The relay probes must catch the holes of deliberately open relays built here with smtp-server, with proof
// by the probe's own sink; a closed fake must get every probe "refused".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import nodemailer from 'nodemailer';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { runRelayProbes, RELAY_PROBES, formatProbeLine } from '../../lab/probes/relay.js';

const LOCAL = 'example.test';
const RELAY = 'relay-sink.lab.example.test';

/** How a naive MTA routes an address: source route stripped, quotes dropped, bang path and percent hack applied. */
function naiveRoute(addr: string): string {
  let a = addr.replace(/^@[^:]+:/, '').replace(/"/g, '');
  const at = a.lastIndexOf('@');
  let local = at >= 0 ? a.slice(0, at) : a;
  const domain = at >= 0 ? a.slice(at + 1).toLowerCase() : LOCAL;
  if (domain === LOCAL || domain.startsWith('[')) {
    const bang = /^([^!]+)!(.+)$/.exec(local);
    if (bang) local = `${bang[2]}@${bang[1]}`;
    else local = local.replace(/%([^%]+)$/, '@$1');
    if (local.includes('@')) return local.toLowerCase();
  }
  a = `${local}@${domain}`.replace(/\.$/, '');
  return a.toLowerCase();
}

/** kind "open": accepts everything; "subtle": accepts a recipient when its last @-domain is local (the classic hole). */
async function startRelay(kind: 'open' | 'subtle' | 'closed', sink: Sink) {
  const forward = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true } as never);
  const server = new SMTPServer({
    ...({ greetingDelay: 0 } as object), // patched option: no 100 ms early-talker pause
    disableReverseLookup: true,
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth: (_a, _s, cb) => cb(new Error('5.7.8 bad credentials')),
    onRcptTo(address, _session, cb) {
      const domain = address.address.slice(address.address.lastIndexOf('@') + 1).toLowerCase();
      if (kind === 'open') return cb();
      if (kind === 'subtle' && domain === LOCAL) return cb();
      if (kind === 'closed' && domain === LOCAL && /^postmaster@/i.test(address.address)) return cb();
      const e = new Error('5.7.1 Relaying denied') as Error & { responseCode: number };
      e.responseCode = 550;
      cb(e);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => naiveRoute(r.address)).filter((a) => !a.endsWith('@' + LOCAL));
        if (!to.length) return cb(null, 'delivered locally');
        forward
          .sendMail({ envelope: { from: 'relay@open.example.test', to: to.map((a) => (a.endsWith(RELAY) ? a : `relaytest@${RELAY}`)) }, raw: Buffer.concat(chunks) })
          .then(() => cb(null, 'relayed'), (e: Error) => cb(e));
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.server.address() as { port: number }).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('the probe set has at least 20 distinct tricks', () => {
  assert.ok(RELAY_PROBES.length >= 20, `${RELAY_PROBES.length} probes`);
  assert.equal(new Set(RELAY_PROBES.map((p) => p.id)).size, RELAY_PROBES.length);
});

test('a wide-open relay: every probe its parser lets through is RELAYED, with proof', async () => {
  const sink = await startSink({ tls: 'none' });
  const relay = await startRelay('open', sink);
  try {
    const results = await runRelayProbes({ host: '127.0.0.1', port: relay.port, localDomain: LOCAL, relayDomain: RELAY, sink, proofWaitMs: 3000 });
    const lines = results.map(formatProbeLine);
    const relayed = results.filter((r) => r.verdict === 'RELAYED');
    assert.ok(relayed.length >= 18, `only ${relayed.length} RELAYED:\n${lines.join('\n')}`);
    // smtp-server refuses some addresses as bad syntax (501) before the relay's own code sees them
    for (const r of results) {
      if (r.verdict === 'skipped') continue;
      if (r.verdict === 'refused') assert.match(r.detail, /: 501 /, lines.join('\n'));
      else assert.ok(r.verdict === 'RELAYED' && r.proven, formatProbeLine(r));
    }
    for (const id of ['plain', 'null-sender', 'percent-hack', 'source-route', 'case-variant-remote', 'pipelined', 'after-failed-auth', 'local-then-remote']) {
      const r = results.find((x) => x.id === id)!;
      assert.equal(r.verdict, 'RELAYED', `${id}: ${formatProbeLine(r)}`);
      assert.equal(r.proven, true, `${id} proven by the sink`);
    }
    for (const r of results.filter((x) => x.id.startsWith('auth-'))) assert.equal(r.verdict, 'skipped');
  } finally {
    await relay.close();
    await sink.close();
  }
});

test('a subtly open relay (judges only the last @-domain): the routing tricks are caught', async () => {
  const sink = await startSink({ tls: 'none' });
  const relay = await startRelay('subtle', sink);
  try {
    const results = await runRelayProbes({ host: '127.0.0.1', port: relay.port, localDomain: LOCAL, relayDomain: RELAY, sink, proofWaitMs: 3000 });
    const by = Object.fromEntries(results.map((r) => [r.id, r]));
    const show = results.map(formatProbeLine).join('\n');
    for (const id of ['percent-hack', 'bang-path', 'quoted-percent', 'quoted-bang', 'case-variant-percent']) {
      assert.equal(by[id].verdict, 'RELAYED', `${id} should be caught:\n${show}`);
      assert.equal(by[id].proven, true, `${id} proven`);
    }
    for (const id of ['plain', 'spoofed-local-sender', 'null-sender', 'source-route', 'ip-literal-remote', 'case-variant-remote', 'local-then-remote', 'pipelined', 'xclient-spoof']) {
      assert.equal(by[id].verdict, 'refused', `${id}:\n${show}`);
    }
    assert.match(by.plain.detail, /550 5\.7\.1 Relaying denied/);
    assert.ok(by.plain.transcript.some((l) => l.startsWith('C: RCPT TO:<relaytest@relay-sink')));
  } finally {
    await relay.close();
    await sink.close();
  }
});

test('a closed server: every probe refused, nothing reaches the sink', async () => {
  const sink = await startSink({ tls: 'none' });
  const relay = await startRelay('closed', sink);
  try {
    const seen: string[] = [];
    const results = await runRelayProbes({ host: '127.0.0.1', port: relay.port, localDomain: LOCAL, relayDomain: RELAY, sink, onResult: (r) => seen.push(r.id) });
    assert.equal(seen.length, RELAY_PROBES.length);
    for (const r of results) assert.ok(r.verdict === 'refused' || r.verdict === 'skipped', formatProbeLine(r));
    assert.equal(sink.messages.length, 0);
  } finally {
    await relay.close();
    await sink.close();
  }
});
