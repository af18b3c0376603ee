// Session ids from the random pool (engine/net/session-id.ts): the length asked for, hex only, never the same
// twice across many pool refills, every byte value seen (the pool is random, not a counter or a reused slice).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sessionId } from '../../engine/net/session-id.js';

describe('sessionId', () => {
  it('gives distinct hex ids of the length asked for, across refills of the pool', () => {
    const seen = new Set<string>();
    const bytes = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      const id = sessionId(i % 3 === 0 ? 5 : 10);
      assert.match(id, /^[0-9a-f]+$/);
      assert.equal(id.length, i % 3 === 0 ? 10 : 20);
      assert.ok(!seen.has(id), `id ${id} handed out twice`);
      seen.add(id);
      for (let j = 0; j < id.length; j += 2) bytes.add(parseInt(id.slice(j, j + 2), 16));
    }
    assert.equal(bytes.size, 256);
  });

  it('refuses a length outside 1–64 bytes', () => {
    assert.throws(() => sessionId(0), RangeError);
    assert.throws(() => sessionId(65), RangeError);
  });
});
