// A Japanese (internationalised) domain is added in its ASCII form (`tegami domain add xn--r8jz45g.jp`, as DNS and
// MX records have it), but the SMTP layer hands each recipient's domain over in Unicode (例え.jp) — the one form a
// client may send with SMTPUTF8, and the form an xn-- name is turned into. The lookup took the Unicode name as it
// came, so every message to such a domain, in either spelling, got "550 5.7.1 Relaying denied" (found at the merge
// of stop 32, following docs/accounts.md). Shown on the real server with swaks and Python's smtplib and imaplib.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const DOMAIN = 'xn--r8jz45g.jp'; // 例え.jp
let srv: TestServer;

before(async () => {
  srv = await startTestServer({ domains: [], listeners: ['smtp', 'imap'], toml: '[spam]\nenabled = false\n' });
  for (const args of [['domain', 'add', DOMAIN], ['user', 'add', `hanako@${DOMAIN}`, '--password-stdin']]) {
    const r = srv.cli(args, 'hanako-pw1\n');
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
});
after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

it('mail to the ASCII spelling (swaks) reaches the mailbox', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--from', 'someone@remote.test', '--to', `hanako@${DOMAIN}`, '--h-Subject', 'ASCII form', '--body', 'to the xn-- spelling']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  await srv.waitForMessage(`hanako@${DOMAIN}`, 'to the xn-- spelling', 120_000);
});

it('mail to the Unicode spelling with SMTPUTF8 (smtplib) reaches the same mailbox; a login in Unicode (imaplib) opens it', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const py = [
    'import smtplib, imaplib',
    `s = smtplib.SMTP('127.0.0.1', ${srv.ports.smtp}, timeout=60)`,
    "s.ehlo('client.remote.test')",
    "msg = 'From: someone@remote.test\\r\\nTo: hanako@例え.jp\\r\\nSubject: =?UTF-8?B?5L6L44GI?=\\r\\n\\r\\nto the Unicode spelling\\r\\n'",
    "print(s.sendmail('someone@remote.test', ['hanako@例え.jp'], msg.encode('utf-8'), mail_options=['SMTPUTF8']))",
    's.quit()',
    `m = imaplib.IMAP4('127.0.0.1', ${srv.ports.imap}, timeout=60)`,
    "m._encoding = 'utf-8'",
    "typ, _ = m.login('hanako@例え.jp', 'hanako-pw1')",
    'print(typ)',
    'm.logout()',
  ].join('\n');
  const r = await run('python3', ['-c', py]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^\{\}$/m, 'every recipient accepted');
  await srv.waitForMessage(`hanako@${DOMAIN}`, 'to the Unicode spelling', 120_000);
  assert.match(r.stdout, /^OK$/m, 'the login in Unicode resolves to the xn-- account');
});

it('a domain not ours in Unicode is still refused as relaying', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--from', 'someone@remote.test', '--to', 'hanako@xn--zckzah.jp', '--quit-after', 'RCPT']);
  assert.match(r.stdout + r.stderr, /550 5\.7\.1/);
});
