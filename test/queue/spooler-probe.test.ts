// A spooler route's probe must end whatever the host does. Here the host first accepts each connection
// and closes it without a greeting (a server going down, a firewall), then comes back as a real SMTP
// server: the held mail must be delivered once it answers properly. The probe used to wait forever for a
// greeting on a connection that was already closed (no close/end path), so the route was never probed
// again and its mail stayed queued until a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { message, queueList, setup, submit, until, type Setup } from '../outbound/helpers.js';
import { wiretap, type Wiretap } from '../outbound/wiretap.js';

let sink: Sink;
let branch: Wiretap;
let s: Setup;

before(async () => {
  sink = await startSink({});
  // the branch office's port: accepts and closes at once, until the test lets it through to the sink
  branch = await wiretap(sink.port, 'drop');
  s = await setup({
    mxPort: sink.port,
    toml: ['[queue]', 'retry_schedule = ["1s"]', '[[route]]', 'domain = "branch.test"', `to = "127.0.0.1:${branch.port}"`, 'hold = true'].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await branch?.close();
  await sink?.close();
});

test('a spooler route whose host closes without a greeting is probed again, and delivered to once it answers', async () => {
  const srv = s.srv;
  const r = await submit(srv.ports.smtp, 'alice@example.test', ['boss@branch.test'], message('alice@example.test', 'boss@branch.test', 'to the branch office'));
  assert.equal(r.code, 250);
  const m = await until('spooled, on hold', () => queueList(srv).find((x) => x.recipients[0]?.address === 'boss@branch.test' && x.state === 'hold'), 30_000, 100);
  // the probe has met the silent close at least once (probes run every second)
  await until('a probe dropped', () => branch.dropped >= 1, 30_000, 50);
  assert.equal(sink.messages.length, 0);

  branch.mode = 'forward';
  const [got] = await sink.waitFor(1, 60_000);
  assert.deepEqual(got.to, ['boss@branch.test']);
  await until('queue empty', () => !queueList(srv).some((x) => x.id === m.id), 30_000, 100);
});
