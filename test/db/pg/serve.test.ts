// `tegami serve` and the CLI on [storage] backend = "postgres", as an operator runs them: real processes on a
// private PostgreSQL cluster (test/helpers/postgres.ts). Accounts made with the CLI receive mail (Python's
// smtplib) and log in over POP3 and IMAP (poplib, imaplib); what the CLI writes on node B reaches node A without
// a restart (accounts, Sieve rules, lists); a single node's data dir moves in with `tegami db import-local`; and
// with the database away a node answers 451 4.3.0 for its own mailboxes (they are in the shared store) and
// for an address it does not know (not 550), refuses writes, and resumes on its own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { postgresUnavailable } from '../../helpers/postgres.js';
import { requireCommand, run, startTestServer, type TestServer } from '../../helpers/server.js';
import { pgNodes, storageToml } from './pg-node.js';
import { waitOverImap } from './shared-mail.js';

// two nodes and a cluster take a minute or two: run by `npm run test:postgres`, not by the default `npm test`
const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

/** One SMTP transaction with Python's smtplib: the reply code at RCPT (and 250 at the end when accepted). */
const SEND = `
import smtplib, sys, json
port, rcpt, subject = sys.argv[1:4]
s = smtplib.SMTP('127.0.0.1', int(port), local_hostname='client.example.net', timeout=30)
s.ehlo('client.example.net')
s.mail('sender@example.net')
code, msg = s.rcpt(rcpt)
if code != 250:
    print(json.dumps({"rcpt": code, "msg": msg.decode()}))
else:
    body = ('From: sender@example.net\\r\\nTo: %s\\r\\nSubject: %s\\r\\n\\r\\nこんにちは、PostgreSQL の上から。\\r\\n' % (rcpt, subject)).encode('utf-8')
    code, msg = s.data(body)
    print(json.dumps({"rcpt": 250, "data": code, "msg": msg.decode()}))
s.quit()
`;

async function send(srv: TestServer, rcpt: string, subject = 'hello'): Promise<{ rcpt: number; data?: number; msg: string }> {
  const r = await run('python3', ['-c', SEND, String(srv.ports.smtp), rcpt, subject]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { rcpt: number; data?: number; msg: string };
}

const LOGIN = `
import poplib, imaplib, sys
pop, imap, user, pw = sys.argv[1:5]
p = poplib.POP3('127.0.0.1', int(pop), timeout=30)
p.user(user); p.pass_(pw)
print('pop3', p.stat()[0])
p.quit()
i = imaplib.IMAP4('127.0.0.1', int(imap), timeout=30)
i.login(user, pw)
typ, data = i.select('INBOX')
print('imap', typ, data[0].decode())
i.logout()
`;

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// The two parts share nothing but the file's cluster (each its own database and nodes; the outage is of the first
// part's database only), so they run at once: each mostly waits on its nodes, and one after the other they made
// the longest file of the PostgreSQL suite. Within each part the tests run in order (concurrency: 1; a describe
// would take its parent's).
describe('tegami on PostgreSQL: serve with the CLI, and db import-local', { concurrency: true }, () => {
  describe('tegami serve and the CLI on PostgreSQL', { skip: skip ?? false, concurrency: 1 }, () => {
    const fx = pgNodes('tegami_serve');
    let a: TestServer;
    let b: TestServer;
    before(async () => {
      const listeners = ['smtp', 'pop3', 'imap'];
      // node A: its user is made with the CLI against PostgreSQL before the server starts (the first command migrates)
      a = await fx.node({ listeners, users: [{ address: 'taro@example.test', password: 'taro-pass-1' }] });
      b = await fx.node({ listeners });
    });

    it('mail to an account made with the CLI is delivered, and the account logs in over POP3 and IMAP', async (t) => {
      if (!requireCommand(t, 'python3')) return;
      const r = await send(a, 'taro@example.test', 'pg-first');
      assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
      await waitOverImap(a, 'taro@example.test', 'taro-pass-1', 'pg-first');
      const login = await run('python3', ['-c', LOGIN, String(a.ports.pop3), String(a.ports.imap), 'taro@example.test', 'taro-pass-1']);
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, /^pop3 1$/m);
      assert.match(login.stdout, /^imap OK 1$/m);
      // the node says where its mail and queue are: the shared store, and nothing in its own Maildir
      const logs = fs.readdirSync(path.join(a.dataDir, 'logs')).map((f) => fs.readFileSync(path.join(a.dataDir, 'logs', f), 'utf8')).join('');
      assert.match(logs, /backend=postgres mail_store="?shared store in PostgreSQL/);
      assert.deepEqual(a.maildir('taro@example.test'), []);
      // the account is in PostgreSQL, not only in the node's file
      const c = await fx.client();
      assert.equal((await c.query("SELECT count(*)::int AS n FROM users WHERE address = 'taro@example.test'")).rows[0].n, 1);
    });

    it('an account added with the CLI on node B is accepted by node A without a restart', async (t) => {
      if (!requireCommand(t, 'python3')) return;
      assert.equal((await send(a, 'hanako@example.test')).rcpt, 550, 'unknown before');
      const add = b.cli(['user', 'add', 'hanako@example.test', '--password-stdin'], 'hanako-pass-2\n');
      assert.equal(add.status, 0, add.stderr);
      await until('node A accepts hanako@', async () => (await send(a, 'hanako@example.test', 'to-hanako')).rcpt === 250);
      await waitOverImap(b, 'hanako@example.test', 'hanako-pass-2', 'to-hanako');
      // and a password set on node A is the one node B checks
      assert.equal(a.cli(['user', 'passwd', 'hanako@example.test', '--password-stdin'], 'hanako-pass-3\n').status, 0);
      await until('node B checks the new password', async () => {
        const r = await run('python3', ['-c', LOGIN, String(b.ports.pop3), String(b.ports.imap), 'hanako@example.test', 'hanako-pass-3']);
        return r.code === 0;
      });
    });

    it('a Sieve rule and a mailing list made on node B apply to mail received by node A', async (t) => {
      if (!requireCommand(t, 'python3')) return;
      const script = path.join(b.dir, 'rule.sieve');
      fs.writeFileSync(script, 'require ["fileinto", "mailbox"];\nif header :contains "subject" "請求書" { fileinto :create "Invoices"; }\n');
      const put = b.cli(['sieve', 'put', 'taro@example.test', 'main', script, '--activate']);
      assert.equal(put.status, 0, put.stderr);
      const list = b.cli(['list', 'create', 'team@example.test']);
      assert.equal(list.status, 0, list.stderr);
      const member = b.cli(['list', 'add', 'team@example.test', 'hanako@example.test']);
      assert.equal(member.status, 0, member.stderr);
      await until('node A has the rule and the list', () => {
        const l = a.cli(['sieve', 'list', 'taro@example.test']);
        return l.status === 0 && l.stdout.includes('main');
      });
      await until('node A accepts the list address', async () => (await send(a, 'team@example.test', 'list-probe')).rcpt === 250);
      assert.equal((await send(a, 'taro@example.test', '請求書 2026-12')).data, 250);
      // filed by node A's worker into the shared store, read on node B
      await waitOverImap(b, 'taro@example.test', 'taro-pass-1', '2026-12', 'Invoices').catch((e: Error) => {
        throw new Error(`${e.message}; sieve on A: ${a.cli(['sieve', 'list', 'taro@example.test', '--json']).stdout}; log of A: ${a.output().slice(-3000)}`);
      });
    });

    it('with the database away the node answers 451 4.3.0 for an address it does not know and for its own mailboxes, refuses writes, and resumes without a restart', async (t) => {
      if (!requireCommand(t, 'python3')) return;
      const back = await fx.takeAway();
      try {
        // mail for an existing account is not taken: its mailbox is in the database (the 250 means stored)
        let known = { rcpt: 0, msg: '' };
        await until('a local mailbox gets 451 4.3.0 while the database is away', async () => (known = await send(a, 'taro@example.test', 'while-away')).rcpt === 451);
        assert.match(known.msg, /^4\.3\.0 .*mailbox database unavailable/);
        // an address the copy does not know may be an account added just before: a temporary failure, never a bounce
        let unknown = { rcpt: 0, msg: '' };
        await until('an unknown address gets 451 4.3.0 while the database is away', async () => (unknown = await send(a, 'nobody@example.test')).rcpt === 451);
        assert.match(unknown.msg, /^4\.3\.0 .*cannot be verified now/);
        // a write is refused plainly and changes nothing
        const add = a.cli(['user', 'add', 'jiro@example.test', '--password-stdin'], 'jiro-pass-4\n');
        assert.equal(add.status, 1, add.stdout);
        assert.match(add.stderr, /tegami user: /);
        await back();
        const again = b.cli(['user', 'add', 'jiro@example.test', '--password-stdin'], 'jiro-pass-4\n');
        assert.equal(again.status, 0, again.stderr);
        await until('node A follows PostgreSQL again', async () => (await send(a, 'jiro@example.test', 'after')).rcpt === 250);
        await until('an unknown address is refused for good again', async () => (await send(a, 'nobody@example.test')).rcpt === 550);
      } finally {
        await back().catch(() => undefined);
      }
    });
  });

  describe('tegami db import-local', { skip: skip ?? false, concurrency: 1 }, () => {
    const fx = pgNodes('tegami_import');
    let srv: TestServer;
    after(async () => {
      await srv?.stop();
    });

    it('moves a single node into PostgreSQL, prints and checks the counts, refuses a second import unless merging, and serves from it', async (t) => {
      if (!requireCommand(t, 'python3')) return;
      // a single node on SQLite, with accounts, an alias, a list, a rule, a vacation and an admin right
      srv = await startTestServer({ listeners: ['smtp', 'pop3', 'imap'], users: [{ address: 'taro@example.test', password: 'taro-pass-1', admin: true }, { address: 'hanako@example.test', password: 'hanako-pass-2' }] });
      assert.equal(srv.cli(['alias', 'add', 'info@example.test', 'taro@example.test']).status, 0);
      assert.equal(srv.cli(['list', 'create', 'team@example.test']).status, 0);
      assert.equal(srv.cli(['list', 'add', 'team@example.test', 'hanako@example.test']).status, 0);
      const script = path.join(srv.dir, 'rule.sieve');
      fs.writeFileSync(script, 'require ["fileinto", "mailbox"];\nif header :contains "subject" "請求書" { fileinto :create "Invoices"; }\n');
      assert.equal(srv.cli(['sieve', 'put', 'taro@example.test', 'main', script, '--activate']).status, 0);
      await srv.stop();

      fs.appendFileSync(srv.configPath, `${storageToml(fx.url)}\n`);
      // the node's own database is not replaced behind the operator's back
      const refused = srv.cli(['user', 'list']);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /import-local/);

      const imp = srv.cli(['db', 'import-local', '--json']);
      assert.equal(imp.status, 0, imp.stderr);
      const counts = new Map((JSON.parse(imp.stdout) as { counts: { table: string; source: number; imported: number; postgres: number; missing: number }[] }).counts.map((c) => [c.table, c]));
      for (const [table, n] of [['domains', 0], ['users', 2], ['aliases', 1], ['lists', 1], ['list_members', 1], ['sieve_scripts', 1], ['admin_rights', 1]] as const) {
        const c = counts.get(table);
        assert.ok(c, `${table} counted`);
        assert.equal(c.source, n, table);
        assert.equal(c.imported, n, table);
        assert.equal(c.postgres, n, table);
        assert.equal(c.missing, 0, table);
      }

      const again = srv.cli(['db', 'import-local']);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /already holds 2 account\(s\)/);
      const merge = srv.cli(['db', 'import-local', '--merge', '--json']);
      assert.equal(merge.status, 0, merge.stderr);
      for (const c of (JSON.parse(merge.stdout) as { counts: { imported: number }[] }).counts) assert.equal(c.imported, 0, 'idempotent');

      await srv.restart();
      const r = await send(srv, 'info@example.test', '請求書 import');
      assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
      await waitOverImap(srv, 'taro@example.test', 'taro-pass-1', 'import', 'Invoices');
      const login = await run('python3', ['-c', LOGIN, String(srv.ports.pop3), String(srv.ports.imap), 'hanako@example.test', 'hanako-pass-2']);
      assert.equal(login.code, 0, login.stderr);
    });
  });
});
