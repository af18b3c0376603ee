// `tegami queue retry` hurries locally deferred recipients too: a local delivery that failed temporarily
// (a file in the way of the user's Maildir) waits for a 10-minute back-off; once the Maildir is fixed,
// `queue retry ID` (over the control socket) delivers it at once. Sent with swaks, a client we did not write.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { queueList, until } from './helpers.js';

let srv: TestServer;
let maildir: string;

before(async () => {
  srv = await startTestServer({
    users: [{ address: 'bobby@example.test', password: 'bobby-secret-1' }],
    toml: ['[queue]', 'retry_schedule = ["10m"]', '[spam]', 'enabled = false'].join('\n'),
  });
  maildir = path.join(srv.dataDir, 'mail', 'example.test', 'bobby', 'Maildir');
  // a regular file where the Maildir should be: every write into it fails (ENOTDIR), even for root
  fs.rmSync(maildir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(maildir), { recursive: true });
  fs.writeFileSync(maildir, 'in the way\n');
});

after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

test('queue retry delivers a locally deferred recipient at once, not after the back-off', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const sent = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--from', 'someone@elsewhere.test', '--to', 'bobby@example.test', '--header', 'Subject: local retry', '--body', 'hello bob']);
  assert.equal(sent.code, 0, sent.stdout + sent.stderr);
  assert.match(sent.stdout, /<- {1,2}250 [\d.]* ?(Ok|Queued|.*queued)/i);

  const m = await until('deferred locally', async () => (await queueList(srv)).find((x) => x.recipients.some((r) => r.address === 'bobby@example.test' && r.status === 'deferred')), 120_000);
  const r0 = m.recipients[0];
  assert.equal(r0.attempts, 1);
  assert.match(r0.last_error ?? '', /4\.3\.0 Local delivery failed/);
  assert.ok(Date.parse(m.next_attempt!) - Date.now() > 5 * 60_000, 'the back-off is minutes away');

  // still broken: retry runs it again now (a second attempt), and it stays deferred
  let r = srv.cli(['queue', 'retry', m.id]);
  assert.equal(r.status, 0, r.stderr);
  await until('second attempt', async () => (await queueList(srv)).find((x) => x.id === m.id && x.recipients[0].attempts === 2), 120_000);
  assert.equal(srv.maildir('bobby@example.test').length, 0);

  // fixed: retry delivers it right away and the queue is empty
  fs.rmSync(maildir, { force: true });
  const started = Date.now();
  r = srv.cli(['queue', 'retry', m.id]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /1/);
  const files = await srv.waitForMail('bobby@example.test', 1, 120_000);
  const took = Date.now() - started;
  assert.equal(files.length, 1);
  const text = fs.readFileSync(files[0], 'utf8');
  assert.match(text, /Subject: local retry/);
  assert.match(text, /hello bob/);
  await until('queue empty', async () => (await queueList(srv)).length === 0, 120_000);
  t.diagnostic(`delivered ${took} ms after queue retry (back-off was 10 min)`);
});
