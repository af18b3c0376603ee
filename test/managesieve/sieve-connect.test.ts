// ManageSieve with a real client we did not write: Debian's sieve-connect uploads, lists, activates, downloads and
// deletes scripts over STARTTLS (it re-reads the capabilities the server sends after TLS, RFC 5804 §2.2), with
// the password on a file descriptor; a script with a syntax error is refused with its line and column and never
// stored; the script uploaded and activated then files real mail; a hostile :regex (thousands of empty groups, all
// of its work in empty-width steps) and a :matches of thousands of keys over long header fields stop at the match
// work limit and the message is kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { requireCommand, startTestServer, type TestServer } from '../helpers/server.js';
import { folderFiles, logLines, smtpSend, until, waitFolder } from '../sieve/e2e-helpers.js';

let srv: TestServer;
const USER = 'alice@example.test';
const PASS = 'sieve-pass-1';

before(async () => {
  // analysis_deadline: a script that runs away still gets the SMTP client its 250 (the test then waits for the store)
  srv = await startTestServer({ listeners: ['smtp', 'managesieve'], users: [{ address: USER, password: PASS }], toml: '[spam]\nenabled = false\n[queue]\nanalysis_deadline = "10s"\n[sieve]\nregex = true\n' });
});

after(async () => {
  await srv?.stop();
});

/** Run sieve-connect with the password on fd 3; resolves with its exit code and output. */
function sieveConnect(args: string[], password = PASS): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('sieve-connect', ['--server', '127.0.0.1', '--port', String(srv.ports.managesieve), '--user', USER, '--passwordfd', '3', '--notlsverify', ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      cwd: srv.dir,
    });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    (p.stdio[3] as NodeJS.WritableStream).end(password + '\n');
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

test('sieve-connect uploads, lists, activates, downloads and deletes over STARTTLS', async (t) => {
  if (!requireCommand(t, 'sieve-connect')) return;
  const file = path.join(srv.dir, 'work.sieve');
  fs.writeFileSync(file, 'require ["fileinto", "mailbox"];\n# 仕事のメール\nif header :contains "subject" "project" {\n  fileinto :create "Work";\n}\n');
  const up = await sieveConnect(['--upload', '--localsieve', file, '--remotesieve', 'work']);
  assert.equal(up.code, 0, up.stderr);
  const spare = path.join(srv.dir, 'spare.sieve');
  fs.writeFileSync(spare, 'keep;\n');
  assert.equal((await sieveConnect(['--upload', '--localsieve', spare, '--remotesieve', 'spare'])).code, 0);
  const act = await sieveConnect(['--activate', '--remotesieve', 'work']);
  assert.equal(act.code, 0, act.stderr);
  const list = await sieveConnect(['--list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^"work" ACTIVE$/m);
  assert.match(list.stdout, /^"spare"$/m);
  const down = await sieveConnect(['--download', '--remotesieve', 'work', '--localsieve', '-']);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(down.stdout, fs.readFileSync(file, 'utf8'));
  // the active script cannot be deleted; another one can
  assert.notEqual((await sieveConnect(['--delete', '--remotesieve', 'work'])).code, 0);
  const del = await sieveConnect(['--delete', '--remotesieve', 'spare']);
  assert.equal(del.code, 0, del.stderr);
  assert.doesNotMatch((await sieveConnect(['--list'])).stdout, /spare/);
  // the CLI sees the same scripts
  const cli = srv.cli(['sieve', 'list', USER]);
  assert.match(cli.stdout, /^work\tACTIVE$/m);
  // and the active script runs at delivery
  assert.equal((await smtpSend(srv.ports.smtp, 'sender@orig.test', [USER], 'Subject: project plan\r\n\r\nhi\r\n')).code, 250);
  await waitFolder(srv, USER, 'Work', 1);
});

test('a script with a syntax error is refused with its line and column, and never stored', async (t) => {
  if (!requireCommand(t, 'sieve-connect')) return;
  const bad = path.join(srv.dir, 'bad.sieve');
  fs.writeFileSync(bad, 'require "fileinto";\nif header :contains "subject" "x" {\n  fileintoo "X";\n}\n');
  const r = await sieveConnect(['--upload', '--localsieve', bad, '--remotesieve', 'bad']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 3, column 3: unknown command/);
  const check = await sieveConnect(['--checkscript', '--localsieve', bad]);
  assert.notEqual(check.code, 0);
  assert.match(check.stderr, /line 3, column 3/);
  assert.doesNotMatch((await sieveConnect(['--list'])).stdout, /"bad"/);
});

test('a wrong password is refused', async (t) => {
  if (!requireCommand(t, 'sieve-connect')) return;
  const r = await sieveConnect(['--list'], 'wrong-password');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Authentication refused|failed/i);
});

test('a :regex of thousands of empty groups stops at the match work limit: the message is kept', async (t) => {
  if (!requireCommand(t, 'sieve-connect')) return;
  // each text position walked 2×9000 empty-width steps copying 18 000 capture slots each, none of it counted:
  // about half an hour of one delivery thread per message on an 8 KiB header
  const file = path.join(srv.dir, 'hostile.sieve');
  fs.writeFileSync(file, `require ["regex", "fileinto", "mailbox"];\n# 件名が長いメール\nif header :regex "subject" "${'()'.repeat(9000)}x" {\n  fileinto :create "Never";\n}\n`);
  const up = await sieveConnect(['--upload', '--localsieve', file, '--remotesieve', 'hostile']);
  assert.equal(up.code, 0, up.stderr);
  assert.equal((await sieveConnect(['--activate', '--remotesieve', 'hostile'])).code, 0);
  const words = Array.from({ length: 40 }, () => `=?ISO-2022-JP?B?${Buffer.from('\x1b$B' + '$"'.repeat(30) + '\x1b(B', 'latin1').toString('base64')}?=`);
  const subject = `Subject: ${words.join('\r\n ')}`; // 1200 あ, decoded
  const r = await smtpSend(srv.ports.smtp, 'sender@orig.test', [USER], `${subject}\r\nMessage-ID: <hostile-regex@orig.test>\r\n\r\nlong subject\r\n`);
  assert.equal(r.code, 250, r.text);
  await until('the kept message in INBOX', () => logLines(srv, 'sieve-error', /script=hostile .*match work limit exceeded/).length > 0, 120_000);
  const inbox = await waitFolder(srv, USER, 'INBOX', 1, 60_000);
  assert.ok(inbox.some((f) => fs.readFileSync(f, 'latin1').includes('hostile-regex@orig.test')));
});

test(':matches with thousands of keys against long header values counts each pass over a value: the work limit stops it, the message is kept', async (t) => {
  if (!requireCommand(t, 'sieve-connect')) return;
  // 20 000 keys that each fail at their first octet, tried against 200 header fields of 990 octets: 4 × 10⁹
  // octets read, of which only 4 × 10⁶ steps were charged (the script ran to its end, tens of seconds per message)
  const keys = Array.from({ length: 20_000 }, (_, i) => `"x${i % 10}*"`).join(',');
  const file = path.join(srv.dir, 'keys.sieve');
  fs.writeFileSync(file, `require ["fileinto", "mailbox"];\n# 大量のキー\nif header :matches "x-filler" [${keys}] {\n  fileinto :create "Never";\n}\n`);
  const up = await sieveConnect(['--upload', '--localsieve', file, '--remotesieve', 'keys']);
  assert.equal(up.code, 0, up.stderr);
  assert.equal((await sieveConnect(['--activate', '--remotesieve', 'keys'])).code, 0);
  const filler = Array.from({ length: 200 }, (_, i) => `X-Filler: ${String(i).padStart(3, '0')}${'あいう'.repeat(1)}${'a'.repeat(975)}`).join('\r\n');
  const r = await smtpSend(srv.ports.smtp, 'sender@orig.test', [USER], `Subject: many keys\r\nMessage-ID: <many-keys@orig.test>\r\n${filler}\r\n\r\nfiller\r\n`);
  assert.equal(r.code, 250, r.text);
  const kept = await until('the message in INBOX', () => folderFiles(srv, USER, 'INBOX').find((f) => fs.readFileSync(f, 'latin1').includes('many-keys@orig.test')), 120_000);
  assert.ok(kept);
  assert.equal(logLines(srv, 'sieve-error', /script=keys .*match work limit exceeded/).length, 1, 'the script stopped at the work limit');
});
