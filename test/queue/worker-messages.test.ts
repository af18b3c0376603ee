// What crosses between the main thread and the workers is checked against a schema: good messages pass
// unchanged (fields added by a newer side are kept, shared buffers stay the same object), bad ones are refused
// with the path of what was wrong.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { checked, deliverResultCheck, deliverTaskCheck, processResultCheck, processTaskCheck } from '../../engine/queue/worker-messages.js';
import type { Envelope } from '../../engine/spool/envelope.js';

const env: Envelope = { id: 'ABC123', time: 1, mailFrom: '', rcptTo: [{ address: '山田@example.jp', kind: 'local' }], client: { ip: '::1', helo: 'h', protocol: 'ESMTP', listener: 'smtp' } };

it('accepts good task and result messages and keeps what it does not know', () => {
  const shared = new SharedArrayBuffer(8);
  const task = checked(processTaskCheck, { id: 'ABC123', shared, file: '/x', bodyOffset: 12, envelope: env, recovered: false, future: 1 }, 'task');
  assert.equal(task.shared, shared, 'the shared buffer is passed through, not copied');
  assert.equal((task as unknown as { future: number }).future, 1);
  const result = { delivered: [{ owner: 'a@example.jp', folder: 'INBOX', rcpt: 'a@example.jp' }], remote: [], failed: [], tempFailed: [], skippedDuplicates: 0, analysis: { score: 1.5, tags: ['PHRASE'], action: 'inbox' } };
  assert.deepEqual(checked(processResultCheck, result, 'result'), result);
  const dr = { recipients: [{ address: 'b@remote.test', kind: 'sent', status: '2.0.0', reply: '250 ok' }], attempts: [{ host: 'mx', ip: '192.0.2.1', port: 25, reply: '250', ms: 3, stage: 'transaction' }], unreachable: false, dkim: { domain: 'example.jp', selector: 's' } };
  assert.deepEqual(checked(deliverResultCheck, dr, 'result'), dr);
  const dt = { id: 'ABC123', file: '/x', bodyOffset: 12, envelope: env, destination: { key: 'mx:remote.test', kind: 'mx', domain: 'remote.test', hosts: [], requireTls: false, hold: false }, recipients: [{ address: 'b@remote.test' }] };
  assert.deepEqual(checked(deliverTaskCheck, dt, 'task'), dt);
});

it('reads null as absent, and a malformed detail that only feeds the log as nothing (an accepted delivery is never retried for it)', () => {
  const task = checked(processTaskCheck, { id: 'A1', file: '/x', bodyOffset: 0, envelope: { ...env, dsn: { ret: 'HDRS', envid: null } }, recovered: false, fd: null }, 'task');
  assert.deepEqual(task.envelope.dsn, { ret: 'HDRS', envid: undefined });
  const r = checked(deliverResultCheck, { recipients: [{ address: 'b@remote.test', kind: 'sent', status: '2.0.0', reply: '250 ok', remoteMta: 42 }], attempts: [{ host: 'mx', ip: null }], unreachable: 'no', dkim: 'yes' }, 'result');
  assert.deepEqual(r, { recipients: [{ address: 'b@remote.test', kind: 'sent', status: '2.0.0', reply: '250 ok', remoteMta: undefined }], attempts: [], unreachable: false, dkim: undefined });
});

it('refuses damaged messages, naming what was wrong', () => {
  const bad: [unknown, RegExp][] = [
    [{ delivered: 'all', remote: [], failed: [], tempFailed: [], skippedDuplicates: 0 }, /result does not match its schema: delivered: /],
    [{ delivered: [], remote: [], failed: [{ address: 'x' }], tempFailed: [], skippedDuplicates: 0 }, /failed\.0\.reason: /],
    [{ delivered: [], remote: [{ address: 'x@remote.test' }], failed: [], tempFailed: [], skippedDuplicates: 0 }, /remote\.0\.rcpt: /],
    [null, /result does not match/],
  ];
  for (const [value, want] of bad) assert.throws(() => checked(processResultCheck, value, 'result'), want);
  assert.throws(() => checked(deliverResultCheck, { recipients: [{ address: 'b', kind: 'maybe', status: '', reply: '' }], attempts: [], unreachable: false }, 'result'), /recipients\.0\.kind: /);
  assert.throws(() => checked(processTaskCheck, { id: '../etc', file: '/x', bodyOffset: 0, envelope: env, recovered: false }, 'task'), /id: /);
  assert.throws(() => checked(deliverResultCheck, { recipients: [{ kind: 'sent', status: '2.0.0', reply: '250' }], attempts: [], unreachable: false }, 'result'), /recipients\.0\.address: /);
  assert.throws(() => checked(processTaskCheck, { id: 'A1', file: '/x', bodyOffset: 0, envelope: { ...env, rcptTo: [{ address: 'a', kind: 'elsewhere' }] }, recovered: false }, 'task'), /envelope\.rcptTo\.0\.kind: /);
});
