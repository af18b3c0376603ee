// reject/ereject (RFC 5429) end to end: with one recipient the client hears 550 5.7.1 with the script's reason
// while it waits (nothing stored, nothing bounced later); with several recipients the message is accepted for the
// others and the refusal becomes a notice — sent only to a sender that cannot be forged (an authenticated
// submitter, or SPF passing for the MAIL FROM domain), and to nobody otherwise: never a bounce to a forged sender.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { cliOk, folderFiles, logLines, mail, PASSWORD, smtpSend, startRulesLab, until, waitFolder, type RulesLab } from './e2e-helpers.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({
    users: ['alice@example.test', 'bobby@example.test', 'carol@example.test'],
    listeners: ['smtp', 'submission'],
    // connection checks judge loopback here, so SPF is evaluated for orig.test (which authorises 127.0.0.1)
    toml: '[spam]\nenabled = true\nbayes = false\nlocal_networks = []\ncheck_rdns = false\ncheck_helo = false\n',
    records: [{ name: 'orig.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.1 -all' }],
  });
  cliOk(lab.srv, ['sieve', 'put', 'alice@example.test', 'no', '-', '--activate'], 'require ["reject", "ereject"];\nif header :contains "subject" "unwanted" {\n  reject "I do not accept unwanted mail.";\n} elsif header :contains "subject" "hostile" {\n  ereject "Go away.";\n}\n');
});

after(async () => {
  await lab?.close();
});

test('one recipient: 550 5.7.1 with the reason at SMTP time; nothing is stored and no bounce follows', async () => {
  const r = await smtpSend(lab.srv.ports.smtp, 'sender@orig.test', ['alice@example.test'], mail({ subject: 'unwanted offer' }));
  assert.equal(r.stage, 'end');
  assert.equal(r.code, 550);
  assert.match(r.text, /^550 5\.7\.1 I do not accept unwanted mail\.$/);
  const e = await smtpSend(lab.srv.ports.smtp, 'sender@orig.test', ['alice@example.test'], mail({ subject: 'hostile words' }));
  assert.equal(e.code, 550);
  assert.match(e.text, /5\.7\.1 Go away\./);
  await until('both refusals logged', () => logLines(lab.srv, 'sieve-reject', /when=smtp/).length === 2);
  assert.equal(folderFiles(lab.srv, 'alice@example.test', 'INBOX').length, 0);
});

test('several recipients, an authenticated sender: accepted for the others, a notice with the reason to the sender', async () => {
  const r = await smtpSend(lab.srv.ports.submission, 'carol@example.test', ['alice@example.test', 'bobby@example.test'], mail({ from: '<carol@example.test>', to: 'alice@example.test, bobby@example.test', subject: 'unwanted newsletter' }), { auth: { user: 'carol@example.test', pass: PASSWORD } });
  assert.equal(r.code, 250, r.text);
  await waitFolder(lab.srv, 'bobby@example.test', 'INBOX', 1);
  const [dsn] = await waitFolder(lab.srv, 'carol@example.test', 'INBOX', 1);
  const text = fs.readFileSync(dsn, 'utf8');
  assert.match(text, /multipart\/report; report-type=delivery-status/);
  assert.match(text, /Final-Recipient: rfc822; alice@example\.test/);
  assert.match(text, /Status: 5\.7\.1/);
  assert.match(text, /I do not accept unwanted mail\./);
  assert.equal(folderFiles(lab.srv, 'alice@example.test', 'INBOX').length, 0);
});

test('several recipients, SPF passing for the sender domain: the notice goes back to it', async () => {
  const r = await smtpSend(lab.srv.ports.smtp, 'sender@orig.test', ['alice@example.test', 'bobby@example.test'], mail({ to: 'alice@example.test, bobby@example.test', subject: 'unwanted, aligned' }));
  assert.equal(r.code, 250, r.text);
  const [n] = await until('the notice at the sink', () => {
    const m = lab.sink.messages.filter((x) => x.to.includes('sender@orig.test') && /unwanted, aligned/.test(x.raw.toString('latin1')));
    return m.length ? m : null;
  });
  assert.equal(n.from, '');
  assert.match(n.raw.toString('latin1'), /Status: 5\.7\.1/);
});

test('several recipients, a sender nothing vouches for: no notice at all (never a bounce to a forged sender)', async () => {
  const r = await smtpSend(lab.srv.ports.smtp, 'victim@forged.test', ['alice@example.test', 'bobby@example.test'], mail({ from: '<victim@forged.test>', to: 'alice@example.test, bobby@example.test', subject: 'unwanted, forged' }));
  assert.equal(r.code, 250, r.text);
  const id = /queued as (\w+)/.exec(r.text)![1];
  await until('the dropped reject in the log', () => logLines(lab.srv, 'sieve-reject', new RegExp(`id=${id}\\b.*when=dropped`)).length > 0);
  await until('the message done', () => logLines(lab.srv, 'delivered', new RegExp(`id=${id}\\b`)).length > 0);
  assert.equal(logLines(lab.srv, 'dsn', new RegExp(`id=${id}\\b`)).length, 0);
  assert.equal(lab.sink.messages.filter((x) => x.to.includes('victim@forged.test')).length, 0);
});
