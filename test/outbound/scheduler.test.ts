// The scheduler alone, with a stand-in worker pool: new and deferred mail take turns in the active set,
// the active set is bounded, a temporary failure is backed off on the schedule, a recipient that was
// accepted is never sent again, and the spool files go when nothing is left open. The back-off runs on
// mock.timers (setTimeout and Date): the retry is due after exactly its step, whatever the machine's speed.
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

// the real clock, captured before any test mocks the global timers: file I/O is real and needs real waiting
const realSetTimeout = globalThis.setTimeout;
const sleep = (ms: number) => new Promise((r) => realSetTimeout(r, ms));

/** Poll (on the real clock) until `cond` holds; generous, as the machine may be busy. */
async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * A scheduler over a real spool, with a stand-in pool: each run is recorded (with Date.now(), mocked or not)
 * and then waits for `gate` (when given), so a test decides when the active set frees up.
 */
async function harness(toml: string, outcome: (task: DeliverTask, n: number) => DeliverResult['recipients'], gate?: Promise<void>) {
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
        await gate;
        await sleep(2);
        active--;
        return { recipients: outcome(task, runs.length), attempts: [], unreachable: false } satisfies DeliverResult;
      },
    },
    inject: async () => {},
    removeQueued: async (id: string) => {
      // recorded once the files are gone: a test that sees the id may check the spool at once
      await spool.remove(id);
      removed.push(id);
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
  // the first job holds the only active slot until all eight are planned: both lines have work at every pick
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const h = await harness('[outbound]\nmax_active = 1\n[queue]\nper_destination = 1\n', (t) => t.recipients.map((r) => ({ address: r.address, kind: 'sent', status: '2.0.0', reply: '250 ok' })), gate);
  try {
    for (let i = 0; i < 4; i++) await h.add(`D${i}`, [`x${i}@d${i}.test`], 3);
    for (let i = 0; i < 4; i++) await h.add(`N${i}`, [`y${i}@n${i}.test`], 0);
    await Promise.all(['D0', 'D1', 'D2', 'D3', 'N0', 'N1', 'N2', 'N3'].map((id) => h.sched.plan(id)));
    open();
    await until('eight runs', () => h.runs.length >= 8);
    const order = h.runs.map((r) => r.id[0]).join('');
    assert.equal(h.maxActive(), 1);
    // after the first job, the lines alternate: never two of a kind while the other line has work
    assert.match(order.slice(0, 8), /^(DN|ND){4}$/, order);
    await until('all eight removed', () => h.removed.length >= 8);
    assert.equal(h.runs.length, 8, 'each message sent once');
    assert.deepEqual(h.removed.sort(), ['D0', 'D1', 'D2', 'D3', 'N0', 'N1', 'N2', 'N3']);
  } finally {
    await h.close();
  }
});

test('back-off on the schedule; an accepted recipient is never sent again', async (t) => {
  // the scheduler's clock is mocked: time moves only when the test ticks it
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
  // first attempt: ok@ accepted, later@ deferred; second attempt (300 ms later): later@ accepted
  const h = await harness('[queue]\nretry_schedule = ["300ms", "10s"]\n', (task, n) =>
    task.recipients.map((r) => (r.address === 'later@r.test' && n === 1 ? { address: r.address, kind: 'temp' as const, status: '4.3.0', reply: '451 4.3.0 busy' } : { address: r.address, kind: 'sent' as const, status: '2.0.0', reply: '250 ok' })),
  );
  try {
    await h.add('M1', ['ok@r.test', 'later@r.test'], 0);
    h.sched.schedule('M1');
    await until('the first attempt recorded', async () => (await readState(h.spool.queueDir, 'M1'))?.recipients.find((r) => r.address === 'later@r.test')?.status === 'deferred' && !h.sched.isActive('M1'));
    const st = (await readState(h.spool.queueDir, 'M1'))!;
    assert.equal(st.recipients.find((r) => r.address === 'ok@r.test')!.status, 'sent');
    const later = st.recipients.find((r) => r.address === 'later@r.test')!;
    assert.equal(later.status, 'deferred');
    assert.equal(later.attempts, 1);
    assert.match(later.lastError ?? '', /451 4\.3\.0 busy/);
    assert.equal(later.nextAttempt, h.runs[0].at + 300, 'due one step (300 ms) after the attempt');
    // the job for the deferred recipient is planned (planning again is a no-op once it is)
    await h.sched.plan('M1');
    t.mock.timers.tick(299);
    assert.equal(h.sched.isActive('M1'), false, 'not retried before its step');
    assert.equal(h.runs.length, 1);
    t.mock.timers.tick(1);
    assert.equal(h.sched.isActive('M1'), true, 'retried once its step is over');
    await until('the second attempt', () => h.runs.length >= 2);
    assert.deepEqual(h.runs[1].rcpts, ['later@r.test'], 'only the deferred recipient is retried');
    assert.equal(h.runs[1].at - h.runs[0].at, 300, 'retried after the schedule\'s 300 ms');
    await until('M1 removed', () => h.removed.length >= 1);
    assert.deepEqual(h.removed, ['M1']);
    assert.equal(h.runs.length, 2, 'the accepted recipient is never sent again');
    assert.equal(fs.existsSync(path.join(h.spool.queueDir, 'M1')), false);
  } finally {
    t.mock.timers.reset();
    await h.close();
  }
});
