// Held mail expires at `[queue] hold_lifetime`, not at `max_queue_lifetime`: mail for a spooler route whose
// server never comes back, a message held by id, and mail for a domain held by the operator are each
// bounced (4.4.7, DSN to the local sender) once older than hold_lifetime, and leave the queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { freePort } from '../helpers/server.js';
import { logText, message, queueList, readMail, setup, submit, until, type Setup } from './helpers.js';

let sink: Sink;
let s: Setup;

const HOLD_LIFETIME_MS = 6000;

before(async () => {
  sink = await startSink({ tempFail: ['stuck@remote.test'] });
  const deadPort = await freePort();
  s = await setup({
    mxPort: sink.port,
    records: [
      { name: 'remote.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'held.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'mx.remote.test', type: 'A', data: '127.0.0.1' },
    ],
    toml: [
      '[queue]',
      'retry_schedule = ["30s"]',
      'max_queue_lifetime = "3s"',
      `hold_lifetime = "${HOLD_LIFETIME_MS / 1000}s"`,
      // a spooler route whose server never answers
      '[[route]]',
      'domain = "branch.test"',
      `to = "127.0.0.1:${deadPort}"`,
      'hold = true',
    ].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await sink?.close();
});

function bounceFor(rcpt: string): string | undefined {
  return readMail(s.srv.maildir('alice@example.test')).find((t) => t.includes(rcpt) && /multipart\/report/.test(t));
}

test('held mail outlives max_queue_lifetime, then is bounced at hold_lifetime (spooler route, message hold, domain hold)', { timeout: 40_000 }, async () => {
  const srv = s.srv;
  assert.equal(srv.cli(['queue', 'hold', '--domain', 'held.test']).status, 0);
  const t0 = Date.now();
  await submit(srv.ports.smtp, 'alice@example.test', ['office@branch.test'], message('alice@example.test', 'office@branch.test', 'to the branch'));
  await submit(srv.ports.smtp, 'alice@example.test', ['someone@held.test'], message('alice@example.test', 'someone@held.test', 'to a held domain'));
  await submit(srv.ports.smtp, 'alice@example.test', ['stuck@remote.test'], message('alice@example.test', 'stuck@remote.test', 'to be held by id'));
  // the temp-failing one is deferred after its first attempt; hold it by id before its next one (at 3 s, where
  // max_queue_lifetime would expire it)
  const stuck = await until('stuck deferred', () => queueList(srv).find((m) => m.recipients[0]?.address === 'stuck@remote.test' && m.state === 'deferred'), 5000, 50);
  const held = srv.cli(['queue', 'hold', stuck.id]);
  assert.equal(held.status, 0, held.stderr);
  assert.ok(Date.now() - t0 < 2500, 'held before max_queue_lifetime');

  // past max_queue_lifetime (3 s) and before hold_lifetime (6 s): all three still queued, on hold
  await new Promise((r) => setTimeout(r, Math.max(0, t0 + 4000 - Date.now())));
  const mid = queueList(srv);
  for (const rcpt of ['office@branch.test', 'someone@held.test', 'stuck@remote.test']) {
    const m = mid.find((x) => x.recipients.some((r) => r.address === rcpt));
    assert.ok(m, `${rcpt} is still queued after max_queue_lifetime: ${JSON.stringify(mid)}`);
    assert.equal(m.state, 'hold', rcpt);
  }
  assert.equal(bounceFor('office@branch.test'), undefined);

  // after hold_lifetime (checked every second): each is bounced to the sender and leaves the queue
  for (const rcpt of ['office@branch.test', 'someone@held.test', 'stuck@remote.test']) {
    const dsn = await until(`bounce for ${rcpt}`, () => bounceFor(rcpt), 10_000);
    assert.match(dsn, /Action: failed/);
    assert.match(dsn, /Status: 4\.4\.7/);
    assert.match(dsn, /hold_lifetime/);
  }
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= HOLD_LIFETIME_MS, `not before hold_lifetime (${elapsed} ms)`);
  assert.match(bounceFor('stuck@remote.test')!, /451/, 'the last error is quoted');
  await until('queue empty', () => queueList(srv).length === 0, 5000);
  const log = logText(srv);
  assert.equal((log.match(/expired-held id=/g) ?? []).length, 3, log);
  assert.doesNotMatch(log, /\bexpired id=/, 'not expired by max_queue_lifetime');
  assert.equal(sink.messages.filter((m) => m.to.some((r) => /branch|held/.test(r))).length, 0, 'nothing held was sent');
});
