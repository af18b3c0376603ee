// The load generator against lab sinks: closed and open loop, new connection per message, errors by reply
// code, per-phase histograms, delivery observation through a Maildir watcher, CPU/RSS of a local pid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSink } from '../../lab/peers/sink.js';
import { runLoad } from '../../lab/load/generator.js';
import { maildirObserver } from '../../lab/load/observers.js';
import { messageTemplate } from '../../lab/load/message.js';
import { newHistogram, recordMs, summarize } from '../../lab/load/histogram.js';

test('message template hits the requested size', () => {
  for (const size of [1024, 5120, 102_400]) {
    const b = messageTemplate(size).render('tok-1', 'a@example.test', 'b@example.test');
    assert.ok(Math.abs(b.length - size) < 64, `${size} → ${b.length}`);
    assert.ok(b.toString('latin1').endsWith('\r\n.\r\n'));
    assert.ok(!/\r\n\.[^\r]/.test(b.toString('latin1')), 'no unstuffed dot lines');
  }
});

test('closed loop: every message accepted, counted and timed per phase', async () => {
  const sink = await startSink({ tls: 'none' });
  try {
    const res = await runLoad({ name: 'sink', host: '127.0.0.1', port: sink.port, pid: process.pid }, { mode: 'closed', connections: 4, messages: 200, size: 5120, from: 'load@example.test', to: ['a@example.test', 'b@example.test'] });
    assert.equal(res.sent, 200);
    assert.equal(res.accepted, 200);
    assert.equal(sink.messages.length, 200);
    assert.deepEqual(res.errors, {});
    assert.ok(res.msgs_per_s > 0);
    for (const p of ['connect', 'ehlo', 'mail', 'rcpt', 'data'] as const) assert.ok(res.phases[p]!.count > 0, p);
    assert.equal(res.phases.connect!.count, 4, 'one connect per connection');
    assert.equal(res.latency.count, 200);
    assert.ok(res.latency.p50 > 0 && res.latency.p50 <= res.latency.p99 && res.latency.p99 <= res.latency.max);
    assert.equal(res.timeline.reduce((s, b) => s + b.accepted, 0), 200);
    assert.ok(res.process && res.process.maxRssMb > 10, 'RSS of our own pid sampled');
    assert.ok(sink.messages.every((m) => m.raw.length > 5000));
  } finally {
    await sink.close();
  }
});

test('new connection per message, and errors counted by reply code', async () => {
  const sink = await startSink({ tls: 'none', tempFail: ['busy@example.test'], permFail: ['gone@example.test'] });
  try {
    const res = await runLoad({ name: 'sink', host: '127.0.0.1', port: sink.port }, { mode: 'closed', connections: 3, messages: 60, size: 1024, newConnectionPerMessage: true, from: 'load@example.test', to: ['a@example.test', 'busy@example.test', 'gone@example.test'] });
    assert.equal(res.sent, 60);
    assert.equal(res.accepted, 20);
    assert.deepEqual(res.errors, { '451': 20, '550': 20 });
    assert.equal(res.phases.connect!.count, 60);
  } finally {
    await sink.close();
  }
});

test('open loop at a fixed rate: latency counts from the scheduled time', async () => {
  // a slow server (80 ms per DATA) and 2 connections cannot keep up with 50/s: latency must grow with the backlog
  const sink = await startSink({ tls: 'none', delays: { data: 80 } });
  try {
    const res = await runLoad({ name: 'slow', host: '127.0.0.1', port: sink.port }, { mode: 'open', rate: 50, connections: 2, durationMs: 1000, size: 1024, from: 'l@example.test', to: ['a@example.test'] });
    assert.equal(res.sent, 50);
    assert.equal(res.accepted, 50);
    assert.ok(res.elapsedS >= 1.9, `capacity ~25/s, so 50 messages need ~2 s, took ${res.elapsedS}`);
    assert.ok(res.latency.max > 700, `backlog shows in latency: max ${res.latency.max} ms`);
    // the backlog is in the latency (counted from the scheduled time), not in the per-command service time
    assert.ok(res.latency.max > 3 * res.phases.data!.p50, `service time p50 ${res.phases.data!.p50} ms stays small beside the backlog latency ${res.latency.max} ms`);
  } finally {
    await sink.close();
  }
});

test('Maildir observer gives accept→delivered latency', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-maildir-'));
  const maildir = path.join(dir, 'Maildir');
  // a "server" that writes each accepted message into a Maildir a little later
  const sink = await startSink({ tls: 'none' });
  const timer = setInterval(() => {
    fs.mkdirSync(path.join(maildir, 'new'), { recursive: true });
    for (const m of sink.messages.splice(0)) fs.writeFileSync(path.join(maildir, 'new', `${Date.now()}.${m.seq}.lab`), m.raw);
  }, 30);
  try {
    const observer = maildirObserver(maildir);
    const t0 = performance.now();
    const res = await runLoad({ name: 'md', host: '127.0.0.1', port: sink.port, observer }, { mode: 'closed', connections: 2, messages: 40, size: 2048, from: 'l@example.test', to: ['a@example.test'] });
    const wall = performance.now() - t0;
    assert.equal(res.deliveredMissing, 0);
    assert.equal(res.phases.delivered!.count, 40);
    // accept→delivered is measured on the run's own clock: never longer than the whole run took
    assert.ok(res.phases.delivered!.max <= wall, `delivered latency ${res.phases.delivered!.max} ms within the run's ${Math.round(wall)} ms`);
  } finally {
    clearInterval(timer);
    await sink.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no percentile is reported above the largest value recorded (a percentile is the top of its HDR bucket)', () => {
  const h = newHistogram();
  for (let i = 0; i < 100; i++) recordMs(h, 1);
  recordMs(h, 1000.123); // p99.9 and the maximum fall in one bucket whose top is above 1000.123
  const s = summarize(h);
  assert.equal(s.max, 1000.123);
  assert.equal(s.p999, 1000.123);
  assert.ok(s.curve.every((c) => c.ms <= s.max), JSON.stringify(s.curve));
});
