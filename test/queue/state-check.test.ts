// The check of a queue state file read back from disk (engine/queue/state.ts): a table of states, damaged and
// not, with the checked value or the path a refusal names. Written against the zod schema the hand-written
// check replaced; loadState() reports a refusal as "bad state: <path>: …" and the message is delivered again.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkQueueState, loadState, statePath } from '../../engine/queue/state.js';

const rcpt = (over: Record<string, unknown> = {}) => ({ address: '山田@例え.jp', rcpt: '山田@例え.jp', kind: 'remote', status: 'deferred', attempts: 2, nextAttempt: 1_700_000_600_000, ...over });
const state = (over: Record<string, unknown> = {}) => ({ id: 'ABC123', created: 1_700_000_000_000, held: false, recipients: [rcpt()], ...over });

const rows: [string, unknown, { out: unknown } | { path: string }][] = [
  ['a plain state', state(), { out: state() }],
  ['every optional field, and one a newer writer added', state({ delayWarned: true, future: 1, recipients: [rcpt({ lastAttempt: 5, lastError: '451 4.7.1 greylisted', notify: ['FAILURE'], orcpt: 'rfc822;a@b', x: [1] })] }), { out: state({ delayWarned: true, future: 1, recipients: [rcpt({ lastAttempt: 5, lastError: '451 4.7.1 greylisted', notify: ['FAILURE'], orcpt: 'rfc822;a@b', x: [1] })] }) }],
  ['null optional fields read as absent', state({ delayWarned: null, recipients: [rcpt({ lastAttempt: null, lastError: null, notify: null, orcpt: null })] }), { out: state({ delayWarned: undefined, recipients: [rcpt({ lastAttempt: undefined, lastError: undefined, notify: undefined, orcpt: undefined })] }) }],
  ['no recipients at all is a state (nothing left)', state({ recipients: [] }), { out: state({ recipients: [] }) }],
  ['an id with a slash', state({ id: 'AB/12' }), { path: 'id' }],
  ['a numeric id', state({ id: 123 }), { path: 'id' }],
  ['created as a string', state({ created: '2026-12-05' }), { path: 'created' }],
  ['created infinite', state({ created: Infinity }), { path: 'created' }],
  ['held as a number', state({ held: 0 }), { path: 'held' }],
  ['no held', { ...state(), held: undefined }, { path: 'held' }],
  ['recipients as an object', state({ recipients: { 0: rcpt() } }), { path: 'recipients' }],
  ['a null recipient', state({ recipients: [rcpt(), null] }), { path: 'recipients.1' }],
  ['a recipient without its RCPT', state({ recipients: [{ ...rcpt(), rcpt: undefined }] }), { path: 'recipients.0.rcpt' }],
  ['a recipient of another kind', state({ recipients: [rcpt({ kind: 'lmtp' })] }), { path: 'recipients.0.kind' }],
  ['a recipient of another status', state({ recipients: [rcpt({ status: 'bounced' })] }), { path: 'recipients.0.status' }],
  ['a negative attempt count', state({ recipients: [rcpt({ attempts: -1 })] }), { path: 'recipients.0.attempts' }],
  ['a fractional attempt count', state({ recipients: [rcpt({ attempts: 1.5 })] }), { path: 'recipients.0.attempts' }],
  ['a NaN next attempt', state({ recipients: [rcpt({ nextAttempt: NaN })] }), { path: 'recipients.0.nextAttempt' }],
  ['a last attempt as a date string', state({ recipients: [rcpt({ lastAttempt: '2026-12-05' })] }), { path: 'recipients.0.lastAttempt' }],
  ['a last error as an object', state({ recipients: [rcpt({ lastError: { code: 451 } })] }), { path: 'recipients.0.lastError' }],
  ['a NOTIFY list with a number', state({ recipients: [rcpt({ notify: ['SUCCESS', 1] })] }), { path: 'recipients.0.notify.1' }],
  ['delayWarned as a string', state({ delayWarned: 'yes' }), { path: 'delayWarned' }],
  ['the worker\'s "no notice" reason kept', state({ noNotice: 'the sender may be forged' }), { out: state({ noNotice: 'the sender may be forged' }) }],
  ['noNotice null reads as absent (older writers have none)', state({ noNotice: null }), { out: state({ noNotice: undefined }) }],
  ['noNotice as a boolean', state({ noNotice: true }), { path: 'noNotice' }],
  ['noNotice too long', state({ noNotice: 'x'.repeat(201) }), { path: 'noNotice' }],
  ['a state that is an array', [state()], { path: '' }],
  ['a state that is null', null, { path: '' }],
  ['a state that is a number', 7, { path: '' }],
  ['a hole among the recipients', state({ recipients: Object.assign([rcpt()], { length: 2 }) }), { path: 'recipients.1' }],
];

it('checks every row of the table as the schema it replaced did', () => {
  for (const [what, input, want] of rows) {
    if ('out' in want) assert.deepEqual(checkQueueState(input), want.out, what);
    else
      assert.throws(
        () => checkQueueState(input),
        (e: Error & { path?: string }) => e.path === want.path,
        what,
      );
  }
});

it('reports a damaged state file read from disk with the path of what is wrong', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-state-'));
  try {
    fs.writeFileSync(statePath(dir, 'ABC123'), JSON.stringify(state({ recipients: [rcpt({ status: 'bounced' })] })));
    const r = await loadState(dir, 'ABC123');
    assert.equal(r.kind, 'corrupt');
    assert.match(r.kind === 'corrupt' ? r.reason : '', /^bad state: recipients\.0\.status: /);
    fs.writeFileSync(statePath(dir, 'ABC123'), JSON.stringify(state()));
    assert.deepEqual(await loadState(dir, 'ABC123'), { kind: 'ok', state: state() });
    fs.writeFileSync(statePath(dir, 'OTHER1'), JSON.stringify(state()));
    assert.match(JSON.stringify(await loadState(dir, 'OTHER1')), /the state names \\"ABC123\\", not the file's id/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('drops an own "__proto__" field of a state file, as the zod schema did (copied on, it would set a prototype)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-state-'));
  try {
    const json = JSON.stringify(state()).replace('{', '{"__proto__":{"held":true},').replace('"attempts"', '"__proto__":{"status":"sent"},"attempts"');
    fs.writeFileSync(statePath(dir, 'ABC123'), json);
    const r = await loadState(dir, 'ABC123');
    assert.equal(r.kind, 'ok');
    const s = r.kind === 'ok' ? r.state : state();
    assert.equal(Object.hasOwn(s, '__proto__'), false);
    assert.equal(Object.hasOwn(s.recipients[0], '__proto__'), false);
    assert.equal(JSON.stringify(s).includes('__proto__'), false, 'saved again, it would be written back');
    assert.deepEqual(s, state());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
