// queue_envelopes.no_notice is checked when read (engine/queue/pg-queue-store.ts keptNoNotice), as the file queue
// checks QueueState.noNotice (test/queue/state-check.test.ts): none, a reason, or what is wrong with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keptNoNotice } from '../../engine/queue/pg-queue-store.js';

test('no_notice: null, absent and "" are none; a reason of up to 200 characters is kept; anything else is an error', () => {
  assert.equal(keptNoNotice(null), undefined);
  assert.equal(keptNoNotice(undefined), undefined);
  assert.equal(keptNoNotice(''), undefined);
  assert.equal(keptNoNotice('the sender may be forged'), 'the sender may be forged');
  assert.equal(keptNoNotice('送信者は偽られているかもしれない'.repeat(12).slice(0, 200)), '送信者は偽られているかもしれない'.repeat(12).slice(0, 200));
  for (const bad of ['x'.repeat(201), 42, true, { reason: 'x' }, ['x']]) assert.ok(keptNoNotice(bad) instanceof Error, JSON.stringify(bad));
});
