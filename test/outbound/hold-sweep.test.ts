// The hold sweep alone (engine/queue/hold-expiry.ts) over a real spool, on an injected clock: a held recipient
// (message hold, held domain) expires at exactly hold_lifetime after its arrival, not a millisecond before,
// with a 4.4.7 notice quoting the last error; unheld recipients are never touched; and the sweep runs every
// hold_lifetime/100 (at least 1 s) on its timer, here mock.timers, so no test waits on the real clock for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../engine/config/load.js';
import { Logger } from '../../engine/log/logger.js';
import { Spool } from '../../engine/spool/spool.js';
import { HoldSweep } from '../../engine/queue/hold-expiry.js';
import { readState, writeState, type QueueState } from '../../engine/queue/state.js';
import { Notifier } from '../../engine/queue/notices.js';
import type { DsnAction, DsnRecipient } from '../../engine/outbound/dsn.js';
import type { Envelope } from '../../engine/spool/envelope.js';

const realSetTimeout = globalThis.setTimeout;
const sleep = (ms: number) => new Promise((r) => realSetTimeout(r, ms));

const T0 = 1_800_000_000_000;
const LIFE = 100_000;

async function harness() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-holdsweep-'));
  const file = path.join(dir, 'tegami.toml');
  fs.writeFileSync(file, `data_dir = ${JSON.stringify(dir)}\n[queue]\nhold_lifetime = "${LIFE / 1000}s"\nmax_queue_lifetime = "1s"\n`);
  const config = parseConfigText(fs.readFileSync(file, 'utf8'), file);
  const spool = new Spool(path.join(dir, 'spool'));
  const sent: { action: DsnAction; id: string; recipients: DsnRecipient[] }[] = [];
  const removed: string[] = [];
  // the Notifier's own methods (sendAll: which notices go, which are left out and logged) around a send()
  // that records instead of spooling a DSN
  const notifier: Notifier = Object.assign(Object.create(Notifier.prototype) as Notifier, {
    o: { logger: new Logger({ files: false, stdout: false }) },
    send: async (action: DsnAction, env: Envelope, recipients: DsnRecipient[]) => void sent.push({ action, id: env.id, recipients }),
  });
  const sweep = new HoldSweep({
    q: config.queue,
    logger: new Logger({ files: false, stdout: false }),
    spool,
    notifier,
    withLock: (_id, fn) => fn(),
    domainHeld: (d) => d === 'held.test',
    saveOrRemove: async (st: QueueState) => {
      if (st.recipients.some((r) => r.status === 'pending' || r.status === 'deferred')) await writeState(spool.queueDir, st);
      else {
        removed.push(st.id);
        await spool.remove(st.id);
      }
    },
  });
  const add = async (id: string, created: number, held: boolean, rcpt: string, lastError?: string) => {
    const env: Envelope = { id, time: created, mailFrom: 'a@example.test', rcptTo: [{ address: rcpt, kind: 'remote' }], client: { ip: '127.0.0.1', helo: 'h', protocol: 'ESMTP', listener: 'smtp' } };
    const w = await spool.create(env);
    w.write(Buffer.from('Subject: held\r\n\r\nx\r\n'));
    await spool.commit(w);
    await w.release();
    await writeState(spool.queueDir, { id, created, held, recipients: [{ address: rcpt, rcpt, kind: 'remote', status: lastError ? 'deferred' : 'pending', attempts: lastError ? 1 : 0, nextAttempt: created, lastError }] });
  };
  return { dir, spool, sweep, sent, removed, add, close: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

test('held recipients expire at exactly hold_lifetime; unheld ones are never touched', async () => {
  const h = await harness();
  try {
    await h.add('BYID', T0, true, 'x@remote.test', '451 4.3.0 busy');
    await h.add('BYDOMAIN', T0, false, 'y@held.test');
    await h.add('UNHELD', T0, false, 'z@remote.test', '451 4.3.0 busy');
    assert.equal(await h.sweep.expire(T0 + LIFE - 1), 0, 'not a millisecond early');
    assert.equal(h.sent.length, 0);
    assert.equal(await h.sweep.expire(T0 + LIFE), 2);
    assert.deepEqual(h.removed.sort(), ['BYDOMAIN', 'BYID']);
    const byId = h.sent.find((s) => s.id === 'BYID')!;
    assert.equal(byId.action, 'failed');
    assert.equal(byId.recipients[0].status, '4.4.7');
    assert.match(byId.recipients[0].diagnostic ?? '', /hold_lifetime.*Last error: 451 4\.3\.0 busy/);
    // far past both lifetimes, the unheld one is still the retry path's business (max_queue_lifetime there)
    assert.equal(await h.sweep.expire(T0 + 10 * LIFE), 0);
    assert.equal((await readState(h.spool.queueDir, 'UNHELD'))!.recipients[0].status, 'deferred');
  } finally {
    h.close();
  }
});

test('the sweep runs every hold_lifetime/100 (at least 1 s) on its timer', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 + LIFE + 5000 });
  const h = await harness();
  try {
    await h.add('OLD', T0, true, 'x@remote.test');
    h.sweep.start();
    t.mock.timers.tick(999);
    await sleep(100);
    assert.deepEqual(h.removed, [], 'no sweep before its period');
    t.mock.timers.tick(1);
    for (const deadline = performance.now() + 30_000; !h.removed.length && performance.now() < deadline; ) await sleep(10);
    assert.deepEqual(h.removed, ['OLD'], 'swept once its period is over');
  } finally {
    h.sweep.stop();
    t.mock.timers.reset();
    h.close();
  }
});
