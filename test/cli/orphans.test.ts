// A deleted account's mail must not go to the next account with the same address (FEATURES A4). With the
// server running: robert gets 4 messages (read over POP3 and IMAP), `tegami user del`, `tegami user add`
// again: the new robert sees 0 messages over POP3 (Python's poplib) and a new UIDVALIDITY over IMAP
// (imaplib); new mail reaches him; `tegami user orphans` lists the old folder with its count and bytes, a
// backup with --with-mail carries it through a restore, and `--remove` deletes it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, requireCommand, run, startTestServer } from '../helpers/server.js';
import { RawSmtp } from '../helpers/smtp-client.js';

const ROBERT = 'robert@example.test';

async function send(port: number, to: string, subject: string): Promise<void> {
  const c = await RawSmtp.connect(port);
  assert.equal((await c.reply()).code, 220);
  assert.equal((await c.cmd('EHLO client.example.org')).code, 250);
  assert.equal((await c.cmd('MAIL FROM:<sender@example.org>')).code, 250);
  assert.equal((await c.cmd(`RCPT TO:<${to}>`)).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  const r = await c.cmd(`From: sender@example.org\r\nTo: ${to}\r\nSubject: ${subject}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n${subject}: ご確認ください。\r\n.`);
  assert.equal(r.code, 250, r.text);
  await c.cmd('QUIT');
  c.close();
}

/** POP3 with poplib: the message count and the subjects, as the account sees them. */
async function pop(port: number, user: string, pass: string): Promise<{ count: number; subjects: string[] }> {
  const py = [
    'import poplib, json, sys',
    `p = poplib.POP3('127.0.0.1', ${port}, timeout=30)`,
    `p.user(${JSON.stringify(user)}); p.pass_(${JSON.stringify(pass)})`,
    'n = p.stat()[0]',
    'subs = []',
    'for i in range(1, n + 1):',
    '    lines = p.top(i, 0)[1]',
    "    subs += [l.decode('utf-8', 'replace')[9:] for l in lines if l.lower().startswith(b'subject: ')]",
    'p.quit()',
    'print(json.dumps({"count": n, "subjects": subs}))',
  ].join('\n');
  const r = await run('python3', ['-c', py], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { count: number; subjects: string[] };
}

/** IMAP with imaplib: EXISTS and UIDVALIDITY of INBOX. */
async function imapInbox(port: number, user: string, pass: string): Promise<{ exists: number; uidvalidity: number }> {
  const py = [
    'import imaplib, json, re',
    `m = imaplib.IMAP4('127.0.0.1', ${port}, timeout=30)`,
    `m.login(${JSON.stringify(user)}, ${JSON.stringify(pass)})`,
    "typ, data = m.select('INBOX', readonly=True)",
    "uv = m.response('UIDVALIDITY')[1][0]",
    'print(json.dumps({"exists": int(data[0]), "uidvalidity": int(uv)}))',
    'm.logout()',
  ].join('\n');
  const r = await run('python3', ['-c', py], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { exists: number; uidvalidity: number };
}

describe('user del keeps the mail aside as an orphan', () => {
  it('a re-created account starts empty; orphans lists, backs up, restores and removes the old folder', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const srv = await startTestServer({ users: [{ address: ROBERT, password: 'old-robert-1' }], listeners: ['smtp', 'pop3', 'imap'] });
    const restoreDir = path.join(srv.dir, 'restored');
    try {
      for (let i = 1; i <= 4; i++) await send(srv.ports.smtp, ROBERT, `old robert ${i}`);
      const files = await srv.waitForMail(ROBERT, 4, 120_000);
      const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
      const before = await pop(srv.ports.pop3, ROBERT, 'old-robert-1');
      assert.equal(before.count, 4);
      const oldImap = await imapInbox(srv.ports.imap, ROBERT, 'old-robert-1');
      assert.equal(oldImap.exists, 4);

      const del = srv.cli(['user', 'del', ROBERT]);
      assert.equal(del.status, 0, del.stderr);
      assert.match(del.stdout, /deleted user robert@example\.test \(mail folder kept as orphan \S+/);
      assert.equal(srv.cli(['user', 'add', ROBERT, '--password-stdin'], 'new-robert-1\n').status, 0);

      const after = await pop(srv.ports.pop3, ROBERT, 'new-robert-1');
      assert.deepEqual(after, { count: 0, subjects: [] }, 'the new robert does not read the old robert\'s mail');
      const newImap = await imapInbox(srv.ports.imap, ROBERT, 'new-robert-1');
      assert.equal(newImap.exists, 0);
      assert.notEqual(newImap.uidvalidity, oldImap.uidvalidity, 'a fresh UIDVALIDITY: no client may reuse its cache of the old mailbox');
      // new mail reaches the new account (the delivery workers made the old folder; they make the new one)
      await send(srv.ports.smtp, ROBERT, 'for the new robert');
      await srv.waitForMail(ROBERT, 1, 120_000);
      assert.deepEqual((await pop(srv.ports.pop3, ROBERT, 'new-robert-1')).subjects, ['for the new robert']);

      const listed = srv.cli(['user', 'orphans', '--json']);
      assert.equal(listed.status, 0, listed.stderr);
      const orphans = JSON.parse(listed.stdout) as { id: string; address: string; deleted_at: string; messages: number; bytes: number }[];
      assert.equal(orphans.length, 1);
      const [o] = orphans;
      assert.deepEqual({ address: o.address, messages: o.messages, bytes: o.bytes }, { address: ROBERT, messages: 4, bytes });
      assert.ok(Math.abs(Date.parse(o.deleted_at) - Date.now()) < 10 * 60_000, o.deleted_at);
      assert.match(srv.cli(['user', 'orphans']).stdout, new RegExp(`^${o.id}\\trobert@example\\.test\\tdeleted \\S+\\t4 message\\(s\\), ${bytes} bytes$`, 'm'));
      const orphanDir = path.join(srv.dataDir, 'orphans', o.id);
      assert.equal(fs.statSync(orphanDir).mode & 0o077, 0, 'the orphan is as private as a mailbox');

      // backup --with-mail carries orphans; a restore brings them back, listed the same
      const backup = path.join(srv.dir, 'b.tar.gz');
      const b = srv.cli(['backup', backup, '--with-mail', '--json']);
      assert.equal(b.status, 0, b.stderr);
      assert.equal((JSON.parse(b.stdout) as { includes: { orphans?: number } }).includes.orphans, 1);
      fs.mkdirSync(restoreDir);
      const cfg = path.join(restoreDir, 'tegami.toml');
      fs.writeFileSync(cfg, `hostname = "mx.example.test"\ndata_dir = "data"\n[domains]\nlocal = ["example.test"]\n[log]\nstdout = false\n`);
      const cliR = (args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--config', cfg], { encoding: 'utf8', timeout: 60_000 });
      const r = cliR(['restore', backup]);
      assert.equal(r.status, 0, r.stderr);
      const restored = JSON.parse(cliR(['user', 'orphans', '--json']).stdout) as typeof orphans;
      assert.deepEqual(restored, orphans);

      // remove: gone for good; a bad id is refused
      const bad = srv.cli(['user', 'orphans', '--remove', '../../mail']);
      assert.equal(bad.status, 1);
      const rm = srv.cli(['user', 'orphans', '--remove', o.id]);
      assert.equal(rm.status, 0, rm.stderr);
      assert.equal(fs.existsSync(orphanDir), false);
      assert.deepEqual(JSON.parse(srv.cli(['user', 'orphans', '--json']).stdout), []);
      assert.equal(srv.cli(['user', 'orphans', '--remove', o.id]).status, 1, 'already removed');
      // deleting an account that never received mail makes no orphan
      assert.equal(srv.cli(['user', 'add', 'emptybox@example.test', '--password-stdin'], 'empty-box-1\n').status, 0);
      const d2 = srv.cli(['user', 'del', 'emptybox@example.test']);
      assert.equal(d2.stdout.trim(), 'deleted user emptybox@example.test');
    } finally {
      await srv.stop();
      fs.rmSync(srv.dir, { recursive: true, force: true });
    }
  });
});
