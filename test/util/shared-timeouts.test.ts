// engine/util/shared-timeouts.ts: each limit fires once its time has passed and not before, a cancelled one
// never fires, limits of other lengths keep their own times, and one that throws keeps the rest firing.
// Time moves with mock.timers (setTimeout and Date; the tests give the class Date.now as its clock), except in
// the last test, where the wall clock stands still and the default (monotonic) clock must still fire the limit.
import { test, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import { SharedTimeouts } from '../../engine/util/shared-timeouts.js';

afterEach(() => mock.timers.reset());

test('limits fire at their time, cancelled ones never, shorter ones added later first', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const t = new SharedTimeouts(() => Date.now());
  const fired: string[] = [];
  const cancelA = t.after(1500, () => fired.push('a'));
  mock.timers.tick(500);
  t.after(1500, () => fired.push('b')); // due at 2000 from the start
  const cancelC = t.after(1500, () => fired.push('c'));
  t.after(200, () => fired.push('short')); // due at 700: earlier than the timer armed for a
  cancelC();
  mock.timers.tick(199);
  assert.deepEqual([...fired], []);
  mock.timers.tick(1);
  assert.deepEqual([...fired], ['short']);
  cancelA();
  mock.timers.tick(800); // 1500: a would have fired
  assert.deepEqual([...fired], ['short']);
  mock.timers.tick(499);
  assert.deepEqual([...fired], ['short']);
  mock.timers.tick(1); // 2000
  assert.deepEqual([...fired], ['short', 'b']);
  assert.equal(t.size, 0);
  mock.timers.tick(10_000);
  assert.deepEqual([...fired], ['short', 'b']);
  // armed again after it went idle
  t.after(100, () => fired.push('d'));
  mock.timers.tick(100);
  assert.deepEqual([...fired], ['short', 'b', 'd']);
});

test('a limit whose callback throws does not stop the others due with it', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 5_000 });
  const t = new SharedTimeouts(() => Date.now());
  const fired: number[] = [];
  t.after(10, () => {
    throw new Error('boom');
  });
  t.after(10, () => fired.push(1));
  t.after(20, () => fired.push(2));
  mock.timers.tick(10);
  assert.deepEqual([...fired], [1]);
  mock.timers.tick(10);
  assert.deepEqual([...fired], [1, 2]);
});

test('a limit fires on time though the wall clock stands still or steps back (the default clock is monotonic)', async () => {
  // Date frozen (as after an NTP step back, the wall clock does not reach the limit's time); real timers
  mock.timers.enable({ apis: ['Date'], now: 10_000_000 });
  const t = new SharedTimeouts();
  let fired = false;
  t.after(20, () => {
    fired = true;
  });
  mock.timers.setTime(10_000_000 - 3_600_000); // one hour back
  const deadline = performance.now() + 120_000;
  while (!fired && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(fired, true);
  assert.equal(t.size, 0);
});
