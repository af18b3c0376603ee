// Slow start cuts a destination back after an attempt ended by [outbound] attempt_timeout (engine/queue/slow-start.ts,
// workers/deliver-remote.ts: an attempt that ran out counts as unreachable). A receiving server on port 0 that drips
// its RCPT reply a byte every 250 ms (never silent long enough for command_timeout) gets six messages, one job each,
// through a [[route]], with `initial_concurrency = 4`: the first attempts run at once and end at the deadline, each
// end halving the destination's slots (4, 2, 1, 1), so the messages still waiting then go one at a time — the last
// two sessions never overlap. If an attempt that ran out counted as reachable, the limit would grow instead and the
// waiting ones would start together as soon as the first attempts ended. Only the order of sessions is asserted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { answerWithDrippingRcpt, message, queueList, setup, submit, until, type Setup } from './helpers.js';

interface Session {
  opened: number;
  closed?: number;
}

/** A server that greets and answers EHLO at once, then drips its RCPT reply for ever; every session recorded in order. */
async function drippingRcpt(): Promise<{ port: number; sessions: Session[]; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const sessions: Session[] = [];
  let seq = 0; // a counter, not the clock: the order of opens and closes is what is asserted
  const server = net.createServer((c) => {
    sockets.add(c);
    const s: Session = { opened: ++seq };
    sessions.push(s);
    const drips: NodeJS.Timeout[] = [];
    c.on('close', () => {
      s.closed ??= ++seq;
      sockets.delete(c);
      drips.forEach(clearInterval);
    });
    c.on('end', () => (s.closed ??= ++seq));
    c.on('error', () => undefined);
    answerWithDrippingRcpt(c, (first) => {
      c.write(first);
      drips.push(setInterval(() => c.write('.'), 250));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    close: async () => {
      for (const c of sockets) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const MESSAGES = 6;
let mta: Awaited<ReturnType<typeof drippingRcpt>>;
let s: Setup;

before(async () => {
  mta = await drippingRcpt();
  s = await setup({
    mxPort: 9, // nothing goes by MX here: drip.test has a route
    toml: [
      '[queue]', 'retry_schedule = ["1h"]', 'per_destination = 8',
      '[[route]]', 'domain = "drip.test"', `to = "127.0.0.1:${mta.port}"`,
      '[outbound]', 'command_timeout = "5s"', 'connect_timeout = "5s"', 'attempt_timeout = "8s"', 'initial_concurrency = 4', 'idle_reuse = "0s"',
    ].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await mta?.close();
});

test('attempts ended by their deadline halve the destination\'s slots: the messages still waiting go one at a time', async () => {
  for (let i = 1; i <= MESSAGES; i++) {
    const r = await submit(s.srv.ports.smtp, 'alice@example.test', [`carol${i}@drip.test`], message('alice@example.test', `carol${i}@drip.test`, `dripped ${i}`));
    assert.equal(r.code, 250, r.text);
  }
  // every message tried once and deferred at its deadline (retried only an hour later)
  await until(
    'every message deferred',
    async () => (await queueList(s.srv)).filter((m) => m.recipients[0]?.address.endsWith('@drip.test') && m.state === 'deferred').length === MESSAGES,
    240_000,
    200,
  );
  await until('every session closed', () => mta.sessions.length === MESSAGES && mta.sessions.every((x) => x.closed), 120_000, 100);
  const seen = mta.sessions.map((x) => `${x.opened}-${x.closed}`).join(' ');
  const [fifth, sixth] = mta.sessions.slice(-2);
  assert.ok(sixth.opened > fifth.closed!, `the last two sessions overlap: the slots were not cut back (sessions ${seen})`);
  // and no more sessions at once than the halved limit allowed after the first attempt ended
  const firstEnd = Math.min(...mta.sessions.map((x) => x.closed!));
  const openAfter = mta.sessions.filter((x) => x.opened > firstEnd);
  for (const x of openAfter) {
    const overlapping = mta.sessions.filter((y) => y !== x && y.opened < x.opened && y.closed! > x.opened && y.opened > firstEnd);
    assert.equal(overlapping.length, 0, `a session opened after the first deadline ran beside another one opened after it (sessions ${seen})`);
  }
});
