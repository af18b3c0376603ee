// Delivery order of Maildir names (engine/store/maildir-order.ts), which gives new mail its UIDs: the fast order
// (one number per name, sorted without a comparison function) must be the order the comparison gives, for the
// usual names and for every kind it does not cover (no M<usec>, equal seconds and microseconds, no second at all).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareMaildirNames, deliveryOrder, oneOfEachBase } from '../../engine/store/maildir-order.js';

function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

test('the fast delivery order is the order of the comparison, on usual and unusual names', () => {
  const r = random(7);
  const kinds = [
    (i: number) => `${1_700_000_000 + Math.floor(r() * 5000)}.M${Math.floor(r() * 999_999)}P${i}.host,S=${i}`,
    (i: number) => `${1_700_000_000 + Math.floor(r() * 5000)}.${i}_${Math.floor(r() * 9)}.qmail-host`, // no M<usec>
    (i: number) => `${1_700_000_000 + Math.floor(r() * 3)}.M${Math.floor(r() * 3)}P${i}.日本`, // many equal keys
    (i: number) => `host-${i}.M5`, // no second
    (i: number) => `${1_700_000_000 + i}.MP${i}.host`, // an M without digits
    (i: number) => `${1_700_000_000 + i}.M${'9'.repeat(20)}P.host`, // a microsecond beyond any number
    (i: number) => `${Math.floor(r() * 1_700_000_000)}.M${Math.floor(r() * 999_999)}P${i}.old`, // decades apart: beyond a packed key
    (i: number) => `${2 ** 31 + Math.floor(r() * 5000)}.M${Math.floor(r() * 999_999)}P${i}.later`, // after 2038
    (i: number) => `${1_700_000_000 + Math.floor(r() * 2 ** 20)}.M${Math.floor(r() * 2 ** 20)}P${i}.wide`, // near the key's bounds
  ];
  for (const mix of [[0], [0, 1], [0, 2], [0, 3], [0, 4, 5], [0, 1, 2, 3, 4, 5], [6], [0, 7], [8], [8, 0]]) {
    const names = Array.from({ length: 3000 }, (_, i) => kinds[mix[i % mix.length]](i));
    const expected = names.map((_, i) => i).sort((a, b) => compareMaildirNames(names[a], names[b]));
    const got = deliveryOrder(names);
    assert.deepEqual(got.map((i) => names[i]), expected.map((i) => names[i]), `kinds ${mix.join(',')}`);
    const some = names.map((_, i) => i).filter((i) => i % 3 === 0);
    assert.deepEqual(deliveryOrder(names, some).map((i) => names[i]), some.slice().sort((a, b) => compareMaildirNames(names[a], names[b])).map((i) => names[i]));
  }
  assert.ok(compareMaildirNames('1700000000.M9P1.a', '1700000000.M10P1.a') < 0, 'microseconds compare as numbers');
  assert.ok(compareMaildirNames('1700000001.M1P1.a', '1700000000.M9P1.a') > 0, 'the second first');
});

test('one name per base: of two with one base (a rename caught half way), the one read later is kept', () => {
  // indexes are the order readdir gave; a base listed twice is one message seen under its old and new name
  const bases = ['1700000002.M1P1.a', '1700000000.M1P1.a', '1700000001.M1P1.a', '1700000000.M1P1.a', '1700000002.M1P1.a'];
  const kept = oneOfEachBase(deliveryOrder(bases), bases);
  assert.deepEqual(kept, [3, 2, 4]);
  assert.deepEqual(oneOfEachBase(deliveryOrder(bases, [0, 1, 2]), bases), [1, 2, 0], 'a subset with no base twice keeps all');
  assert.deepEqual(oneOfEachBase([], []), []);
});
