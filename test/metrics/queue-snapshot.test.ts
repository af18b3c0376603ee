// The queue figures on PostgreSQL (engine/metrics/queue-snapshot.ts): the shared queue's messages and this node's
// spool counted together, a message in both once (in the shared row's state), the node's own part apart; with the
// database away the rows last read stand, marked stale. Without a shared source nothing changes (SQLite).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueueSnapshots } from '../../engine/metrics/queue-snapshot.js';
import type { MessageStage, QueueEntry } from '../../engine/queue/control.js';

const entry = (id: string, state: MessageStage, age: number): QueueEntry => ({
  id,
  arrival: new Date(Date.now() - age * 1000).toISOString(),
  age_seconds: age,
  sender: 'taro@example.jp',
  size: 100,
  state,
  next_attempt: null,
  last_error: null,
  recipients: [],
});

describe('queue figures over the shared rows', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-qsnap-'));
  const spool = { queueDir: path.join(dir, 'queue'), incomingDir: path.join(dir, 'incoming') };
  const local = [entry('L1', 'deferred', 30), entry('BOTH', 'incoming', 5)];
  const admin = { list: async () => local, spool } as unknown as ConstructorParameters<typeof QueueSnapshots>[0];

  it('counts the shared rows and the spool, a message in both once, the spool apart', async () => {
    const shared = [entry('S1', 'hold', 600), entry('S2', 'active', 10), entry('BOTH', 'deferred', 5)];
    const s = await new QueueSnapshots(admin, 0, Date.now, async () => shared).get();
    assert.equal(s.total, 4);
    assert.deepEqual(s.by_state, { incoming: 0, active: 1, deferred: 2, hold: 1 });
    assert.equal(s.oldest_age_seconds, 600);
    assert.equal(s.local_messages, 2);
    assert.equal(s.shared_stale, undefined);
  });

  it('keeps the rows last read, marked stale, while the shared queue cannot be read', async () => {
    let up = true;
    const snaps = new QueueSnapshots(admin, 0, Date.now, async () => {
      if (!up) throw new Error('connect ECONNREFUSED');
      return [entry('S1', 'hold', 600)];
    });
    assert.equal((await snaps.get()).total, 3);
    up = false;
    const s = await snaps.get();
    assert.equal(s.total, 3);
    assert.equal(s.shared_stale, true);
    assert.equal(s.by_state.hold, 1);
  });

  it('without a shared source: the spool only, no PostgreSQL fields (SQLite as before)', async () => {
    const s = await new QueueSnapshots(admin, 0).get();
    assert.equal(s.total, 2);
    assert.equal('local_messages' in s, false);
    assert.equal('shared_stale' in s, false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
