// Rules at delivery, end to end over a real `tegami serve`: mail sent with swaks lands in the folder a user's
// rule names (made with `tegami rule add`); a Japanese subject rule files ISO-2022-JP, Shift_JIS, EUC-JP and
// UTF-8 mail alike into a folder the IMAP store can see (modified UTF-7 on disk); :flags arrive as Maildir
// flags; the user's script runs before the domain's and its stop ends the run; an explicit fileinto wins over
// the Spam folder and spamtest sees the verdict; a script that fails at run time keeps the message; a script
// that names folders from the mail makes none past [accounts] max_folders (kept in INBOX, nothing lost).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { requireCommand, run } from '../helpers/server.js';
import { toIso2022jp } from '../spam/mail.js';
import { cliOk, folderFiles, logLines, PASSWORD, smtpSend, startRulesLab, until, waitFolder, type RulesLab } from './e2e-helpers.js';

let lab: RulesLab;

const CREATE = `
import imaplib, sys
port, user, password, folder = sys.argv[1:5]
m = imaplib.IMAP4('127.0.0.1', int(port))
m.login(user, password)
typ, data = m.create(folder)
assert typ == 'OK', data
m.logout()
`;

before(async () => {
  lab = await startRulesLab({
    users: ['alice@example.test', 'bobby@example.test', 'carol@example.test', 'david@example.test', 'erin@example.test'],
    listeners: ['smtp', 'submission', 'imap'],
    toml: '[spam]\nenabled = true\nphrases = ["CHEAP PILLS NOW"]\nbayes = false\nscores = { PHRASE = 9 }\n[sieve]\nmax_actions = 8\n[accounts]\nmax_folders = 10\n',
  });
});

after(async () => {
  await lab?.close();
});

test('swaks: a rule made with `tegami rule add` files the message into the folder it names', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const { srv } = lab;
  // the user makes the folder in a mail client (IMAP CREATE, Python's imaplib), then the rule in the form
  const made = await run('python3', ['-c', CREATE, String(srv.ports.imap), 'alice@example.test', PASSWORD, 'Reports']);
  assert.equal(made.code, 0, made.stderr);
  cliOk(srv, ['rule', 'add', 'alice@example.test', '--name', 'reports', '--if', 'subject contains weekly report', '--move', 'Reports']);
  const send = (subject: string) =>
    run('swaks', ['--server', `127.0.0.1:${srv.ports.smtp}`, '--helo', 'client.orig.test', '--from', 'sender@orig.test', '--to', 'alice@example.test', '--header', `Subject: ${subject}`, '--body', `Body of ${subject}\n`, '--timeout', '30']);
  const a = await send('The Weekly Report for May');
  assert.equal(a.code, 0, a.stdout + a.stderr);
  const b = await send('Lunch?');
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const filed = await waitFolder(srv, 'alice@example.test', 'Reports', 1);
  await waitFolder(srv, 'alice@example.test', 'INBOX', 1);
  assert.match(fs.readFileSync(filed[0], 'utf8'), /Subject: The Weekly Report for May/);
  assert.equal(folderFiles(srv, 'alice@example.test', 'INBOX').filter((f) => /Weekly Report/.test(fs.readFileSync(f, 'utf8'))).length, 0);
  // the folder is one IMAP lists: a Maildir++ folder with maildirfolder
  assert.ok(fs.existsSync(path.join(srv.dataDir, 'mail/example.test/alice/Maildir/.Reports/maildirfolder')));
});

test('a Japanese subject rule files ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8 mail into 経理; :flags become Maildir flags', async () => {
  const { srv } = lab;
  const script = 'require ["fileinto", "mailbox", "imap4flags"];\nif header :contains "subject" "請求書" {\n  fileinto :create :flags "\\\\Flagged" "経理";\n}\n';
  cliOk(srv, ['sieve', 'put', 'bobby@example.test', 'accounting', '-', '--activate'], script);
  const subjects: [string, string][] = [
    ['ISO-2022-JP', `=?ISO-2022-JP?B?${toIso2022jp('5月分の請求書です').toString('base64')}?=`],
    ['Shift_JIS', `=?Shift_JIS?B?${iconv.encode('5月分の請求書です', 'cp932').toString('base64')}?=`],
    ['EUC-JP', `=?EUC-JP?B?${iconv.encode('5月分の請求書です', 'euc-jp').toString('base64')}?=`],
    ['UTF-8', `=?UTF-8?B?${Buffer.from('5月分の請求書です').toString('base64')}?=`],
  ];
  for (const [cs, subject] of subjects) {
    const raw = `From: <sender@orig.test>\r\nTo: bobby@example.test\r\nSubject: ${subject}\r\nX-Charset: ${cs}\r\nMessage-ID: <${cs}@orig.test>\r\n\r\nsee attached\r\n`;
    const r = await smtpSend(srv.ports.smtp, 'sender@orig.test', ['bobby@example.test'], raw);
    assert.equal(r.code, 250, `${cs}: ${r.text}`);
  }
  // and raw 8-bit Shift_JIS in the header, as some Japanese mailers send it
  const raw8 = Buffer.concat([Buffer.from('From: <sender@orig.test>\r\nTo: bobby@example.test\r\nSubject: '), iconv.encode('請求書の件', 'cp932'), Buffer.from('\r\nX-Charset: raw-sjis\r\n\r\nbody\r\n')]);
  assert.equal((await smtpSend(srv.ports.smtp, 'sender@orig.test', ['bobby@example.test'], raw8)).code, 250);
  assert.equal((await smtpSend(srv.ports.smtp, 'sender@orig.test', ['bobby@example.test'], 'Subject: 見積書\r\nX-Charset: none\r\n\r\nnot an invoice\r\n')).code, 250);
  const filed = await waitFolder(srv, 'bobby@example.test', '経理', 5);
  const charsets = filed.map((f) => /X-Charset: (\S+)/.exec(fs.readFileSync(f, 'latin1'))?.[1]).sort();
  assert.deepEqual(charsets, ['EUC-JP', 'ISO-2022-JP', 'Shift_JIS', 'UTF-8', 'raw-sjis']);
  for (const f of filed) assert.match(path.basename(f), /:2,F$/, 'flagged on arrival');
  // on disk the folder has the modified UTF-7 name IMAP (and Dovecot) use for 経理
  assert.ok(fs.existsSync(path.join(srv.dataDir, 'mail/example.test/bobby/Maildir/.&fUx0Bg-')), fs.readdirSync(path.join(srv.dataDir, 'mail/example.test/bobby/Maildir')).join(','));
  const inbox = await waitFolder(srv, 'bobby@example.test', 'INBOX', 1);
  assert.match(fs.readFileSync(inbox[0], 'latin1'), /X-Charset: none/);
});

test("the user's script runs first; its stop ends the run, else the domain's script runs too", async () => {
  const { srv } = lab;
  cliOk(srv, ['sieve', 'put', 'carol@example.test', 'mine', '-', '--activate'], 'require ["fileinto", "mailbox"];\nif header :contains "subject" "private" {\n  fileinto :create "Private";\n  stop;\n}\n');
  cliOk(srv, ['sieve', 'put', '@example.test', 'domain', '-', '--activate'], 'require ["fileinto", "copy", "mailbox"];\nfileinto :copy :create "Archive";\n');
  assert.equal((await smtpSend(srv.ports.smtp, 'sender@orig.test', ['carol@example.test'], 'Subject: private matter\r\n\r\nx\r\n')).code, 250);
  assert.equal((await smtpSend(srv.ports.smtp, 'sender@orig.test', ['carol@example.test'], 'Subject: public matter\r\n\r\ny\r\n')).code, 250);
  await waitFolder(srv, 'carol@example.test', 'Private', 1);
  const archived = await waitFolder(srv, 'carol@example.test', 'Archive', 1);
  await waitFolder(srv, 'carol@example.test', 'INBOX', 1);
  assert.match(fs.readFileSync(archived[0], 'utf8'), /public matter/);
  assert.equal(folderFiles(srv, 'carol@example.test', 'Archive').length, 1, 'the private message never reached the domain script');
  cliOk(srv, ['sieve', 'deactivate', '@example.test']);
});

test('mail judged spam: an explicit fileinto wins over the Spam folder; spamtest sees the verdict; otherwise Spam', async () => {
  const { srv } = lab;
  cliOk(
    srv,
    ['sieve', 'put', 'david@example.test', 'spam', '-', '--activate'],
    'require ["fileinto", "mailbox", "spamtest", "relational", "comparator-i;ascii-numeric"];\nif header :contains "subject" "keep me" {\n  fileinto :create "Kept";\n} elsif spamtest :value "ge" :comparator "i;ascii-numeric" "10" {\n  fileinto :create "Certain";\n}\n',
  );
  const spam = (subject: string) => `Subject: ${subject}\r\nMessage-ID: <${Math.random()}@orig.test>\r\n\r\nCHEAP PILLS NOW CHEAP PILLS NOW\r\n`;
  assert.equal((await smtpSend(srv.ports.smtp, 'sender@orig.test', ['david@example.test'], spam('keep me anyway'))).code, 250);
  const kept = await waitFolder(srv, 'david@example.test', 'Kept', 1);
  assert.match(fs.readFileSync(kept[0], 'utf8'), /^X-IMAIL-SPAM/m, 'the verdict headers are in the stored message');
  assert.equal((await smtpSend(srv.ports.smtp, 'sender@orig.test', ['david@example.test'], spam('ordinary spam'))).code, 250);
  // score 9 + anything, threshold 5: spamtest is 1 + ⌊9·S/10⌋ — at least 9, and 10 only from twice the threshold
  const where = await until('the second spam filed', () => {
    const c = folderFiles(srv, 'david@example.test', 'Certain');
    const s = folderFiles(srv, 'david@example.test', 'Spam');
    return c.length + s.length ? { c, s } : null;
  });
  assert.equal(where.c.length + where.s.length, 1);
  assert.equal(folderFiles(srv, 'david@example.test', 'INBOX').length, 0, 'spam never reaches the INBOX by default');
});

test('a script that fails at run time keeps the message in the INBOX and the error is logged', async () => {
  const { srv } = lab;
  // max_actions = 8 in this server's [sieve]: ten header edits are a run-time error
  const edits = Array.from({ length: 10 }, (_, i) => `addheader "X-Edit-${i}" "v";`).join('\n');
  cliOk(srv, ['sieve', 'put', 'alice@example.test', 'broken', '-', '--activate'], `require ["editheader", "fileinto"];\n${edits}\nfileinto "Never";\n`);
  assert.equal((await smtpSend(srv.ports.smtp, 'sender@orig.test', ['alice@example.test'], 'Subject: still here\r\n\r\nz\r\n')).code, 250);
  const inbox = await until('the message kept', () => folderFiles(srv, 'alice@example.test', 'INBOX').find((f) => /still here/.test(fs.readFileSync(f, 'utf8'))));
  assert.doesNotMatch(fs.readFileSync(inbox, 'utf8'), /X-Edit-0/);
  assert.equal(folderFiles(srv, 'alice@example.test', 'Never').length, 0);
  await until('the error in the delivery log', () => logLines(srv, 'sieve-error', /broken/).length > 0);
});

test('fileinto :create with a folder named by the mail: senders make no folders past [accounts] max_folders, nothing is lost', async () => {
  const { srv } = lab;
  cliOk(srv, ['sieve', 'put', 'erin@example.test', 'by-subject', '-', '--activate'], 'require ["fileinto", "mailbox", "variables"];\nif header :matches "subject" "folder *" {\n  fileinto :create "${1}";\n}\n');
  const root = path.join(srv.dataDir, 'mail/example.test/erin/Maildir');
  const folders = () => fs.readdirSync(root).filter((d) => d.startsWith('.') && d.length > 1 && fs.statSync(path.join(root, d)).isDirectory());
  const names = Array.from({ length: 12 }, (_, i) => `x${i}`);
  for (const n of names) assert.equal((await smtpSend(srv.ports.smtp, 'sender@orig.test', ['erin@example.test'], `Subject: folder ${n}\r\nMessage-ID: <${n}@orig.test>\r\n\r\nbody\r\n`)).code, 250);
  const stored = () => names.reduce((k, n) => k + folderFiles(srv, 'erin@example.test', n).length, 0) + folderFiles(srv, 'erin@example.test', 'INBOX').length;
  await until('all twelve stored', () => (stored() === 12 ? true : null));
  assert.ok(1 + folders().length <= 10, `INBOX and ${folders().length} folders: ${folders().join(',')}`);
  assert.ok(folderFiles(srv, 'erin@example.test', 'INBOX').length >= 2, 'the messages whose folder was not made are in INBOX');
  assert.ok(logLines(srv, 'sieve-note', /max_folders/).length >= 2, 'the refusals are logged');
});
