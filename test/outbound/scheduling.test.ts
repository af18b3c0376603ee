// Per-destination concurrency with slow start: a burst of mail to one slow destination never opens more
// than [queue] per_destination connections at once, starts with initial_concurrency and grows past it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { message, queueList, setup, submit, until, type Setup } from './helpers.js';

let sink: Sink;
let s: Setup;
// Sessions the sink has open. One whose message got its 250 is finishing: tegami counts the slot free at that 250
// and sends QUIT, but the sink hears of the close a turn later (smtp-server calls onClose from setImmediate after the
// socket's close), so on a busy machine the next connection can arrive first. Such a session is not counted.
const live = new Set<string>();
let maxOpen = 0;
const timeline: number[] = [];
const delivering = () => [...live].filter((id) => !sink.messages.some((m) => m.sessionId === id)).length;

before(async () => {
  sink = await startSink({
    // each delivery holds its connection a while, so deliveries running together overlap at the sink
    delays: { data: 1000 },
    server: {
      onConnect(session: { id: string }, cb: () => void) {
        live.add(session.id);
        const open = delivering();
        maxOpen = Math.max(maxOpen, open);
        timeline.push(open);
        cb();
      },
      onClose(session: { id: string }) {
        live.delete(session.id);
      },
    } as never,
  });
  s = await setup({
    mxPort: sink.port,
    records: [
      { name: 'remote.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'mx.remote.test', type: 'A', data: '127.0.0.1' },
    ],
    toml: ['[queue]', 'per_destination = 3', '[outbound]', 'initial_concurrency = 1', 'idle_reuse = "0s"'].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await sink?.close();
});

test('a burst to one destination stays within per_destination connections, growing from one', async () => {
  // the burst is queued whole (the domain held), then released at once: however slowly the machine submits,
  // the scheduler has twelve messages waiting for one destination
  assert.equal(s.srv.cli(['queue', 'hold', '--domain', 'remote.test']).status, 0);
  for (let i = 0; i < 12; i++) await submit(s.srv.ports.smtp, 'alice@example.test', [`u${i}@remote.test`], message('alice@example.test', `u${i}@remote.test`, `burst ${i}`));
  await until('twelve queued', async () => (await queueList(s.srv)).length === 12);
  assert.equal(sink.messages.length, 0);
  assert.equal(s.srv.cli(['queue', 'release', '--domain', 'remote.test']).status, 0);
  await sink.waitFor(12, 120_000);
  assert.ok(maxOpen <= 3, `at most 3 connections at once (saw ${maxOpen})`);
  assert.ok(maxOpen >= 2, `concurrency grew after successes (saw ${maxOpen})`);
  assert.deepEqual(sink.messages.flatMap((m) => m.to).sort(), Array.from({ length: 12 }, (_, i) => `u${i}@remote.test`).sort());
  await until('queue empty', async () => (await queueList(s.srv)).length === 0);
});
