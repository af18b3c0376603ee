// The directory fsync behind every 250 (engine/store/maildir.ts DirSync: Maildir new/ after the rename, spool/queue/
// after a commit, each grouped per thread): every call must be answered by an fsync that started after it. The
// coalescer once kept its first, finished promise as the "next" one, so every later call in that thread returned
// at once with no fsync at all: renames into new/ and queue/ were never made durable after the first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirSync } from '../../engine/store/maildir.js';

/** A stand-in for fsync that the test finishes by hand; it records when each one started. */
function fakeSync() {
  const started: number[] = [];
  const finish: ((e?: Error) => void)[] = [];
  let clock = 0;
  const fn = (_dir: string) =>
    new Promise<void>((resolve, reject) => {
      started.push(clock++);
      finish.push((e) => (e ? reject(e) : resolve()));
    });
  return { fn, started, finish, tick: () => clock++ };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

test('one after another: every call runs its own fsync', async () => {
  const f = fakeSync();
  const d = new DirSync('/x', f.fn);
  for (let i = 0; i < 3; i++) {
    const p = d.sync();
    await turn();
    assert.equal(f.started.length, i + 1, `call ${i + 1} started an fsync`);
    f.finish[i]();
    await p;
  }
});

test('callers during a running fsync share one next fsync that starts after it', async () => {
  const f = fakeSync();
  const d = new DirSync('/x', f.fn);
  const first = d.sync();
  await turn();
  assert.equal(f.started.length, 1);
  let lateDone = 0;
  const late = Array.from({ length: 5 }, () => d.sync().then(() => lateDone++));
  await turn();
  assert.equal(f.started.length, 1, 'the next one waits for the running one');
  f.finish[0]();
  await first;
  await turn();
  assert.equal(lateDone, 0, 'the running fsync may have begun before their renames: not theirs');
  assert.equal(f.started.length, 2, 'one fsync for all five');
  f.finish[1]();
  await Promise.all(late);
  assert.equal(lateDone, 5);
  // and after everything settled, a new call gets a new fsync again
  const again = d.sync();
  await turn();
  assert.equal(f.started.length, 3);
  f.finish[2]();
  await again;
});

test('a failed fsync fails its callers, and the next call tries again', async () => {
  const f = fakeSync();
  const d = new DirSync('/x', f.fn);
  const p = d.sync();
  await turn();
  f.finish[0](new Error('EIO'));
  await assert.rejects(p, /EIO/);
  const q = d.sync();
  await turn();
  assert.equal(f.started.length, 2);
  f.finish[1]();
  await q;
});

test('with the real fsync: a directory synced many times resolves each time', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-dirsync-'));
  try {
    const d = new DirSync(dir);
    for (let i = 0; i < 5; i++) {
      fs.writeFileSync(path.join(dir, `f${i}`), 'x');
      await d.sync();
    }
    await Promise.all([d.sync(), d.sync(), d.sync()]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
