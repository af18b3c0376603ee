// Locally deferred recipients expire at `[queue] max_queue_lifetime` like remote ones: a file in the way of
// the user's Maildir makes every local delivery fail temporarily; with a 10 s lifetime (retried every second,
// warned after one) the sender first gets a delay warning, then a 4.4.7 bounce quoting the last error, the
// queue empties and the log says `expired`. A null-sender message expires the same way but is never bounced.
// Sent with swaks, a client we did not write. Times are judged on what the server records (arrival, next
// attempt, log order), never on the test's clock; the rules themselves are unit-tested with an injected clock
// (recipient-outcomes.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { logText, queueList, readMail, until, type ListedMessage } from './helpers.js';

let srv: TestServer;

const LIFETIME_MS = 10_000;

before(async () => {
  srv = await startTestServer({
    users: [
      { address: 'alice@example.test', password: 'alice-secret-1' },
      { address: 'bobby@example.test', password: 'bobby-secret-1' },
    ],
    toml: ['[queue]', 'retry_schedule = ["1s"]', `max_queue_lifetime = "${LIFETIME_MS / 1000}s"`, 'delay_warning = "1s"', '[spam]', 'enabled = false'].join('\n'),
  });
  const maildir = path.join(srv.dataDir, 'mail', 'example.test', 'bobby', 'Maildir');
  // a regular file where the Maildir should be: every write into it fails (ENOTDIR), even for root
  fs.rmSync(maildir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(maildir), { recursive: true });
  fs.writeFileSync(maildir, 'in the way\n');
});

after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

function notices(action: string): string[] {
  return readMail(srv.maildir('alice@example.test')).filter((t) => /multipart\/report/.test(t) && new RegExp(`^Action: ${action}`, 'm').test(t));
}

/** Send with swaks; the queue entry once its first local attempt failed. */
async function swaks(from: string, subject: string): Promise<ListedMessage> {
  const sent = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--from', from, '--to', 'bobby@example.test', '--header', `Subject: ${subject}`, '--body', 'hello bob']);
  assert.equal(sent.code, 0, sent.stdout + sent.stderr);
  assert.match(sent.stdout, /<- {1,2}250 [\d.]* ?(Ok|Queued|.*queued)/i);
  const m = await until(`${subject} deferred locally`, async () => (await queueList(srv)).find((x) => x.sender === (from === '<>' ? '' : from) && x.recipients.some((r) => r.address === 'bobby@example.test' && r.status === 'deferred')), 120_000, 50);
  return m;
}

test('a locally deferred recipient is bounced (4.4.7, last error quoted) at max_queue_lifetime and leaves the queue', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const t0 = Date.now();
  const first = await swaks('alice@example.test', 'local expiry');
  const id = first.id;
  const nullId = (await swaks('<>', 'local expiry, null sender')).id;

  // the first attempt failed and the next one is never past the lifetime (back-off capped at expiry)
  assert.match(first.recipients[0].last_error ?? '', /4\.3\.0 Local delivery failed/);
  assert.ok(Date.parse(first.next_attempt!) <= Date.parse(first.arrival) + LIFETIME_MS, `next attempt ${first.next_attempt}, arrived ${first.arrival}`);

  // a delay warning once past delay_warning (1 s), while it is still retried
  const warning = await until('delay warning', () => notices('delayed')[0], LIFETIME_MS + 120_000);
  assert.match(warning, /^Status: 4\.3\.0/m);
  assert.match(warning, /Will-Retry-Until:/);

  // then the bounce, not before max_queue_lifetime
  const bounce = await until('bounce', () => notices('failed')[0], LIFETIME_MS + 120_000);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= LIFETIME_MS, `bounced after ${elapsed} ms, not before the lifetime`);
  assert.match(bounce, /^To: <alice@example\.test>/m);
  assert.match(bounce, /^Final-Recipient: rfc822; bobby@example\.test/m);
  assert.match(bounce, /^Status: 4\.4\.7/m);
  assert.match(bounce, /Local delivery failed/, 'the last error is quoted');
  assert.match(bounce, /Subject: local expiry/, 'the original is returned');

  await until('queue empty', async () => (await queueList(srv)).length === 0, 120_000);
  const log = logText(srv);
  for (const x of [id, nullId]) assert.match(log, new RegExp(`expired id=${x} rcpt=bobby@example\\.test.*kind=local.*status=4\\.3\\.0`), log);
  // the warning went out while the message was still retried: logged before its expiry, after a deferral
  const at = (re: RegExp) => log.search(re);
  assert.ok(at(new RegExp(`dsn id=${id} .*action=delayed`)) > at(new RegExp(`deferred id=${id} `)), 'warned after a deferral');
  assert.ok(at(new RegExp(`dsn id=${id} .*action=delayed`)) < at(new RegExp(`expired id=${id} `)), 'warned before the expiry (still queued)');
  for (const m of log.matchAll(new RegExp(`expired id=(?:${id}|${nullId}) .*delay_ms=(\\d+)`, 'g'))) assert.ok(Number(m[1]) >= LIFETIME_MS, `expired after ${m[1]} ms in the queue`);
  assert.equal((log.match(/\bexpired id=/g) ?? []).length, 2, log);
  assert.match(log, new RegExp(`dsn-suppressed id=${nullId}\\b.*action=failed`), 'the null sender gets no bounce');
  assert.equal(notices('failed').length, 1, 'one bounce, to alice only');
  assert.equal(notices('delayed').length, 1, 'one delay warning, to alice only');
  assert.equal(srv.maildir('bobby@example.test').length, 0);
  t.diagnostic(`bounced ${elapsed} ms after sending (max_queue_lifetime ${LIFETIME_MS} ms, retry every 1 s)`);
});
