// A receiving server that drips its replies, a byte every 250 ms (never silent long enough for command_timeout),
// held a delivery attempt for the sum of its per-step deadlines: the opening (connect + command timeout) on every
// MX address in turn, then four command timeouts for the transaction. With the defaults that is 5.5 minutes per
// address and 20 more for the transaction, while the attempt holds a slot of [outbound] max_active (shared by all
// destinations). `[outbound] attempt_timeout` now bounds the whole attempt: past it the recipients are deferred
// (4.4.2, "attempt deadline") and the remaining addresses are not tried. On the old code the six addresses below
// were each tried to their own session deadline, and the transaction ran to its "transaction deadline".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { answerWithDrippingRcpt, logText, message, queueList, setup, submit, until, type Setup } from './helpers.js';

const ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];

/** On every address of ADDRESSES (one port): slow@ hosts get a greeting that never ends; for the others the
 *  greeting and EHLO are quick and RCPT is answered a byte at a time for ever. Records which addresses were reached. */
async function drippingMta(): Promise<{ port: number; rcptPort: number; reached: Set<string>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const reached = new Set<string>();
  const servers: net.Server[] = [];
  const handler = (c: net.Socket) => {
    sockets.add(c);
    reached.add(c.localAddress ?? '');
    const drips: NodeJS.Timeout[] = [];
    const drip = (first: string) => {
      c.write(first);
      drips.push(setInterval(() => c.write('.'), 250));
    };
    c.on('close', () => {
      sockets.delete(c);
      drips.forEach(clearInterval);
    });
    c.on('error', () => undefined);
    // mx.slow.test's port: a greeting that never ends
    if ((c.address() as net.AddressInfo).port === slowPort) return drip('220-slow.lab.example.test ');
    answerWithDrippingRcpt(c, drip);
  };
  let slowPort = 0;
  const listen = (host: string, port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer(handler);
      servers.push(s);
      s.once('error', reject);
      s.listen(port, host, () => resolve((s.address() as net.AddressInfo).port));
    });
  slowPort = await listen(ADDRESSES[0], 0);
  for (const a of ADDRESSES.slice(1)) await listen(a, slowPort);
  // the transaction-dripping server: its own port on 127.0.0.1, reached through a [[route]]
  const rcptPort = await listen('127.0.0.1', 0);
  return {
    port: slowPort,
    rcptPort,
    reached,
    close: async () => {
      for (const c of sockets) c.destroy();
      await Promise.all(servers.map((x) => new Promise<void>((r) => x.close(() => r()))));
    },
  };
}

let mta: Awaited<ReturnType<typeof drippingMta>>;
let s: Setup;

before(async () => {
  mta = await drippingMta();
  s = await setup({
    mxPort: mta.port,
    records: [
      { name: 'slow.test', type: 'MX', data: '10 mx.slow.test' },
      ...ADDRESSES.map((a) => ({ name: 'mx.slow.test', type: 'A' as const, data: a })),
    ],
    // silence would end a session after 5 s, which a byte every 250 ms never is; the attempt gets 6 s
    toml: [
      '[queue]', 'retry_schedule = ["1h"]',
      '[[route]]', 'domain = "drip.test"', `to = "127.0.0.1:${mta.rcptPort}"`,
      '[outbound]', 'command_timeout = "5s"', 'connect_timeout = "5s"', 'attempt_timeout = "6s"',
    ].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await mta?.close();
});

test('a greeting dripped on every MX address: the attempt ends at its deadline, the other addresses are not tried', async () => {
  const r = await submit(s.srv.ports.smtp, 'alice@example.test', ['bob@slow.test'], message('alice@example.test', 'bob@slow.test', 'dripped greeting'));
  assert.equal(r.code, 250);
  await until('bob@slow.test deferred', async () => (await queueList(s.srv)).find((m) => m.recipients[0]?.address === 'bob@slow.test' && m.state === 'deferred'), 120_000, 200);
  // the main thread's log line may land just after the state: polled
  await until('the deadline logged', () => /attempt deadline/.test(logText(s.srv)), 120_000, 200);
  assert.ok(mta.reached.size < ADDRESSES.length, `reached ${[...mta.reached].join(', ')}: not every address`);
});

test('a reply dripped in the transaction: deferred at the attempt deadline, before the transaction deadline (4 command timeouts)', async () => {
  const r = await submit(s.srv.ports.smtp, 'alice@example.test', ['carol@drip.test'], message('alice@example.test', 'carol@drip.test', 'dripped rcpt'));
  assert.equal(r.code, 250);
  await until('carol@drip.test deferred', async () => (await queueList(s.srv)).find((m) => m.recipients[0]?.address === 'carol@drip.test' && m.state === 'deferred'), 120_000, 200);
  const carol = () => logText(s.srv).split('\n').filter((l) => l.includes('carol@drip.test'));
  await until('the deadline logged', () => carol().some((l) => /attempt deadline/.test(l)), 120_000, 200);
  const lines = carol();
  assert.ok(lines.some((l) => /no complete answer within \d+ ms \(attempt deadline\)/.test(l)), lines.join('\n'));
  assert.ok(!lines.some((l) => /transaction deadline/.test(l)), lines.join('\n'));
});
