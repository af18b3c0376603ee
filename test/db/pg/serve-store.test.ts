// Two real `tegami serve` nodes on [storage] backend = "postgres" keeping mail in the shared mailbox store
// (PgMailboxStore, wired by engine/db/storage.ts and workers/shared-store.ts): mail sent to node A with Python's
// smtplib is read on node B with imaplib and poplib; an IMAP IDLE on B sees mail delivered through A; both nodes
// delivering into one mailbox give distinct UIDs; the quota is counted from the store; with the database away a local recipient gets 451 4.3.0 at RCPT,
// and delivery resumes by itself when it returns.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { postgresUnavailable } from '../../helpers/postgres.js';
import { requireCommand, run, type TestServer } from '../../helpers/server.js';
import { countOverImap, send, until, waitOverImap } from './shared-mail.js';
import { idleOn } from './node-load.js';
import { pgNodes } from './pg-node.js';

// two nodes and a cluster take a minute or two: run by `npm run test:postgres`, not by the default `npm test`
const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();


const USER = 'taro@example.test';
const PASS = 'taro-pass-1';

/** POP3 on a node: the number of messages and whether one of them holds the needle (poplib, RETR). */
const POP = `
import poplib, sys
port, user, pw, needle = sys.argv[1:5]
p = poplib.POP3('127.0.0.1', int(port), timeout=30)
p.user(user); p.pass_(pw)
n = p.stat()[0]
hit = 0
for k in range(1, n + 1):
    if needle.encode('utf-8') in b'\\r\\n'.join(p.retr(k)[1]):
        hit += 1
print('pop3', n, hit)
p.quit()
`;

const UIDS = `
import imaplib, sys
port, user, pw, needle = sys.argv[1:5]
i = imaplib.IMAP4('127.0.0.1', int(port), timeout=30)
i.login(user, pw)
i.select('INBOX', readonly=True)
typ, data = i.uid('SEARCH', None, 'HEADER', 'X-Test-Id', needle)
print('uids', data[0].decode())
i.logout()
`;

/** The node's log files (the delivery lines are there, not on its stdout). */
function logsOf(srv: TestServer): string {
  const dir = path.join(srv.dataDir, 'logs');
  return fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
}

describe('tegami serve on PostgreSQL: the shared mailbox store', { skip: skip ?? false }, () => {
  const fx = pgNodes('tegami_serve_store');
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    const listeners = ['smtp', 'pop3', 'imap'];
    const toml = '[queue]\nretry_schedule = ["1s"]';
    a = await fx.node({ name: 'node-a', listeners, hostname: 'a.example.test', toml, users: [{ address: USER, password: PASS }] });
    b = await fx.node({ name: 'node-b', listeners, hostname: 'b.example.test', toml });
  });

  it('mail sent to node A is read on node B over IMAP and POP3, and is in no Maildir', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const r = await send(a, USER, 'a-to-b-1');
    assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
    await waitOverImap(b, USER, PASS, 'a-to-b-1');
    const pop = await run('python3', ['-c', POP, String(b.ports.pop3), USER, PASS, '共有メールボックス']);
    assert.equal(pop.code, 0, pop.stderr);
    assert.match(pop.stdout, /^pop3 1 1$/m);
    assert.deepEqual(a.maildir(USER), [], 'nothing in node A\'s Maildir');
    assert.deepEqual(b.maildir(USER), [], 'nothing in node B\'s Maildir');
  });

  it('an IMAP IDLE on node B sees mail delivered through node A', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const idler = idleOn(b, USER, PASS);
    try {
      await until('the IDLE client is idling', () => /^idling \+/m.test(idler.out()), 120_000);
      const r = await send(a, USER, 'idle-1');
      assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
      await until('node B pushed EXISTS to the idling client', () => /^seen \* \d+ EXISTS$/m.test(idler.out()), 60_000).catch((e: Error) => {
        throw new Error(`${e.message}; client: ${idler.out()}; log of B: ${b.output().slice(-2000)}`);
      });
      assert.equal(await idler.exited, 0, idler.out());
      assert.match(idler.out(), /^done \S+ OK/m);
    } finally {
      idler.kill();
    }
  });

  it('both nodes delivering into one mailbox give each message its own UID', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const sent = await Promise.all([a, b, a, b, a, b].map((n) => send(n, USER, 'both-nodes')));
    for (const r of sent) assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
    await until('six copies over IMAP', async () => (await countOverImap(a, USER, PASS, 'INBOX', 'X-Test-Id: both-nodes')) === 6);
    const u = await run('python3', ['-c', UIDS, String(b.ports.imap), USER, PASS, 'both-nodes']);
    assert.equal(u.code, 0, u.stderr);
    const uids = u.stdout.replace(/^uids /, '').trim().split(/\s+/).map(Number);
    assert.equal(uids.length, 6, u.stdout);
    assert.equal(new Set(uids).size, 6, `distinct UIDs: ${u.stdout}`);
  });

  it('the quota is counted from the shared store: 452 4.2.2 at RCPT on either node, deferred at delivery through an alias', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const q = 'jiro@example.test';
    assert.equal(b.cli(['user', 'add', q, '--password-stdin'], 'jiro-pass-2\n').status, 0);
    assert.equal(b.cli(['user', 'set', q, '--quota-messages', '2']).status, 0);
    assert.equal(b.cli(['alias', 'add', 'info@example.test', q]).status, 0);
    await until('node A accepts jiro@', async () => (await send(a, q, 'probe', 'probe')).rcpt === 250);
    for (const id of ['quota-1', 'quota-2']) assert.equal((await send(a, q, id)).data, 250);
    await until('both in the shared store', async () => (await countOverImap(b, q, 'jiro-pass-2', 'INBOX', 'X-Test-Id: quota-')) === 2);
    // each node's RCPT check reads the store's usage (the Maildirs are empty: a Maildir reading would accept)
    for (const n of [a, b]) {
      let r = { rcpt: 0, msg: '' };
      await until('RCPT gets 452 for the full mailbox', async () => (r = await send(n, q, 'probe', 'probe')).rcpt === 452);
      assert.match(r.msg, /^4\.2\.2 /);
    }
    // through an alias the worker's check decides: deferred (4.2.2), not stored
    assert.equal((await send(a, 'info@example.test', 'quota-3')).data, 250);
    await until('the delivery is deferred for the quota', () => /deferred.*4\.2\.2 Mailbox full/.test(logsOf(a)), 60_000).catch((e: Error) => {
      throw new Error(`${e.message}; log of A: ${logsOf(a).slice(-4000)}`);
    });
    assert.equal(await countOverImap(b, q, 'jiro-pass-2', 'INBOX', 'X-Test-Id: quota-3'), 0);
  });

  it('with the database away a local recipient gets 451 4.3.0 at RCPT; delivery resumes without a restart', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const back = await fx.takeAway();
    try {
      let probe = { rcpt: 0, msg: '' };
      await until('a local recipient gets 451 while the database is away', async () => (probe = await send(a, USER, 'probe', 'probe')).rcpt === 451);
      assert.match(probe.msg, /^4\.3\.0 .*mailbox database unavailable/);
      await back();
      await until('a local recipient is accepted again', async () => (await send(a, USER, 'probe', 'probe')).rcpt === 250);
      const r = await send(a, USER, 'after-away-1');
      assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
      await waitOverImap(b, USER, PASS, 'after-away-1');
      assert.equal(await countOverImap(b, USER, PASS, 'INBOX', 'X-Test-Id: probe'), 0, 'a probe (RSET after RCPT) stored nothing');
    } finally {
      await back().catch(() => undefined);
    }
  });
  it("a deleted account's mail is set aside in the store; an account made again under the address starts empty", async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const who = 'saburo@example.test';
    const add = a.cli(['user', 'add', who, '--password-stdin'], 'saburo-pass-1\n');
    assert.equal(add.status, 0, add.stderr);
    await until('node A accepts saburo@', async () => (await send(a, who, 'orphan-1')).rcpt === 250);
    await waitOverImap(b, who, 'saburo-pass-1', 'orphan-1');
    const put = a.cli(['sieve', 'put', who, 'away', '-', '--activate'], 'redirect "old-owner@elsewhere.test";\n');
    assert.equal(put.status, 0, put.stderr);
    const pg = await fx.client();
    // a JMAP identity and an upload are rows only PostgreSQL holds (no node copies them)
    await pg.query("INSERT INTO jmap_objects (address, type, id, data, created, modseq) VALUES ($1, 'Identity', 'i1', '{}', 1, 1)", [who]);
    await pg.query("INSERT INTO jmap_uploads (address, id, type, size, created, data) VALUES ($1, 'U1', 'text/plain', 1, 1, '\\x41')", [who]);
    const del = a.cli(['user', 'del', who]);
    assert.equal(del.status, 0, del.stderr);
    const again = b.cli(['user', 'add', who, '--password-stdin'], 'saburo-pass-2\n');
    assert.equal(again.status, 0, again.stderr);
    let seen = -1;
    await until('the new saburo@ logs in on node B', async () => (seen = await countOverImap(b, who, 'saburo-pass-2', 'INBOX', 'X-Test-Id: orphan-1')) >= 0);
    assert.equal(seen, 0, 'the new account does not inherit the deleted one\'s mail');
    const db = await fx.client();
    const kept = await db.query("SELECT count(*)::int AS n FROM mail_messages WHERE owner LIKE 'orphan/%/saburo@example.test'");
    assert.ok(kept.rows[0].n >= 1, 'the old mail is kept under its orphan owner, not deleted');
    // nor the old owner's redirecting script (migration 34's trigger)
    const scripts = await db.query('SELECT count(*)::int AS n FROM sieve_scripts WHERE owner = $1', [who]);
    assert.equal(scripts.rows[0].n, 0, "the deleted account's Sieve scripts went with it");
    assert.match(b.cli(['sieve', 'list', who]).stdout, /no scripts/);
    for (const table of ['jmap_objects', 'jmap_uploads']) {
      const left = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE address = $1`, [who]);
      assert.equal(left.rows[0].n, 0, `${table}: nothing of the deleted account`);
    }
  });
});
