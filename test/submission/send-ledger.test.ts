// The sending counts (engine/submission/send-ledger.ts) and the gate that uses them (send-gate.ts), on a fake
// clock: the hour and the day roll exactly at their edges; a message is counted once (a retried claim of the same
// queue id adds nothing), only if it got its 250 (a refused or failed hand-over gives its claim back), and a claim
// a crashed session never settled stops counting after PENDING_MS; overrides resolve account, then domain, then
// config; a refusal is logged and counted in tegami_send_limit_refusals_total.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, openMemoryDatabase } from '../../engine/db/database.js';
import { configSchema } from '../../engine/config/schema.js';
import type { LoadedConfig } from '../../engine/config/load.js';
import { Logger } from '../../engine/log/logger.js';
import { Metrics } from '../../engine/metrics/metrics.js';
import { SqliteSendLedger } from '../../engine/submission/send-ledger.js';
import { SendGate } from '../../engine/submission/send-gate.js';
import { DAY_MS, HOUR_MS, limitsFor, NO_OVERRIDE, PENDING_MS, type SendLimits } from '../../engine/submission/send-limit.js';

const A = 'alice@example.test';
const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
const L = (o: Partial<SendLimits>): SendLimits => ({ messagesPerHour: 0, messagesPerDay: 0, recipientsPerHour: 0, recipientsPerDay: 0, ...o });

test('the hour and the day roll at their edges; recipients count per message', async () => {
  const l = new SqliteSendLedger(openMemoryDatabase());
  const lim = L({ messagesPerHour: 2, messagesPerDay: 3, recipientsPerHour: 5 });
  for (const [i, n] of [[1, 2], [2, 2]] as const) {
    assert.deepEqual(await l.claim(A, `q${i}`, n, T0 + i, lim), { ok: true });
    await l.settle(A, `q${i}`, true);
  }
  assert.deepEqual(await l.claim(A, 'q3', 1, T0 + HOUR_MS, lim), { ok: false, over: { limit: 'messagesPerHour', used: 2, max: 2 } });
  // one ms after the first message's hour: it no longer counts in the hour (the day still does)
  assert.deepEqual(await l.claim(A, 'q3', 2, T0 + 1 + HOUR_MS, lim), { ok: true });
  await l.settle(A, 'q3', true);
  assert.deepEqual(await l.usage(A, T0 + 1 + HOUR_MS), { messagesHour: 2, messagesDay: 3, recipientsHour: 4, recipientsDay: 6 });
  assert.deepEqual(await l.claim(A, 'q4', 1, T0 + 3 * HOUR_MS, lim), { ok: false, over: { limit: 'messagesPerDay', used: 3, max: 3 } });
  assert.deepEqual(await l.claim(A, 'q4', 1, T0 + 1 + DAY_MS, lim), { ok: true }, 'the first message is a day old');
  // another account counts on its own
  assert.deepEqual(await l.claim('Bob@Example.test', 'q9', 5, T0, lim), { ok: true });
  assert.equal((await l.usage('bob@example.test', T0)).recipientsHour, 5);
});

test('once per message: a retried claim of the same queue id adds nothing; a refused hand-over gives its claim back', async () => {
  const l = new SqliteSendLedger(openMemoryDatabase());
  const lim = L({ messagesPerHour: 1 });
  assert.deepEqual(await l.claim(A, 'q1', 3, T0, lim), { ok: true });
  assert.deepEqual(await l.claim(A, 'q1', 3, T0 + 5, lim), { ok: true }, 'the same message again');
  assert.deepEqual(await l.usage(A, T0 + 5), { messagesHour: 1, messagesDay: 1, recipientsHour: 3, recipientsDay: 3 });
  await l.settle(A, 'q1', false);
  assert.deepEqual(await l.usage(A, T0 + 5), { messagesHour: 0, messagesDay: 0, recipientsHour: 0, recipientsDay: 0 });
  assert.deepEqual(await l.claim(A, 'q2', 1, T0 + 6, lim), { ok: true });
  await l.settle(A, 'q2', true);
  await l.settle(A, 'q2', false); // a settled message is never given back
  assert.equal((await l.usage(A, T0 + 7)).messagesHour, 1);
});

test("a claim a crashed session never settled counts for PENDING_MS, then not (the client's retry is the one counted)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-sendlog-'));
  try {
    const lim = L({ messagesPerHour: 1 });
    const first = openDatabase(dir);
    assert.deepEqual(await new SqliteSendLedger(first).claim(A, 'crashed', 1, T0, lim), { ok: true });
    first.close(); // the process died between the claim and the reply
    const l = new SqliteSendLedger(openDatabase(dir));
    assert.equal((await l.claim(A, 'retry', 1, T0 + PENDING_MS - 1, lim)).ok, false, 'still being answered, as far as anyone knows');
    assert.deepEqual(await l.claim(A, 'retry', 1, T0 + PENDING_MS, lim), { ok: true });
    await l.settle(A, 'retry', true);
    assert.equal((await l.usage(A, T0 + PENDING_MS + 1)).messagesHour, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('limits in force: the account, else its domain, else [limits]; 0 is no limit; deleting the account drops its rows', async () => {
  const db = openMemoryDatabase();
  const l = new SqliteSendLedger(db);
  const config = configSchema.parse({ limits: { send_messages_per_hour: 7 } });
  assert.deepEqual(await limitsFor(l, config, A), { messagesPerHour: 7, messagesPerDay: 1000, recipientsPerHour: 500, recipientsPerDay: 2000 });
  await l.setOverride('@example.test', { ...NO_OVERRIDE, messagesPerHour: 3, recipientsPerDay: 0 });
  await l.setOverride(A, { ...NO_OVERRIDE, messagesPerHour: 0 });
  assert.deepEqual(await limitsFor(l, config, 'ALICE@example.test'), { messagesPerHour: 0, messagesPerDay: 1000, recipientsPerHour: 500, recipientsPerDay: 0 });
  assert.equal((await limitsFor(l, config, 'bob@example.test')).messagesPerHour, 3);
  await l.setOverride(A, { ...NO_OVERRIDE });
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM send_limits').get() as { n: number }).n, 1, 'an all-default override is removed');
  db.prepare("INSERT INTO users (address, local, domain, password_hash, created) VALUES (?, 'alice', 'example.test', 'x', 0)").run(A);
  await l.setOverride(A, { ...NO_OVERRIDE, messagesPerDay: 9 });
  await l.claim(A, 'q1', 1, T0, L({}));
  db.prepare('DELETE FROM users WHERE address = ?').run(A);
  assert.deepEqual(await l.override(A), NO_OVERRIDE);
  assert.equal((await l.usage(A, T0)).messagesDay, 0);
});

test('the gate: MAIL and RCPT refuse from what MAIL read, the hand-over is counted once and settled by its outcome; refusals logged and counted', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-sendgate-'));
  const metrics = new Metrics({ processMetrics: false });
  const logger = new Logger({ dir, stdout: false, sink: metrics });
  try {
    let now = T0;
    const config = configSchema.parse({ limits: { send_messages_per_hour: 2, send_recipients_per_hour: 3 } }) as LoadedConfig;
    const gate = new SendGate(new SqliteSendLedger(openMemoryDatabase()), config, logger, () => now);
    const m = await gate.atMail(A, 's1');
    assert.equal(m.refusal, null);
    assert.equal(gate.atRcpt(m.snapshot, A, 's1', 0), null);
    assert.equal(gate.atRcpt(m.snapshot, A, 's1', 2), null);
    const r = gate.atRcpt(m.snapshot, A, 's1', 3);
    assert.deepEqual(r && [r.kind, r.code, r.status], ['tempfail', 451, '4.7.1']);
    // a hand-over the queue refused, and one that threw: nothing counted
    assert.deepEqual(await gate.counted(A, 'q1', 3, 's1', async () => ({ kind: 'tempfail' })), { outcome: { kind: 'tempfail' } });
    await assert.rejects(gate.counted(A, 'q2', 3, 's1', async () => Promise.reject(new Error('disk full'))), /disk full/);
    assert.equal((await gate.ledger.usage(A, now)).messagesHour, 0);
    for (const id of ['q3', 'q4']) assert.ok('outcome' in (await gate.counted(A, id, 1, 's1', async () => ({ kind: 'accepted' }))));
    let ran = false;
    const over = await gate.counted(A, 'q5', 1, 's2', async () => {
      ran = true;
      return { kind: 'accepted' };
    });
    assert.equal(ran, false, 'over the cap the queue never sees the message');
    assert.ok('refusal' in over && /Sending limit reached for <alice@example\.test>: 2 messages per hour \(2 used\)/.test(over.refusal.text));
    assert.match((await gate.atMail(A, 's3')).refusal?.text ?? '', /2 messages per hour/);
    now += HOUR_MS;
    assert.equal((await gate.atMail(A, 's4')).refusal, null, 'an hour later');
    await new Promise((res) => setImmediate(res));
    await logger.close();
    const text = await metrics.text();
    assert.match(text, /tegami_send_limit_refusals_total\{limit="messagesPerHour",stage="data"\} 1/);
    assert.match(text, /tegami_send_limit_refusals_total\{limit="messagesPerHour",stage="mail"\} 1/);
    assert.match(text, /tegami_send_limit_refusals_total\{limit="recipientsPerHour",stage="rcpt"\} 1/);
    const log = fs.readdirSync(dir).filter((f) => f.startsWith('smtp-')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
    assert.match(log, /WARN send-limit .*user=alice@example\.test stage=data limit=messagesPerHour used=2 max=2/);
  } finally {
    metrics.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
