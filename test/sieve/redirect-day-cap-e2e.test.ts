// Redirects per account and day (security review 3, follow-up): [sieve] max_redirects_per_day = 2 on a real server.
// Two messages redirected by alice's script reach the lab sink; the third is not sent on but kept in her INBOX
// (nothing lost) and logged (redirect-limit); once the counted redirects are a day old (their times moved back
// in the database: an injected clock, no waiting) the next one goes again. The count is durable: kept in
// tegami.db, it survives a restart. The counter's day boundary itself is checked with explicit times below.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, openDatabase } from '../../engine/db/database.js';
import { REDIRECT_DAY_MS, SqliteRedirectCounter } from '../../engine/sieve/redirect-count.js';
import { cliOk, folderFiles, logLines, mail, smtpSend, startRulesLab, until, waitFolder, type RulesLab } from './e2e-helpers.js';
import fs from 'node:fs';
import os from 'node:os';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({ toml: '[sieve]\nmax_redirects_per_day = 2' });
});

after(async () => {
  await lab?.close();
});

async function send(subject: string): Promise<void> {
  const r = await smtpSend(lab.srv.ports.smtp, 'sender@orig.test', ['alice@example.test'], mail({ subject, id: subject.replace(/\W/g, '') }));
  assert.equal(r.code, 250, r.text);
}
const atSink = (subject: string) => lab.sink.messages.filter((m) => m.to.includes('friend@friend.test') && m.raw.toString('latin1').includes(`Subject: ${subject}`));

test('over max_redirects_per_day the message is kept in the mailbox, logged, and redirects resume a day later', async () => {
  cliOk(lab.srv, ['sieve', 'put', 'alice@example.test', 'fwd', '-', '--activate'], 'redirect "friend@friend.test";\n');
  for (const s of ['day one first', 'day one second']) {
    await send(s);
    await until(`"${s}" at the sink`, () => atSink(s)[0]);
  }
  assert.equal(folderFiles(lab.srv, 'alice@example.test', 'INBOX').length, 0, 'a plain redirect keeps no copy');

  await send('day one third');
  const [kept] = await waitFolder(lab.srv, 'alice@example.test', 'INBOX', 1);
  assert.match(fs.readFileSync(kept, 'latin1'), /^Subject: day one third/m, 'the third is kept in the INBOX');
  const limit = await until('the redirect-limit event', () => logLines(lab.srv, 'redirect-limit', /owner=alice@example\.test/)[0]);
  assert.match(limit, /max=2/);
  assert.match(limit, /friend@friend\.test/);

  // the count is durable: a restart does not reset it
  await lab.srv.restart();
  await send('after a restart');
  await waitFolder(lab.srv, 'alice@example.test', 'INBOX', 2);

  // a day passes for the two counted redirects
  const db = new Database(path.join(lab.srv.dataDir, 'tegami.db'), { timeout: 10_000 });
  try {
    db.prepare('UPDATE sieve_redirects SET at = at - ?').run(REDIRECT_DAY_MS);
  } finally {
    db.close();
  }
  await send('day two');
  await until('"day two" at the sink', () => atSink('day two')[0]);
  assert.equal(folderFiles(lab.srv, 'alice@example.test', 'INBOX').length, 2, 'redirected, not kept');
  assert.equal(atSink('day one third').length + atSink('after a restart').length, 0, 'the kept ones were never sent on');
  cliOk(lab.srv, ['sieve', 'deactivate', 'alice@example.test']);
});

test('the counter: a rolling 24 hours per account, each target counted, an over-cap claim records nothing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-redirects-'));
  const db = openDatabase(dir);
  try {
    const c = new SqliteRedirectCounter(db);
    const t0 = Date.UTC(2026, 11, 5, 23, 59, 0); // a minute before midnight UTC: the day is 24 hours, not the date
    assert.deepEqual(c.claim('Alice@Example.test', 'q1-0', 3, t0, 4), { ok: true });
    assert.deepEqual(c.claim('alice@example.test', 'q2-0', 2, t0 + 120_000, 4), { ok: false, used: 3 }, 'after midnight the count goes on');
    assert.deepEqual(c.claim('bob@example.test', 'q1-1', 4, t0, 4), { ok: true }, 'another account has its own');
    assert.deepEqual(c.claim('alice@example.test', 'q3-0', 1, t0 + REDIRECT_DAY_MS - 1, 4), { ok: true });
    assert.deepEqual(c.claim('alice@example.test', 'q4-0', 1, t0 + REDIRECT_DAY_MS - 1, 4), { ok: false, used: 4 });
    assert.deepEqual(c.claim('alice@example.test', 'q5-0', 3, t0 + REDIRECT_DAY_MS, 4), { ok: true }, 'the first three are a day old');
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the counter: a message counted once however often its delivery is retried; the table is in the migrations', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-redirects-'));
  const db = openDatabase(dir);
  try {
    // made with the database, not at the first redirect
    assert.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sieve_redirects'").get(), 'sieve_redirects made by the migrations');
    const c = new SqliteRedirectCounter(db);
    const t0 = Date.UTC(2026, 11, 6, 9, 0, 0);
    assert.deepEqual(c.claim('alice@example.test', 'q1-0', 2, t0, 3), { ok: true });
    // the mailbox write failed (4.3.0), the queue retries the same message a minute later, twice
    assert.deepEqual(c.claim('alice@example.test', 'q1-0', 2, t0 + 60_000, 3), { ok: true }, 'the retry goes on');
    assert.deepEqual(c.claim('alice@example.test', 'q1-0', 2, t0 + 120_000, 3), { ok: true }, 'and again');
    assert.equal((db.prepare('SELECT SUM(n) AS u FROM sieve_redirects').get() as { u: number }).u, 2, 'counted once');
    assert.deepEqual(c.claim('alice@example.test', 'q2-0', 1, t0 + 180_000, 3), { ok: true }, 'room left for one more message');
    assert.deepEqual(c.claim('alice@example.test', 'q3-0', 1, t0 + 240_000, 3), { ok: false, used: 3 });
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a database whose sieve_redirects was made at the first redirect (an earlier version) upgrades: its rows still count', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-redirects-'));
  try {
    // the database as the earlier version left it: every migration before this one, then the table made on first use
    const first = openDatabase(dir);
    const latest = first.pragma('user_version', { simple: true }) as number;
    first.exec('DROP TABLE sieve_redirects');
    // (the migration that added msg, and those after it, run again)
    first.pragma(`user_version = ${MIGRATIONS.findIndex((m) => m.includes('ALTER TABLE sieve_redirects ADD COLUMN msg'))}`);
    first.exec('CREATE TABLE IF NOT EXISTS sieve_redirects (address TEXT NOT NULL, at INTEGER NOT NULL, n INTEGER NOT NULL); CREATE INDEX IF NOT EXISTS sieve_redirects_at ON sieve_redirects(address, at);');
    const t0 = Date.UTC(2026, 11, 6, 9, 0, 0);
    first.prepare('INSERT INTO sieve_redirects (address, at, n) VALUES (?, ?, ?)').run('alice@example.test', t0, 2);
    first.close();

    const db = openDatabase(dir);
    try {
      assert.equal(db.pragma('user_version', { simple: true }), latest);
      const c = new SqliteRedirectCounter(db);
      assert.deepEqual(c.claim('alice@example.test', 'q9-0', 2, t0 + 60_000, 3), { ok: false, used: 2 }, 'the old row counts');
      assert.deepEqual(c.claim('alice@example.test', 'q9-0', 1, t0 + 60_000, 3), { ok: true });
      assert.deepEqual(c.claim('alice@example.test', 'q9-0', 1, t0 + 90_000, 3), { ok: true }, 'retried: not counted again');
      assert.deepEqual(c.claim('alice@example.test', 'q10-0', 1, t0 + 90_000, 3), { ok: false, used: 3 });
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
