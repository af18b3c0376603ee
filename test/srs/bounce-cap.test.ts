// engine/srs/bounce-cap.ts: bounces through our SRS addresses per original sender over a rolling day, any case,
// a bound of 0 meaning none, a changed bound applying at once (settings), memory bounded by forgetting the oldest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SrsBounceCap } from '../../engine/srs/bounce-cap.js';

test('a rolling day per original sender, counted in any case', () => {
  let now = Date.UTC(2026, 11, 6, 9, 0, 0);
  const cap = new SrsBounceCap(2, () => now);
  assert.equal(cap.take('Victim@Orig.test'), true);
  now += 60_000;
  assert.equal(cap.take('victim@orig.test'), true);
  assert.equal(cap.take('VICTIM@ORIG.TEST'), false, 'the third within the day');
  assert.equal(cap.take('other@orig.test'), true, 'another sender counts alone');
  now += 24 * 60 * 60 * 1000 - 59_999; // the first one is a day old
  assert.equal(cap.take('victim@orig.test'), true);
  assert.equal(cap.take('victim@orig.test'), false);
});

test('0 is no bound; a changed bound applies at once', () => {
  const cap = new SrsBounceCap(0);
  for (let i = 0; i < 100; i++) assert.equal(cap.take('a@b.test'), true);
  assert.equal(cap.size, 0, 'nothing kept without a bound');
  cap.limit = 1;
  assert.equal(cap.take('a@b.test'), true);
  assert.equal(cap.take('a@b.test'), false);
});

test('memory is bounded: past 50,000 senders the one seen least recently is forgotten', () => {
  const cap = new SrsBounceCap(1);
  for (let i = 0; i <= 50_000; i++) cap.take(`s${i}@x.test`);
  assert.equal(cap.size, 50_000);
  assert.equal(cap.take('s0@x.test'), true, 'the oldest was forgotten');
  assert.equal(cap.take('s50000@x.test'), false, 'the newest is still counted');
});
