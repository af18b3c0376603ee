// The scheduler alone, with a stand-in worker pool: new and deferred mail take turns in the active set,
// the active set is bounded, a temporary failure is backed off on the schedule, a recipient that was
// accepted is never sent again, and the spool files go when nothing is left open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../engine/config/load.js';
import { Logger } from '../../engine/log/logger.js';
import { Spool } from '../../engine/spool/spool.js';
import { makeResolver } from '../../engine/dns/resolver.js';
import { OutboundScheduler } from '../../engine/queue/outbound.js';
import { readState, writeState, type QueueState } from '../../engine/queue/state.js';
import type { Queue } from '../../engine/queue/queue.js';
import type { DeliverResult, DeliverTask } from '../../workers/deliver-remote.js';
import type { Envelope } from '../../engine/spool/envelope.js';

async function harness(toml: string, outcome: (task: DeliverTask, n: number) => DeliverResult['recipients']) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-sched-'));
  const file = path.join(dir, 'tegami.toml');
  fs.writeFileSync(file, `data_dir = ${JSON.stringify(dir)}\n${toml}`);
  const config = parseConfigText(fs.readFileSync(file, 'utf8'), file);
  const spool = new Spool(path.join(dir, 'spool'));
  const runs: { id: string; at: number; rcpts: string[] }[] = [];
  let active = 0;
  let maxActive = 0;
  const removed: string[] = [];
  const queue = {
    spool,
    pool: {
      run: async (task: DeliverTask) => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs.push({ id: task.id, at: Date.now(), rcpts: task.recipients.map((r) => r.address) });
        await new Promise((r) => setTimeout(r, 20));
        active--;
        return { recipients: outcome(task, runs.length), attempts: [], unreachable: false } satisfies DeliverResult;
      },
    },
    inject: async () => {},
    removeQueued: async (id: string) => {
      removed.push(id);
      await spool.remove(id);
    },
  } as unknown as Queue;
  const sched = new OutboundScheduler({ queue, config, logger: new Logger({ files: false, stdout: false }), resolver: makeResolver(), isLocal: () => true });
  const add = async (id: string, rcpts: string[], attempts: number) => {
    const env: Envelope = { id, time: Date.now(), mailFrom: 'a@example.test', rcptTo: rcpts.map((address) => ({ address, kind: 'remote' })), client: { ip: '127.0.0.1', helo: 'h', protocol: 'ESMTP', listener: 'smtp' } };
    const w = await spool.create(env);
    w.write(Buffer.from('Subject: t\r\n\r\nx\r\n'));
    await spool.commit(w);
    await w.release();
    const st: QueueState = { id, created: env.time, held: false, recipients: rcpts.map((address) => ({ address, rcpt: address, kind: 'remote', status: attempts ? 'deferred' : 'pending', attempts, nextAttempt: Date.now() })) };
    await writeState(spool.queueDir, st);
  };
  return { dir, sched, spool, runs, removed, add, maxActive: () => maxActive, close: async () => { await sched.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

test('new and deferred mail take turns; the active set is bounded', async () => {
  const h = await harness('[outbound]\nmax_active = 1\n[queue]\nper_destination = 1\n', (t) => t.recipients.map((r) => ({ address: r.address, kind: 'sent', status: '2.0.0', reply: '250 ok' })));
  try {
    for (let i = 0; i < 4; i++) await h.add(`D${i}`, [`x${i}@d${i}.test`], 3);
    for (let i = 0; i < 4; i++) await h.add(`N${i}`, [`y${i}@n${i}.test`], 0);
    for (const id of ['D0', 'D1', 'D2', 'D3', 'N0', 'N1', 'N2', 'N3']) h.sched.schedule(id);
    const deadline = Date.now() + 10_000;
    while (h.runs.length < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const order = h.runs.map((r) => r.id[0]).join('');
    assert.equal(h.maxActive(), 1);
    // after the first job, the lines alternate: never two of a kind while the other line has work
    assert.match(order.slice(0, 8), /^(DN|ND){4}$/, order);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(h.removed.sort(), ['D0', 'D1', 'D2', 'D3', 'N0', 'N1', 'N2', 'N3']);
  } finally {
    await h.close();
  }
});

test('back-off on the schedule; an accepted recipient is never sent again', async () => {
  // first attempt: ok@ accepted, later@ deferred; second attempt (after 300 ms): later@ accepted
  const h = await harness('[queue]\nretry_schedule = ["300ms", "10s"]\n', (t, n) =>
    t.recipients.map((r) => (r.address === 'later@r.test' && n === 1 ? { address: r.address, kind: 'temp' as const, status: '4.3.0', reply: '451 4.3.0 busy' } : { address: r.address, kind: 'sent' as const, status: '2.0.0', reply: '250 ok' })),
  );
  try {
    await h.add('M1', ['ok@r.test', 'later@r.test'], 0);
    h.sched.schedule('M1');
    const deadline = Date.now() + 5000;
    while (h.runs.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    const st = (await readState(h.spool.queueDir, 'M1'))!;
    assert.equal(st.recipients.find((r) => r.address === 'ok@r.test')!.status, 'sent');
    const later = st.recipients.find((r) => r.address === 'later@r.test')!;
    assert.equal(later.status, 'deferred');
    assert.equal(later.attempts, 1);
    assert.match(later.lastError ?? '', /451 4\.3\.0 busy/);
    while (h.runs.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(h.runs.length, 2);
    assert.deepEqual(h.runs[1].rcpts, ['later@r.test'], 'only the deferred recipient is retried');
    const gap = h.runs[1].at - h.runs[0].at;
    assert.ok(gap >= 280 && gap < 2000, `retried after ${gap} ms (schedule 300 ms)`);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(h.removed, ['M1']);
    assert.equal(fs.existsSync(path.join(h.spool.queueDir, 'M1')), false);
  } finally {
    await h.close();
  }
});
