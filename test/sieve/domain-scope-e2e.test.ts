// A domain's Sieve script runs for the accounts of that domain only (security review 3, item 8 of polish2): mail
// reaching an account of another domain — through an alias of the first domain, or to an account that holds the
// first domain's host-admin right — runs the account's own domain script, never the other's. Two domains, each
// with a domain script filing into a folder named after it; swaks-like SMTP sends, the Maildirs are read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cliOk, folderFiles, mail, smtpSend, startRulesLab, waitFolder, type RulesLab } from './e2e-helpers.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({ users: ['alice@example.test'] });
  cliOk(lab.srv, ['domain', 'add', 'other.test']);
  cliOk(lab.srv, ['user', 'add', 'robert@other.test', '--password', 'secret-pass-2']);
  // bob of other.test holds example.test's host-admin right: a right, not a mailbox of example.test
  cliOk(lab.srv, ['user', 'set', 'robert@other.test', '--host-admin', 'example.test']);
  cliOk(lab.srv, ['alias', 'add', 'sales@other.test', 'alice@example.test']);
  cliOk(lab.srv, ['alias', 'add', 'helpdesk@example.test', 'robert@other.test']);
  const script = (folder: string) => `require ["fileinto", "mailbox"];\nfileinto :create "${folder}";\n`;
  cliOk(lab.srv, ['sieve', 'put', '@example.test', 'domain', '-', '--activate'], script('ByExample'));
  cliOk(lab.srv, ['sieve', 'put', '@other.test', 'domain', '-', '--activate'], script('ByOther'));
});

after(async () => {
  await lab?.close();
});

async function send(to: string, subject: string): Promise<void> {
  const r = await smtpSend(lab.srv.ports.smtp, 'sender@orig.test', [to], mail({ subject, id: subject.replace(/\W/g, '') }));
  assert.equal(r.code, 250, r.text);
}

test("a domain's script runs only for its own accounts, whatever address or right brought the mail", async () => {
  await send('sales@other.test', 'via an alias of other.test');
  await send('helpdesk@example.test', 'via an alias of example.test');
  await send('robert@other.test', 'to the holder of example.test rights');
  await send('alice@example.test', 'to alice directly');

  await waitFolder(lab.srv, 'alice@example.test', 'ByExample', 2, 120_000);
  await waitFolder(lab.srv, 'robert@other.test', 'ByOther', 2, 120_000);
  assert.deepEqual(folderFiles(lab.srv, 'alice@example.test', 'ByOther'), [], "other.test's script never ran for alice@example.test");
  assert.deepEqual(folderFiles(lab.srv, 'robert@other.test', 'ByExample'), [], "example.test's script never ran for robert@other.test (alias of example.test, or example.test's right)");
  assert.deepEqual(folderFiles(lab.srv, 'alice@example.test', 'INBOX'), []);
  assert.deepEqual(folderFiles(lab.srv, 'robert@other.test', 'INBOX'), []);
});
