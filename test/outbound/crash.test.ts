// A crash in the middle of a delivery (SIGKILL of the server while a batch waits for the remote reply)
// loses nothing: after a restart, what was not confirmed is delivered again, what was confirmed is not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { logText, message, queueList, setup, submit, until, type Setup } from './helpers.js';

let fast: Sink;
let slow: Sink;
let s: Setup;
/** The slow sink answers the final dot only when the test lets it (after the SIGKILL). */
let release!: () => void;
const answered = new Promise<void>((r) => (release = r));
/** Resolves when the slow sink has the whole message (the final dot) and holds its answer. */
let dotSeen!: () => void;
const dotReached = new Promise<void>((r) => (dotSeen = r));

before(async () => {
  fast = await startSink();
  // the slow one holds its answer to the final dot until the test releases it
  slow = await startSink({
    holdData: () => {
      dotSeen();
      return answered;
    },
  });
  s = await setup({
    mxPort: 1,
    toml: ['[queue]', 'retry_schedule = ["1s"]', '[[route]]', 'domain = "fast.test"', `to = "${fast.address}"`, '[[route]]', 'domain = "slow.test"', `to = "${slow.address}"`].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await fast?.close();
  await slow?.close();
});

test('SIGKILL while a batch is in flight: the confirmed recipient is not re-sent, the unconfirmed one is', async () => {
  await submit(s.srv.ports.smtp, 'alice@example.test', ['a@fast.test', 'b@slow.test'], message('alice@example.test', 'a@fast.test', 'crash test'));
  await fast.waitFor(1, 120_000);
  // a@fast.test recorded as sent; b@slow.test in flight (the slow sink holds its reply)
  const m = await until('a recorded, b in flight', async () => {
    const q = (await queueList(s.srv))[0];
    return q && q.recipients.length === 1 && q.recipients[0].address === 'b@slow.test' && q.state === 'active' ? q : null;
  });
  await dotReached;
  assert.equal(slow.messages.length, 0, 'no reply from the slow sink yet');
  await s.srv.stop('SIGKILL');
  release();

  // the slow sink still takes the message it had received in full (never confirmed to us)
  await slow.waitFor(1, 120_000);
  const after = await queueList(s.srv); // offline: on the files
  assert.equal(after.length, 1);
  assert.equal(after[0].id, m.id);
  assert.deepEqual(after[0].recipients.map((r) => r.address), ['b@slow.test']);

  await s.srv.restart();
  await slow.waitFor(2, 120_000);
  await until('queue empty', async () => (await queueList(s.srv)).length === 0, 120_000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(fast.messages.length, 1, 'the confirmed recipient got exactly one copy');
  assert.deepEqual(
    slow.messages.map((x) => x.to),
    [['b@slow.test'], ['b@slow.test']],
    'the unconfirmed recipient was delivered again (once) after the restart',
  );
  assert.match(logText(s.srv), /sent id=\S+ rcpt=b@slow\.test/);
});
