// Held mail expires at `[queue] hold_lifetime`, not at `max_queue_lifetime`: mail for a spooler route whose
// server never comes back, a message held by id, and mail for a domain held by the operator are each
// bounced (4.4.7, DSN to the local sender) once older than hold_lifetime, and leave the queue.
// Nothing here races the clock. The message held by id is held while its first attempt waits for the
// remote reply (a gated server), under lifetimes of an hour; then the server is restarted with
// max_queue_lifetime = 1 s (all three are older: still queued, on hold), and once more with a hold_lifetime a
// few seconds beyond their age, which the sweep must honour (checked on the delay it logs, never on the
// test's clock). The expiry arithmetic itself is unit-tested with an injected clock (HoldSweep.expire(now)).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { SMTPServer } from 'smtp-server';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { CLOSED_PORT } from '../helpers/server.js';
import { logText, message, queueList, readMail, setup, submit, until, type Setup } from './helpers.js';

let sink: Sink;
let s: Setup;
let gated: SMTPServer;
let rcptSeen = false;
let release!: () => void;
const released = new Promise<void>((r) => (release = r));

before(async () => {
  sink = await startSink({});
  // stuck.test's server takes the RCPT, then answers it 451 only when the test says so
  gated = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(_addr, _session, cb) {
      rcptSeen = true;
      // eslint-disable-next-line @typescript-eslint/no-floating-promises -- `released` only ever resolves
      void released.then(() => cb(Object.assign(new Error('4.3.0 busy, try again later'), { responseCode: 451 })));
    },
  });
  await new Promise<void>((r) => gated.listen(0, '127.0.0.1', () => r()));
  const gatedPort = (gated.server.address() as { port: number }).port;
  s = await setup({
    mxPort: sink.port,
    records: [
      { name: 'held.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'mx.remote.test', type: 'A', data: '127.0.0.1' },
    ],
    toml: [
      '[queue]',
      'retry_schedule = ["30s"]',
      'max_queue_lifetime = "1h"',
      'hold_lifetime = "1h"',
      // a spooler route whose server never answers (nothing listens on the discard port)
      '[[route]]',
      'domain = "branch.test"',
      `to = "127.0.0.1:${CLOSED_PORT}"`,
      'hold = true',
      '[[route]]',
      'domain = "stuck.test"',
      `to = "127.0.0.1:${gatedPort}"`,
    ].join('\n'),
  });
});

after(async () => {
  release();
  await s?.close();
  await sink?.close();
  await new Promise<void>((r) => (gated ? gated.close(() => r()) : r()));
});

function bounceFor(rcpt: string): string | undefined {
  return readMail(s.srv.maildir('alice@example.test')).find((t) => t.includes(rcpt) && /multipart\/report/.test(t));
}

/** Restart the server with other lifetimes (ms), as an operator would after editing the config. */
async function restartWith(maxQueueMs: number, holdMs: number): Promise<void> {
  const file = s.srv.configPath;
  const text = fs.readFileSync(file, 'utf8').replace(/^max_queue_lifetime = .*$/m, `max_queue_lifetime = "${maxQueueMs}ms"`).replace(/^hold_lifetime = .*$/m, `hold_lifetime = "${holdMs}ms"`);
  fs.writeFileSync(file, text);
  await s.srv.restart();
}

test('held mail outlives max_queue_lifetime, then is bounced at hold_lifetime (spooler route, message hold, domain hold)', async () => {
  const srv = s.srv;
  const RCPTS = ['office@branch.test', 'someone@held.test', 'stuck@stuck.test'];
  assert.equal(srv.cli(['queue', 'hold', '--domain', 'held.test']).status, 0);
  await submit(srv.ports.smtp, 'alice@example.test', ['office@branch.test'], message('alice@example.test', 'office@branch.test', 'to the branch'));
  await submit(srv.ports.smtp, 'alice@example.test', ['someone@held.test'], message('alice@example.test', 'someone@held.test', 'to a held domain'));
  await submit(srv.ports.smtp, 'alice@example.test', ['stuck@stuck.test'], message('alice@example.test', 'stuck@stuck.test', 'to be held by id'));

  // its first attempt waits for the RCPT reply: hold it by id now, then let the server answer 451
  await until('the first attempt at stuck.test', () => rcptSeen, 120_000, 50);
  const stuck = await until('stuck queued', async () => (await queueList(srv)).find((m) => m.recipients[0]?.address === 'stuck@stuck.test'), 120_000, 50);
  const held = srv.cli(['queue', 'hold', stuck.id]);
  assert.equal(held.status, 0, held.stderr);
  release();
  await until('stuck deferred, on hold', async () => (await queueList(srv)).find((m) => m.id === stuck.id && m.state === 'hold' && /451/.test(m.recipients[0]?.last_error ?? '')), 120_000, 100);

  // max_queue_lifetime 1 s, which all three have outlived (hold_lifetime still an hour): still queued, on hold
  const oldest = Math.min(...(await queueList(srv)).map((m) => Date.parse(m.arrival)));
  await until('older than max_queue_lifetime', () => Date.now() > oldest + 1000 + 1000, 120_000);
  await restartWith(1000, 3_600_000);
  const mid = await queueList(srv);
  for (const rcpt of RCPTS) {
    const m = mid.find((x) => x.recipients.some((r) => r.address === rcpt));
    assert.ok(m, `${rcpt} is still queued after max_queue_lifetime: ${JSON.stringify(mid)}`);
    assert.equal(m.state, 'hold', rcpt);
  }
  assert.equal(bounceFor('office@branch.test'), undefined);

  // a hold_lifetime 5 s beyond the oldest one's age (swept every second): each is bounced, none before it
  const hold = Date.now() - oldest + 5000;
  await restartWith(1000, hold);
  for (const rcpt of RCPTS) {
    const dsn = await until(`bounce for ${rcpt}`, () => bounceFor(rcpt), hold + 60_000, 250);
    assert.match(dsn, /Action: failed/);
    assert.match(dsn, /Status: 4\.4\.7/);
    assert.match(dsn, /hold_lifetime/);
  }
  assert.match(bounceFor('stuck@stuck.test')!, /451/, 'the last error is quoted');
  await until('queue empty', async () => (await queueList(srv)).length === 0, 120_000);
  const log = logText(srv);
  const expired = [...log.matchAll(/expired-held id=\S+ rcpt=(\S+) .*delay_ms=(\d+)/g)];
  assert.deepEqual(expired.map((m) => m[1]).sort(), RCPTS.slice().sort(), log);
  for (const m of expired) assert.ok(Number(m[2]) >= hold, `${m[1]} expired after ${m[2]} ms in the queue, not before hold_lifetime (${hold} ms)`);
  assert.doesNotMatch(log, /\bexpired id=/, 'not expired by max_queue_lifetime');
  assert.equal(sink.messages.filter((m) => m.to.some((r) => /branch|held/.test(r))).length, 0, 'nothing held was sent');
});
