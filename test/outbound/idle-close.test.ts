// An idle outbound connection is closed with QUIT once `[outbound] idle_reuse` has passed, with no new
// task for the delivery worker: its idle timer runs while the worker waits for work (piscina's
// `atomics: 'async'`; with the default 'sync' the waiting thread was frozen and the connection stayed open
// until the next task woke it). The sink never closes idle clients itself here (10 min socket timeout), so
// only tegami's QUIT can end the connection. Asserted: it closes, not how fast.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { message, queueList, setup, submit, until, type Setup } from './helpers.js';
import { wiretap, type Wiretap } from './wiretap.js';

let sink: Sink;
let tap: Wiretap;
let s: Setup;

before(async () => {
  // plaintext, so the wiretap can read the QUIT
  sink = await startSink({ tls: 'none', server: { socketTimeout: 600_000 } });
  tap = await wiretap(sink.port);
  s = await setup({
    mxPort: tap.port,
    records: [
      { name: 'remote.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'mx.remote.test', type: 'A', data: '127.0.0.1' },
    ],
    toml: ['[queue]', 'workers = 1', '[outbound]', 'idle_reuse = "2s"', 'connect_timeout = "15s"'].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await tap?.close();
  await sink?.close();
});

test('the idle connection to a remote MTA is closed with QUIT after idle_reuse, without a new task', async () => {
  const r = await submit(s.srv.ports.smtp, 'alice@example.test', ['bob@remote.test'], message('alice@example.test', 'bob@remote.test', 'then idle'));
  assert.equal(r.code, 250);
  await sink.waitFor(1, 120_000);
  await until('queue empty', async () => (await queueList(s.srv)).length === 0);
  assert.equal(tap.connections.length, 1);
  // nothing else is sent: only the worker's idle timer can end this connection now
  const conn = tap.connections[0];
  await until('the idle connection closed', () => !conn.open, 120_000, 200);
  assert.match(conn.sent, /\r\nQUIT\r\n$/, `tegami ended it with QUIT: ${JSON.stringify(conn.sent.slice(-200))}`);
  assert.equal(tap.connections.length, 1, 'no other connection');
  assert.equal(sink.messages.length, 1);
});
