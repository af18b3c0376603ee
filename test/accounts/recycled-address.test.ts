// An address deleted and later given to someone else (A4) must not inherit anything that acts for the old owner:
// an active Sieve script redirecting the mail away, a vacation answering as them, admin API and JMAP tokens,
// web sessions, JMAP identities and counters, the day's Sieve redirect count, list subscriptions (to a private
// list a moderator admitted it to, too), pending list requests, bounce and reply counts; another account keeps
// its own. Shown on the real server: the old owner's redirect and vacation are set with the
// CLI, the account is deleted and made again, and mail sent with swaks lands in the new owner's INBOX.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const ADDR = 'reused@example.test';
const OTHER = 'stays@example.test';
const LIST = 'team@example.test';
let srv: TestServer;

before(async () => {
  srv = await startTestServer({
    listeners: ['smtp'],
    users: [{ address: ADDR, password: 'old-owner-pw1', admin: true }, { address: OTHER, password: 'other-owner-pw1' }],
    toml: '[spam]\nenabled = false\n',
  });
});
after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

/** What acts for the old owner, and the per-account counts and list activity (table, the column naming the account). */
const OLD_OWNER = [['sieve_scripts', 'owner'], ['vacations', 'address'], ['api_tokens', 'address'], ['web_sessions', 'address'], ['jmap_tokens', 'address'], ['jmap_objects', 'address']];
const PER_ACCOUNT = [['sieve_redirects', 'address'], ['jmap_counters', 'address'], ['list_members', 'address'], ['list_requests', 'address'], ['list_bounces', 'address'], ['list_replies', 'address']];

function ok(args: string[], input?: string): string {
  const r = srv.cli(args, input);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function rows(table: string, column = 'address', who = ADDR): number {
  const db = new Database(path.join(srv.dataDir, 'tegami.db'), { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`).get(who) as { n: number }).n;
  } finally {
    db.close();
  }
}

it('a re-created address starts with no scripts, replies, tokens, sessions or identities of the old owner', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  ok(['sieve', 'put', ADDR, 'away', '-', '--activate'], 'redirect "old-owner@elsewhere.test";\n');
  ok(['vacation', 'set', ADDR, '-'], '不在です。 I am away.\n');
  ok(['admin', 'token', 'create', ADDR]);
  const db = new Database(path.join(srv.dataDir, 'tegami.db'));
  const now = Date.now();
  db.prepare("INSERT INTO web_sessions (id_hash, kind, address, csrf, ip, created, last_seen) VALUES ('h1', 'webmail', ?, 'c', '127.0.0.1', ?, ?)").run(ADDR, now, now);
  db.prepare("INSERT INTO jmap_tokens (hash, address, label, created) VALUES ('h2', ?, 'app', ?)").run(ADDR, now);
  db.prepare("INSERT INTO jmap_objects (address, type, id, data, created, modseq) VALUES (?, 'Identity', 'i1', '{\"name\":\"旧 所有者\"}', ?, 1)").run(ADDR, now);
  // per-account counts and list activity, for the old owner and for another account that stays
  ok(['list', 'create', LIST, '--private']);
  ok(['list', 'add', LIST, ADDR, OTHER]);
  for (const [i, who] of [ADDR, OTHER].entries()) {
    db.prepare('INSERT INTO sieve_redirects (address, at, n, msg) VALUES (?, ?, 1, ?)').run(who, now, `q${i}`);
    db.prepare("INSERT INTO jmap_counters (address, type, modseq) VALUES (?, 'Identity', 7)").run(who);
    db.prepare("INSERT INTO list_requests (id, list, address, kind, state, created, expires) VALUES (?, ?, ?, 'unsubscribe', 'confirm', ?, ?)").run(`r${i}`, LIST, who, now, now + 7 * 86_400_000);
    db.prepare("INSERT INTO list_bounces (list, address, at, status, kind, counted) VALUES (?, ?, ?, '5.2.2', 'soft', 1)").run(LIST, who, now);
    db.prepare('INSERT INTO list_replies (list, address, day, count) VALUES (?, ?, ?, 2)').run(LIST, who, Math.floor(now / 86_400_000));
  }
  db.close();
  for (const [table, col] of [...OLD_OWNER, ...PER_ACCOUNT]) assert.equal(rows(table, col), 1, `${table} set up`);

  ok(['user', 'del', ADDR]);
  ok(['user', 'add', ADDR, '--password-stdin'], 'new-owner-pw2\n');

  assert.match(ok(['sieve', 'list', ADDR]), /no scripts/);
  for (const [table, col] of [...OLD_OWNER, ...PER_ACCOUNT]) assert.equal(rows(table, col), 0, `${table}: nothing of the old owner`);
  for (const [table, col] of PER_ACCOUNT) assert.equal(rows(table, col, OTHER), 1, `${table}: the other account keeps its own`);
  assert.doesNotMatch(ok(['list', 'members', LIST]), /reused@/, 'the new owner is no member of the old owner\'s private list');
  // the mail itself: with the old owner's script it would be redirected away and never reach the INBOX
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--from', 'someone@remote.test', '--to', ADDR, '--h-Subject', '新しい持ち主へ', '--body', 'for the new owner']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const file = await srv.waitForMessage(ADDR, 'for the new owner', 120_000);
  assert.ok(fs.existsSync(file));
});
