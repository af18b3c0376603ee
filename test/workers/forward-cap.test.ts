// Forward-list copies per account and day ([accounts] max_forwards_per_day, workers/forward-cap.ts), on a real
// server: alice forwards everything to two remote addresses and keeps no copy. With a cap of 3 the first message
// reaches both; the second (2 + 2 > 3) is not sent on but kept in her INBOX (nothing lost) and logged
// (forward-limit); bob, forwarding too, has his own count; once the counted copies are a day old (their times
// moved back in the database: no waiting) the next message goes again. The claim itself is checked below with
// explicit times, and a counter that fails (the database away) defers the recipient instead of deciding it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../engine/db/database.js';
import { REDIRECT_DAY_MS, SqliteRedirectCounter, type RedirectCounter } from '../../engine/sieve/redirect-count.js';
import { Logger } from '../../engine/log/logger.js';
import { Metrics } from '../../engine/metrics/metrics.js';
import { logWorkerEvents } from '../../engine/queue/delivery-log.js';
import { capForwards, forwardKey } from '../../workers/forward-cap.js';
import { cliOk, folderFiles, logLines, mail, smtpSend, startRulesLab, until, waitFolder, type RulesLab } from '../sieve/e2e-helpers.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({ users: ['alice@example.test', 'bobby@example.test'], toml: '[accounts]\nmax_forwards_per_day = 3' });
});

after(async () => {
  await lab?.close();
});

async function send(to: string, subject: string): Promise<void> {
  const r = await smtpSend(lab.srv.ports.smtp, 'sender@orig.test', [to], mail({ to, subject, id: subject.replace(/\W/g, '') }));
  assert.equal(r.code, 250, r.text);
}
const atSink = (subject: string) => lab.sink.messages.filter((m) => m.raw.toString('latin1').includes(`Subject: ${subject}`));

test('over max_forwards_per_day the message is kept in the mailbox, logged, and forwards resume a day later', async () => {
  cliOk(lab.srv, ['user', 'set', 'alice@example.test', '--forward', 'friend@friend.test,other@remote.test', '--no-keep-copy']);
  cliOk(lab.srv, ['user', 'set', 'bobby@example.test', '--forward', 'friend@friend.test', '--keep-copy']);

  await send('alice@example.test', 'first of the day');
  await until('both copies of the first at the sink', () => atSink('first of the day').flatMap((m) => m.to).length === 2);
  assert.equal(folderFiles(lab.srv, 'alice@example.test', 'INBOX').length, 0, 'the forward keeps no copy');

  await send('alice@example.test', 'second of the day');
  const [kept] = await waitFolder(lab.srv, 'alice@example.test', 'INBOX', 1);
  assert.match(fs.readFileSync(kept, 'latin1'), /^Subject: second of the day/m, 'the second is kept in the INBOX');
  const limit = await until('the forward-limit event', () => logLines(lab.srv, 'forward-limit', /owner=alice@example\.test/)[0]);
  assert.match(limit, /max=3/);
  assert.match(limit, /used=2/);
  assert.match(limit, /friend@friend\.test/);
  assert.match(limit, /other@remote\.test/);

  // another account's forwards are counted on their own
  await send('bobby@example.test', 'for bobby');
  await until('bobby\'s forward at the sink', () => atSink('for bobby')[0]);
  await waitFolder(lab.srv, 'bobby@example.test', 'INBOX', 1);

  // a day passes for alice's counted copies
  const db = new Database(path.join(lab.srv.dataDir, 'tegami.db'), { timeout: 10_000 });
  try {
    const moved = db.prepare('UPDATE sieve_redirects SET at = at - ? WHERE address = ?').run(REDIRECT_DAY_MS, forwardKey('alice@example.test'));
    assert.equal(moved.changes, 1, 'one row: the first message, counted once');
  } finally {
    db.close();
  }
  await send('alice@example.test', 'next day');
  await until('"next day" at the sink', () => atSink('next day').flatMap((m) => m.to).length === 2);
  assert.equal(folderFiles(lab.srv, 'alice@example.test', 'INBOX').length, 1, 'sent on, not kept');
  assert.equal(atSink('second of the day').length, 0, 'the kept one was never sent on');
  cliOk(lab.srv, ['user', 'set', 'alice@example.test', '--forward', '']);
  cliOk(lab.srv, ['user', 'set', 'bobby@example.test', '--forward', '']);
});

test('the claim: per account, once per message, separate from the Sieve redirects; over it the account is kept', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-forward-cap-'));
  const db = openDatabase(dir);
  try {
    const counter = new SqliteRedirectCounter(db);
    const t0 = Date.UTC(2026, 11, 6, 9, 0, 0);
    // a Sieve redirect cap used up for alice does not touch her forwards
    assert.deepEqual(counter.claim('alice@example.test', 'q0', 2, t0, 2), { ok: true });
    const routed = () => ({
      mailboxes: [{ owner: 'carol@example.test', rcpt: 'team@example.test' }],
      remote: [
        { address: 'a@remote.test', rcpt: 'team@example.test', via: 'alice@example.test' },
        { address: 'b@remote.test', rcpt: 'team@example.test', via: 'alice@example.test' },
        { address: 'x@remote.test', rcpt: 'team@example.test' }, // an alias's own target: not counted
      ],
    });
    const r1 = routed();
    assert.deepEqual(await capForwards(counter, r1, 'q1', t0, 3), { events: [], tempFailed: [] });
    assert.equal(r1.remote.length, 3);
    const again = routed();
    assert.deepEqual((await capForwards(counter, again, 'q1', t0 + 60_000, 3)).events, [], 'a retried message is not counted again');
    const r2 = routed();
    const over = await capForwards(counter, r2, 'q2', t0 + 120_000, 3);
    assert.deepEqual(over.events, [{ event: 'forward-limit', level: 'warn', fields: { owner: 'alice@example.test', max: 3, used: 2, to: ['a@remote.test', 'b@remote.test'] } }]);
    assert.deepEqual(r2.remote, [{ address: 'x@remote.test', rcpt: 'team@example.test' }]);
    assert.deepEqual(r2.mailboxes, [{ owner: 'carol@example.test', rcpt: 'team@example.test' }, { owner: 'alice@example.test', rcpt: 'team@example.test' }], 'kept for alice');
    const r3 = routed();
    assert.deepEqual((await capForwards(counter, r3, 'q3', t0 + REDIRECT_DAY_MS, 3)).events, [], 'a day later the first copies no longer count');

    // logged through the catalogue: the line and the metric
    const metrics = new Metrics();
    const logger = new Logger({ stdout: false, files: false, sink: metrics });
    logWorkerEvents(logger, 'q2', over.events);
    assert.match(await metrics.text(), /tegami_day_cap_kept_total\{kind="forward"\} 1/);
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the counter away: the recipient is deferred, nothing of it decided now', async () => {
  const away: RedirectCounter = {
    claim: () => Promise.reject(new Error('connection terminated')),
  };
  const r = {
    mailboxes: [{ owner: 'carol@example.test', rcpt: 'team@example.test' }, { owner: 'dave@example.test', rcpt: 'dave@example.test' }],
    remote: [{ address: 'a@remote.test', rcpt: 'team@example.test', via: 'alice@example.test' }],
  };
  const out = await capForwards(away, r, 'q1', Date.UTC(2026, 11, 6), 3);
  assert.deepEqual(out.tempFailed, [{ address: 'team@example.test', reason: '4.3.0 Forward count unavailable: connection terminated' }]);
  assert.deepEqual(r.remote, []);
  assert.deepEqual(r.mailboxes, [{ owner: 'dave@example.test', rcpt: 'dave@example.test' }], 'another recipient goes on');
});
