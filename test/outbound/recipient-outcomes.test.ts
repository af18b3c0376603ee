// The outcome rules alone (engine/queue/recipient-outcomes.ts), on a state in memory: a temporary failure is
// backed off on retry_schedule but never past max_queue_lifetime, the failing attempt at or after it expires
// the recipient (4.4.7, or its own 5.X.X code) for local and remote recipients alike, NOTIFY=NEVER gets no
// notice, and the delay warning goes once per message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '../../engine/log/logger.js';
import { recordLocalDeferrals, recordRemote, type OutcomeContext } from '../../engine/queue/recipient-outcomes.js';
import type { QueueState, RecipientState } from '../../engine/queue/state.js';
import type { Envelope } from '../../engine/spool/envelope.js';

const T0 = 1_700_000_000_000;
const q = { retry_schedule: [60_000, 600_000], max_queue_lifetime: 900_000, delay_warning: 120_000 } as OutcomeContext['q'];
const logger = new Logger({ files: false, stdout: false });
const env: Envelope = { id: 'M1', time: T0, mailFrom: 'a@example.test', rcptTo: [], client: { ip: '127.0.0.1', helo: 'h', protocol: 'ESMTP', listener: 'smtp' } };
const ctx = (now: number): OutcomeContext => ({ q, logger, now });
const rcpt = (address: string, kind: 'local' | 'remote', extra: Partial<RecipientState> = {}): RecipientState => ({ address, rcpt: address, kind, status: kind === 'local' ? 'deferred' : 'pending', attempts: 0, nextAttempt: T0, ...extra });
const LOCAL_ERR = '4.3.0 Local delivery failed: ENOTDIR: not a directory';

test('local: backed off on the schedule, capped at the lifetime, then expired with 4.4.7 quoting the last error', () => {
  const st: QueueState = { id: 'M1', created: T0, held: false, recipients: [rcpt('b@example.test', 'local'), rcpt('n@example.test', 'local', { notify: ['NEVER'] })] };
  const fail = [{ address: 'B@example.test', reason: LOCAL_ERR }, { address: 'n@example.test', reason: LOCAL_ERR }];
  let n = recordLocalDeferrals(ctx(T0), st, env, fail);
  assert.equal(st.recipients[0].status, 'deferred');
  assert.equal(st.recipients[0].attempts, 1);
  assert.equal(st.recipients[0].nextAttempt, T0 + 60_000);
  assert.equal(st.recipients[0].lastError, LOCAL_ERR);
  assert.deepEqual([n.failed.length, n.delayed.length], [0, 0]);

  // second failure at 6 min: its 10 min step would end past the 15 min lifetime, so the next attempt is at 15 min
  n = recordLocalDeferrals(ctx(T0 + 360_000), st, env, fail);
  assert.equal(st.recipients[0].nextAttempt, T0 + 900_000, 'never later than created + max_queue_lifetime');
  assert.equal(n.delayed.length, 1, 'a delay warning after delay_warning, for the recipient that wants one');
  assert.equal(n.delayed[0].willRetryUntil, T0 + 900_000);
  assert.equal(st.delayWarned, true);

  n = recordLocalDeferrals(ctx(T0 + 900_000), st, env, fail);
  assert.equal(n.delayed.length, 0, 'the delay warning goes once');
  assert.equal(st.recipients[0].status, 'failed');
  assert.match(st.recipients[0].lastError!, /^4\.4\.7 message expired after 900s in the queue; last error: 4\.3\.0 Local delivery failed/);
  assert.equal(st.recipients[1].status, 'failed', 'NOTIFY=NEVER expires too');
  assert.equal(n.failed.length, 1, 'but gets no notice');
  assert.equal(n.failed[0].status, '4.4.7');
  assert.equal(n.failed[0].address, 'b@example.test');
  assert.match(n.failed[0].diagnostic!, /Local delivery failed: ENOTDIR/);
  assert.equal(n.failed[0].fromRemote, false);

  // a recipient no longer open is left alone
  n = recordLocalDeferrals(ctx(T0 + 901_000), st, env, fail);
  assert.equal(st.recipients[0].attempts, 3);
  assert.equal(n.failed.length, 0);
});

test('remote: the same rule; a 5.X.X code met after the lifetime keeps its code; local recipients count for the delay warning', () => {
  const st: QueueState = { id: 'M1', created: T0, held: false, recipients: [rcpt('x@remote.test', 'remote'), rcpt('y@remote.test', 'remote'), rcpt('b@example.test', 'local', { attempts: 1, lastError: LOCAL_ERR })] };
  let n = recordRemote(ctx(T0 + 200_000), st, env, 'remote.test', [{ address: 'x@remote.test', kind: 'temp', status: '4.7.1', reply: '451 4.7.1 greylisted', remoteMta: 'mx.remote.test[127.0.0.1]' }, { address: 'y@remote.test', kind: 'temp', status: '4.4.1', reply: 'connection refused' }], 5);
  assert.equal(st.recipients[0].status, 'deferred');
  assert.equal(st.recipients[0].nextAttempt, T0 + 260_000);
  assert.equal(st.recipients[1].lastError, '4.4.1 connection refused');
  assert.deepEqual(n.delayed.map((r) => r.address).sort(), ['b@example.test', 'x@remote.test', 'y@remote.test']);

  n = recordRemote(ctx(T0 + 950_000), st, env, 'remote.test', [{ address: 'x@remote.test', kind: 'temp', status: '5.7.1', reply: '451 5.7.1 odd', remoteMta: 'mx.remote.test[127.0.0.1]' }, { address: 'y@remote.test', kind: 'temp', status: '4.4.1', reply: 'connection refused' }], 5);
  assert.deepEqual(n.failed.map((r) => [r.address, r.status, r.remoteMta ?? '']), [['x@remote.test', '5.7.1', 'mx.remote.test'], ['y@remote.test', '4.4.7', '']]);
  assert.equal(st.recipients[2].status, 'deferred', 'a remote result never touches a local recipient');
});
