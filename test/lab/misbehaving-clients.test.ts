// Misbehaving clients against the lab's sink (smtp-server): each runs, reports what the server did,
// and the server keeps serving a well-behaved client (nodemailer) afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { startSink } from '../../lab/peers/sink.js';
import { misbehave, holdConnections } from '../../lab/peers/clients.js';

async function stillServes(port: number) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true } as never);
  const info = await t.sendMail({ from: 'ok@example.test', to: 'postmaster@example.test', text: 'still alive' });
  assert.deepEqual(info.accepted, ['postmaster@example.test']);
}

test('early talker is caught by a server that delays its greeting', async () => {
  const sink = await startSink({ tls: 'none', delays: { greeting: 400 } });
  try {
    const r = await misbehave('early-talker', { host: '127.0.0.1', port: sink.port, maxMs: 2000 });
    assert.ok(r.replies.length >= 1, r.summary);
    assert.ok(r.replies[0].code >= 400, `first reply should refuse: ${r.summary}`);
    assert.ok(r.transcript[0].startsWith('C: EHLO'), 'we spoke first');
    await stillServes(sink.port);
  } finally {
    await sink.close();
  }
});

test('garbage, NUL bytes, a 1 MB line and a pipelining burst get refusals, not acceptance', async () => {
  const sink = await startSink({ tls: 'none' });
  try {
    const g = await misbehave('garbage', { host: '127.0.0.1', port: sink.port, garbageBytes: 16_384 });
    assert.ok(g.replies.slice(1).every((x) => x.code >= 400) && (g.replies.length > 1 || g.closedByServer), g.summary);

    const n = await misbehave('nul-bytes', { host: '127.0.0.1', port: sink.port });
    assert.ok(n.replies.slice(2, 4).every((x) => x.code >= 500 || x.code === 0), n.summary);

    const l = await misbehave('long-line', { host: '127.0.0.1', port: sink.port });
    assert.ok(l.closedByServer || l.replies.slice(1).some((x) => x.code >= 500), l.summary);
    assert.ok(!l.replies.slice(1).some((x) => x.code === 250 && /a{100}/.test(x.text)), 'the line was not echoed back as accepted');

    const p = await misbehave('pipelining', { host: '127.0.0.1', port: sink.port });
    assert.ok(p.replies.length >= 3, p.summary);
    assert.ok(sink.messages.length <= 1, 'at most the one pipelined message');
    await stillServes(sink.port);
  } finally {
    await sink.close();
  }
});

test('slowloris dribbles bytes until the bound; the server keeps serving others meanwhile', async () => {
  const sink = await startSink({ tls: 'none' });
  try {
    const slow = misbehave('slowloris', { host: '127.0.0.1', port: sink.port, maxMs: 1500, intervalMs: 50 });
    await stillServes(sink.port);
    const r = await slow;
    assert.equal(r.replies[0].code, 220);
    // dribbled until its 1.5 s bound (never cut short); how much longer the run took is the machine's speed
    assert.ok(r.durationMs >= 1400, `took ${r.durationMs}`);
    assert.ok(r.transcript.filter((l) => l.startsWith('C: ')).length >= 15, 'dribbled bytes one by one');
    assert.equal(r.closedByServer, false, 'smtp-server has no whole-command deadline');
    const held = await holdConnections({ host: '127.0.0.1', port: sink.port, count: 20, holdMs: 100 });
    assert.equal(held.greeted, 20);
  } finally {
    await sink.close();
  }
});
