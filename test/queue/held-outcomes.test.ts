// The outcome rule for held recipients (engine/queue/recipient-outcomes.ts, `held` in the context), on a
// state in memory with an injected clock: a temporary failure recorded after max_queue_lifetime for a
// recipient held meanwhile (message hold, or its domain) is deferred, never expired; unheld ones of the
// same message still expire. Covers local retries too, whose hold-during-the-run window cannot be gated
// from outside (test/queue/hold-during-attempt.test.ts does the remote case over real sockets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '../../engine/log/logger.js';
import { recordLocalDeferrals, recordRemote, type OutcomeContext } from '../../engine/queue/recipient-outcomes.js';
import type { QueueState, RecipientState } from '../../engine/queue/state.js';
import type { Envelope } from '../../engine/spool/envelope.js';

const T0 = 1_700_000_000_000;
const LIFE = 900_000;
const q = { retry_schedule: [60_000], max_queue_lifetime: LIFE, delay_warning: 3_600_000 } as OutcomeContext['q'];
const logger = new Logger({ files: false, stdout: false });
const env: Envelope = { id: 'M1', time: T0, mailFrom: 'a@example.test', rcptTo: [], client: { ip: '127.0.0.1', helo: 'h', protocol: 'ESMTP', listener: 'smtp' } };
const rcpt = (address: string, kind: 'local' | 'remote'): RecipientState => ({ address, rcpt: address, kind, status: kind === 'local' ? 'deferred' : 'pending', attempts: 0, nextAttempt: T0 });
const LATE = T0 + LIFE + 5_000;

test('remote: held by message or by domain → deferred after the lifetime; an unheld one expires', () => {
  const st: QueueState = { id: 'M1', created: T0, held: false, recipients: [rcpt('x@held.test', 'remote'), rcpt('y@open.test', 'remote')] };
  const ctx: OutcomeContext = { q, logger, now: LATE, held: (r) => r.address.endsWith('@held.test') };
  const temp = (address: string) => ({ address, kind: 'temp' as const, status: '4.3.0', reply: '451 4.3.0 busy' });
  const n = recordRemote(ctx, st, env, 'route:x', [temp('x@held.test'), temp('y@open.test')], 5);
  assert.equal(st.recipients[0].status, 'deferred');
  assert.equal(st.recipients[0].lastError, '451 4.3.0 busy');
  assert.equal(st.recipients[0].nextAttempt, LATE + 60_000, 'the next back-off step, not the passed lifetime');
  assert.equal(st.recipients[1].status, 'failed');
  assert.deepEqual(n.failed.map((r) => [r.address, r.status]), [['y@open.test', '4.4.7']]);

  // the whole message held (by id)
  const whole: QueueState = { id: 'M1', created: T0, held: true, recipients: [rcpt('z@open.test', 'remote')] };
  const m = recordRemote({ q, logger, now: LATE, held: () => whole.held }, whole, env, 'route:x', [temp('z@open.test')], 5);
  assert.equal(whole.recipients[0].status, 'deferred');
  assert.equal(m.failed.length, 0);
});

test('local: a message held during its local retry is deferred, not expired, after the lifetime', () => {
  const st: QueueState = { id: 'M1', created: T0, held: true, recipients: [rcpt('b@example.test', 'local')] };
  const n = recordLocalDeferrals({ q, logger, now: LATE, held: () => st.held }, st, env, [{ address: 'b@example.test', reason: '4.3.0 Local delivery failed: ENOSPC' }]);
  assert.equal(st.recipients[0].status, 'deferred');
  assert.equal(st.recipients[0].attempts, 1);
  assert.equal(n.failed.length, 0);
  // without the hold the same failure expires it (the rule itself is unchanged)
  const open: QueueState = { id: 'M1', created: T0, held: false, recipients: [rcpt('b@example.test', 'local')] };
  const o = recordLocalDeferrals({ q, logger, now: LATE, held: () => open.held }, open, env, [{ address: 'b@example.test', reason: '4.3.0 Local delivery failed: ENOSPC' }]);
  assert.equal(open.recipients[0].status, 'failed');
  assert.equal(o.failed.length, 1);
});
