// CountingHash (engine/util/counting-hash.ts): the SHA-256 and size of bytes fed in any pieces are those of the
// whole, as restore checks a backup's entries and the PostgreSQL store names a staged body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { CountingHash } from '../../engine/util/counting-hash.js';

test('any split of the bytes gives the SHA-256 and size of the whole', () => {
  const whole = Buffer.concat([Buffer.from('請求書を送ります。\r\n', 'utf8'), crypto.randomBytes(70_000)]);
  const expected = crypto.createHash('sha256').update(whole).digest('hex');
  for (const piece of [1, 7, 512, 65_536, whole.length]) {
    const c = new CountingHash();
    for (let i = 0; i < whole.length; i += piece) c.update(whole.subarray(i, i + piece));
    assert.equal(c.size, whole.length, `pieces of ${piece}`);
    assert.equal(c.digest().toString('hex'), expected, `pieces of ${piece}`);
  }
  const empty = new CountingHash();
  assert.deepEqual([empty.size, empty.digest().toString('hex')], [0, crypto.createHash('sha256').digest('hex')]);
});
