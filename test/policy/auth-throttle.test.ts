// The failed-login throttle on a fake clock: clients grouped by IPv6 /64, blocks that are never evicted while
// they last, and the per-account limit that counts failures only, spaces further attempts instead of blocking,
// and lets the owner's known networks through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle, INFLIGHT_MAX_MS } from '../../engine/policy/auth-throttle.js';

const base = { throttleAfter: 0, windowMs: 600_000, maxDelayMs: 3000, blockAfter: 3, blockForMs: 900_000 };

test('an IPv6 /64 is one client: failures from three of its addresses block a fourth, not the next /64', () => {
  const t = new AuthThrottle({ ...base, ipv6Prefix: 64 }, () => 0);
  t.fail('2001:db8:1:2::1');
  t.fail('2001:db8:1:2::2');
  assert.equal(t.fail('2001:db8:1:2:abcd::3'), true, 'the third failure starts the block');
  assert.equal(t.check('2001:db8:1:2:ffff:ffff:ffff:ffff').kind, 'blocked');
  assert.equal(t.check('2001:db8:1:3::1').kind, 'allow');
  // IPv4 stays per address
  for (let i = 0; i < 3; i++) t.fail('192.0.2.1');
  assert.equal(t.check('192.0.2.1').kind, 'blocked');
  assert.equal(t.check('192.0.2.2').kind, 'allow');
});

test('a full table never evicts a client that is still blocked', () => {
  let now = 0;
  const t = new AuthThrottle({ ...base, maxEntries: 10 }, () => now);
  for (let i = 0; i < 3; i++) t.fail('198.51.100.1'); // blocked, and the oldest entry
  for (let i = 2; i < 200; i++) t.fail(`198.51.100.${i}`); // one failure each: inactive entries
  assert.equal(t.check('198.51.100.1').kind, 'blocked', 'the block survives the flood of new addresses');
  assert.ok(t.size.clients <= 11, `bounded: ${t.size.clients}`);
  now = 900_001;
  assert.equal(t.check('198.51.100.1').kind, 'allow', 'and ends when it should');
});

test('per account: failures from anywhere count; past the threshold attempts run one per account_delay, never blocked; the owner network skips', () => {
  let now = 0;
  const t = new AuthThrottle({ ...base, blockAfter: 0, accountThrottleAfter: 3, accountDelayMs: 10_000 }, () => now);
  t.succeeded('203.0.113.5', 'taro@example.test'); // the owner's usual network
  for (const ip of ['192.0.2.1', '192.0.2.2', '2001:db8::1']) t.fail(ip, 'taro@example.test');
  assert.deepEqual(t.check('192.0.2.9', 'taro@example.test'), { kind: 'allow', delayMs: 0 }, 'the first attempt runs at once');
  assert.deepEqual(t.check('192.0.2.10', 'taro@example.test'), { kind: 'allow', delayMs: 10_000 }, 'the next waits its turn');
  assert.deepEqual(t.check('192.0.2.11', 'taro@example.test'), { kind: 'busy' }, 'one more would wait too long: come back later');
  assert.deepEqual(t.check('203.0.113.5', 'taro@example.test'), { kind: 'allow', delayMs: 0 }, 'the owner is never queued');
  assert.deepEqual(t.check('192.0.2.9', 'hanako@example.test'), { kind: 'allow', delayMs: 0 }, 'other accounts are not affected');
  now = 20_000;
  assert.deepEqual(t.check('192.0.2.11', 'taro@example.test'), { kind: 'allow', delayMs: 0 });
  now = 700_000;
  assert.deepEqual(t.check('192.0.2.12', 'taro@example.test'), { kind: 'allow', delayMs: 0 }, 'old failures age out of the window');
});

test('attempts in flight count against the client\'s and the account\'s budgets until released or failed, and expire', () => {
  let now = 0;
  const t = new AuthThrottle({ ...base, blockAfter: 4, accountThrottleAfter: 2, accountDelayMs: 10_000 }, () => now);
  // one account: two in flight reach its threshold, so the third takes the spaced turn now, the fourth the next
  const a1 = t.begin('192.0.2.1', 'taro@example.test');
  t.begin('192.0.2.1', 'taro@example.test');
  assert.deepEqual(t.check('192.0.2.1', 'taro@example.test'), { kind: 'allow', delayMs: 0 });
  t.begin('192.0.2.1', 'taro@example.test');
  assert.deepEqual(t.check('192.0.2.1', 'taro@example.test'), { kind: 'allow', delayMs: 10_000 });
  const a4 = t.begin('192.0.2.1', 'taro@example.test');
  // the client has four in flight (block_after): any name is told to come back later, nothing counted
  assert.equal(t.check('192.0.2.1', 'other@example.test').kind, 'busy');
  assert.equal(t.failures('192.0.2.1'), 0);
  assert.equal(t.check('192.0.2.2', 'other@example.test').kind, 'allow', 'another client is not touched');
  // one ends well (released), one fails: two in flight and one failure leave room for one more, then none
  a4.release();
  a4.release(); // idempotent
  t.fail('192.0.2.1', 'taro@example.test', a1);
  assert.equal(t.failures('192.0.2.1'), 1);
  assert.equal(t.check('192.0.2.1', 'other@example.test').kind, 'allow');
  t.begin('192.0.2.1', 'other@example.test');
  assert.equal(t.check('192.0.2.1', 'other@example.test').kind, 'busy');
  // an attempt never settled (a SASL exchange left half-way) stops counting after INFLIGHT_MAX_MS
  now = INFLIGHT_MAX_MS + 1;
  assert.equal(t.check('192.0.2.1', 'other@example.test').kind, 'allow');
});
