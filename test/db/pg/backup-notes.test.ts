// `tegami backup` of a node on [storage] backend = "postgres" (operator-run-1): the accounts and the mail are in the
// database, so the file cannot hold them. The real CLI, under a serving node's config with mail delivered to the
// shared store (smtplib), says so on stderr and in --json's notes, and names pg_dump; with --with-mail it adds that
// the Maildir it copied is not where serve keeps mail. On the code before, it said nothing: "mail 0 message(s)".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { postgresUnavailable } from '../../helpers/postgres.js';
import { requireCommand } from '../../helpers/server.js';
import { pgNodes } from './pg-node.js';
import { until } from './shared-mail.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

describe('tegami backup on PostgreSQL', { skip: skip ?? false, timeout: 180_000 }, () => {
  const fx = pgNodes('tegami_backup_notes');

  it('says that the accounts and the mail are in the database, and how to back it up', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const a = await fx.node({ name: 'node-a', sharedKey: true, listeners: ['smtp'], users: [{ address: 'alice@example.test', password: 'alice-secret-1' }] });
    const py = `import smtplib\nfrom email.mime.text import MIMEText\nm = MIMEText('バックアップ', 'plain', 'utf-8')\nm['Subject'] = 'backup-note'\ns = smtplib.SMTP('127.0.0.1', ${a.ports.smtp}, timeout=60)\ns.sendmail('x@example.net', ['alice@example.test'], m.as_bytes())\ns.quit()\n`;
    assert.equal(spawnSync('python3', ['-c', py], { encoding: 'utf8', timeout: 90_000 }).status, 0);
    const db = await fx.client();
    await until('the message is in the shared store', async () => Number((await db.query('SELECT count(*) AS n FROM mail_messages')).rows[0].n) > 0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgbackup-'));
    try {
      const text = a.cli(['backup', path.join(dir, 'b1.tar.gz'), '--with-mail']);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stderr, /tegami backup: note: \[storage\] backend = "postgres": the accounts, the mail, the shared queue, Bayes and the DKIM keys are in PostgreSQL, not in this file .*pg_dump/);
      assert.match(text.stderr, /tegami backup: note: --with-mail copies this node's Maildir only, which serve does not use on PostgreSQL/);
      const json = a.cli(['backup', path.join(dir, 'b2.tar.gz'), '--json']);
      assert.equal(json.status, 0, json.stderr);
      const notes = (JSON.parse(json.stdout) as { notes: string[] }).notes;
      assert.equal(notes.filter((n) => /are in PostgreSQL, not in this file/.test(n)).length, 1);
      assert.equal(notes.some((n) => /--with-mail/.test(n)), false, 'no --with-mail note without --with-mail');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
