// End-to-end figure: accepted (250 after DATA) → delivered to a sink MTA, for a short load of 200 messages
// from 8 concurrent SMTP clients: messages/s and p50/p99 accept-to-delivered latency; then the same load
// relayed by a private real Postfix (relayhost = the same sink) in the same run. Nothing may be lost or doubled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { postfixAvailable, startPostfix } from '../../lab/targets/postfix.js';
import { RawSmtp } from '../helpers/smtp-client.js';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { message, queueList, setup, submit, until, type Setup } from './helpers.js';

let sink: Sink;
let s: Setup;

before(async () => {
  sink = await startSink();
  s = await setup({
    mxPort: sink.port,
    records: [
      { name: 'remote.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'mx.remote.test', type: 'A', data: '127.0.0.1' },
    ],
  });
});

after(async () => {
  await s?.close();
  await sink?.close();
});

async function load(port: number, sink: Sink, tag: string): Promise<{ rate: number; p50: number; p99: number; max: number; sessions: number }> {
  const N = 200;
  const CLIENTS = 8;
  const accepted = new Map<string, number>();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < N) {
        const i = next++;
        const subject = `${tag}-${i}`;
        const r = await submit(port, 'alice@example.test', [`u${i % 20}@remote.test`], message('alice@example.test', `u${i % 20}@remote.test`, subject));
        assert.equal(r.code, 250);
        accepted.set(subject, performance.now());
      }
    }),
  );
  const msgs = await sink.waitFor(N, 120_000);
  const t1 = performance.now();
  const subjects = msgs.map((m) => new RegExp(`Subject: (${tag}-\\d+)`).exec(m.raw.toString())![1]);
  const lat = msgs.map((m, i) => m.receivedPerf - accepted.get(subjects[i])!).sort((a, b) => a - b);
  const pct = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor((lat.length * p) / 100))]);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(sink.messages.length, N, 'nothing doubled');
  assert.equal(new Set(subjects).size, N, 'nothing lost');
  return { rate: Math.round(N / ((t1 - t0) / 1000)), p50: pct(50), p99: pct(99), max: pct(100), sessions: new Set(msgs.map((m) => m.sessionId)).size };
}

const line = (who: string, r: { rate: number; p50: number; p99: number; max: number; sessions: number }) =>
  `${who}: 200 messages, 8 clients: ${r.rate} msg/s accepted→delivered; latency p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms; ${r.sessions} sink sessions`;

test('200 messages accepted → delivered to a sink: tegami, then Postfix relaying the same load', async (t) => {
  const r = await load(s.srv.ports.smtp, sink, 'tegami');
  t.diagnostic(line('tegami', r));
  await until('queue empty', async () => (await queueList(s.srv)).length === 0);

  // the side-by-side run is a measurement, opt-in (it starts a whole Postfix and doubles the load)
  if (!process.env.TEGAMI_COMPARE_POSTFIX) {
    t.diagnostic('Postfix comparison: set TEGAMI_COMPARE_POSTFIX=1 to run it');
    return;
  }
  const avail = postfixAvailable();
  if (!avail.ok) {
    if (process.env.CI) throw new Error(avail.reason);
    t.diagnostic(`Postfix comparison skipped: ${avail.reason}`);
    return;
  }
  const pf = await startPostfix({ domain: 'pf.test' });
  try {
    // the lab's private Postfix, turned into a relay for loopback clients towards the same sink
    const etc = path.join(pf.dir, 'etc');
    fs.appendFileSync(
      path.join(etc, 'main.cf'),
      ['mynetworks = 127.0.0.0/8', 'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination', `relayhost = [127.0.0.1]:${sink.port}`, 'smtp_tls_security_level = may', ''].join('\n'),
    );
    const rel = spawnSync('/usr/sbin/postfix', ['-c', etc, 'reload'], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(rel.status, 0, `postfix reload: ${rel.stderr} ${String(rel.error ?? '')}`);
    await new Promise((res) => setTimeout(res, 1000));
    await until('Postfix greeting after the reload', async () => {
      const c = await RawSmtp.connect(pf.port).catch(() => null);
      if (!c) return false;
      const g = await c.reply(5000).catch(() => null);
      c.close();
      return g?.code === 220;
    }, 30_000, 500);
    sink.clear();
    const p = await load(pf.port, sink, 'postfix');
    t.diagnostic(line(pf.describe.replace(/ on .*/, ''), p));
  } finally {
    await pf.stop();
  }
});
