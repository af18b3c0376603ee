// A spooler route's probe must end whatever the host does. Here the host first accepts each connection
// and closes it without a greeting (a server going down, a firewall), then comes back as a real SMTP
// server: the held mail must be delivered once it answers properly. The probe used to wait forever for a
// greeting on a connection that was already closed (no close/end path), so the route was never probed
// again and its mail stayed queued until a restart.
// Second: a branch office back after a long absence (its mail older than max_queue_lifetime) that greylists
// the first attempt. Mail of a spooler route is held mail (hold_lifetime governs it), so that 451 defers it
// until the next probe instead of bouncing it (it used to expire at once).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { logText, message, queueList, readMail, setup, submit, until, type Setup } from '../outbound/helpers.js';
import { wiretap, type Wiretap } from '../outbound/wiretap.js';

const LIFETIME_MS = 2000;
let sink: Sink;
let branch: Wiretap;
let greySink: Sink;
let grey: Wiretap;
let s: Setup;

before(async () => {
  sink = await startSink({});
  // the branch office's port: accepts and closes at once, until the test lets it through to the sink
  branch = await wiretap(sink.port, 'drop');
  greySink = await startSink({ greylist: true, greylistMs: 0 });
  grey = await wiretap(greySink.port, 'drop');
  s = await setup({
    mxPort: sink.port,
    toml: [
      '[queue]',
      'retry_schedule = ["1s"]',
      `max_queue_lifetime = "${LIFETIME_MS}ms"`,
      '[[route]]',
      'domain = "branch.test"',
      `to = "127.0.0.1:${branch.port}"`,
      'hold = true',
      '[[route]]',
      'domain = "grey.test"',
      `to = "127.0.0.1:${grey.port}"`,
      'hold = true',
    ].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await branch?.close();
  await sink?.close();
  await grey?.close();
  await greySink?.close();
});

test('a spooler route whose host closes without a greeting is probed again, and delivered to once it answers', async () => {
  const srv = s.srv;
  const r = await submit(srv.ports.smtp, 'alice@example.test', ['boss@branch.test'], message('alice@example.test', 'boss@branch.test', 'to the branch office'));
  assert.equal(r.code, 250);
  const m = await until('spooled, on hold', async () => (await queueList(srv)).find((x) => x.recipients[0]?.address === 'boss@branch.test' && x.state === 'hold'), 120_000, 100);
  // the probe has met the silent close at least once (probes run every second)
  await until('a probe dropped', () => branch.dropped >= 1, 120_000, 50);
  assert.equal(sink.messages.length, 0);

  branch.mode = 'forward';
  const [got] = await sink.waitFor(1, 120_000);
  assert.deepEqual(got.to, ['boss@branch.test']);
  await until('queue empty', async () => !(await queueList(srv)).some((x) => x.id === m.id), 120_000, 100);
});

test('a spooler route back after max_queue_lifetime that greylists the first attempt: deferred to the next probe, not bounced', async () => {
  const srv = s.srv;
  const r = await submit(srv.ports.smtp, 'alice@example.test', ['office@grey.test'], message('alice@example.test', 'office@grey.test', 'after the holiday'));
  assert.equal(r.code, 250);
  const m = await until('spooled, on hold', async () => (await queueList(srv)).find((x) => x.recipients[0]?.address === 'office@grey.test' && x.state === 'hold'), 120_000, 100);
  await until('older than max_queue_lifetime', () => Date.now() > Date.parse(m.arrival) + LIFETIME_MS + 1000, 120_000);

  grey.mode = 'forward';
  const [got] = await greySink.waitFor(1, 120_000);
  assert.deepEqual(got.to, ['office@grey.test']);
  assert.ok(greySink.events.some((e) => e.stage === 'rcpt' && e.code === 451), 'the first attempt was greylisted');
  await until('queue empty', async () => !(await queueList(srv)).some((x) => x.id === m.id), 120_000, 100);
  assert.doesNotMatch(logText(srv), /\bexpired id=\S+ rcpt=office@grey\.test/);
  assert.equal(readMail(srv.maildir('alice@example.test')).filter((t) => /multipart\/report/.test(t) && t.includes('office@grey.test')).length, 0, 'no bounce');
});
