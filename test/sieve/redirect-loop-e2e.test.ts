// Redirect loops stay detected when scripts edit headers (security review 2, finding 3): the loop check reads the
// Delivered-To fields each redirecting mailbox adds, so a script must not delete them. Two mailboxes whose scripts
// run `deleteheader "Delivered-To"` and redirect to each other (keeping a copy) used to bounce the message between
// them up to the hop limit, a copy each time (and three such mailboxes, each redirecting to the other two, double
// the copies at every hop); now the loop is seen when it comes back, and each mailbox keeps one copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cliOk, folderFiles, logLines, mail, smtpSend, startRulesLab, until, type RulesLab } from './e2e-helpers.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({ users: ['alice@example.test', 'bobby@example.test'] });
  const loop = (to: string) => `require ["editheader"];\ndeleteheader "Delivered-To";\nredirect "${to}";\nkeep;\n`;
  cliOk(lab.srv, ['sieve', 'put', 'alice@example.test', 'loop', '-', '--activate'], loop('bobby@example.test'));
  cliOk(lab.srv, ['sieve', 'put', 'bobby@example.test', 'loop', '-', '--activate'], loop('alice@example.test'));
});

after(async () => {
  await lab?.close();
});

test('deleteheader "Delivered-To" cannot hide a redirect loop: it is seen when the message comes back', async () => {
  const r = await smtpSend(lab.srv.ports.smtp, 'sender@orig.test', ['alice@example.test'], mail({ subject: 'ループ試験', to: 'alice@example.test' }));
  assert.equal(r.code, 250, r.text);
  // the loop is logged (never the hop limit, 25 copies in each mailbox later)
  await until('the redirect loop to be seen (or copies piling up)', () => logLines(lab.srv, 'redirect-loop').length > 0 || folderFiles(lab.srv, 'alice@example.test', 'INBOX').length > 5, 120_000);
  assert.equal(logLines(lab.srv, 'redirect-loop').length, 1, 'seen as a redirect loop');
  assert.ok(folderFiles(lab.srv, 'alice@example.test', 'INBOX').length <= 2, `alice has ${folderFiles(lab.srv, 'alice@example.test', 'INBOX').length} copies`);
  assert.ok(folderFiles(lab.srv, 'bobby@example.test', 'INBOX').length <= 1);
});
