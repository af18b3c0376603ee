// End-to-end figure: accepted (250 after DATA) → delivered to a sink MTA found by MX, for a short load of
// 300 messages from 8 concurrent SMTP clients: messages/s and p50/p99 accept-to-delivered latency. Nothing
// may be lost or doubled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
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

test('300 messages accepted → delivered to a sink: rate and latency', async (t) => {
  const N = 300;
  const CLIENTS = 8;
  const accepted = new Map<string, number>();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < N) {
        const i = next++;
        const subject = `load-${i}`;
        const r = await submit(s.srv.ports.smtp, 'alice@example.test', [`u${i % 20}@remote.test`], message('alice@example.test', `u${i % 20}@remote.test`, subject));
        assert.equal(r.code, 250);
        accepted.set(subject, performance.now());
      }
    }),
  );
  const msgs = await sink.waitFor(N, 60_000);
  const t1 = performance.now();
  const lat: number[] = [];
  for (const m of msgs) {
    const subject = /Subject: (load-\d+)/.exec(m.raw.toString())![1];
    lat.push(m.receivedPerf - accepted.get(subject)!);
  }
  lat.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor((lat.length * p) / 100))]);
  t.diagnostic(`${N} messages, ${CLIENTS} clients: ${(N / ((t1 - t0) / 1000)).toFixed(0)} msg/s accepted→delivered; latency p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms; ${new Set(msgs.map((m) => m.sessionId)).size} sink sessions`);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(sink.messages.length, N, 'nothing doubled');
  assert.equal(new Set(msgs.map((m) => /Subject: (load-\d+)/.exec(m.raw.toString())![1])).size, N, 'nothing lost');
  await until('queue empty', () => queueList(s.srv).length === 0);
});
