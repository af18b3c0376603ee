// A delivery worker reads the settings version only when tegami.db changed since its last task (workers/process.ts
// init: the read cache's data_version check stands for it). A change saved in the admin pages — another connection's
// commit — must still reach the very next message: here the spam threshold, which every verdict header names.
// Over real sockets against a real `tegami serve`; several messages first so both workers hold a warm config.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openDatabase } from '../../engine/db/database.js';
import { SettingsStore } from '../../engine/settings/store.js';
import { startTestServer } from '../helpers/server.js';
import { folderFiles, mail, smtpSend, until } from '../sieve/e2e-helpers.js';

const ALICE = 'alice@example.test';
const srv = await startTestServer({ users: [{ address: ALICE, password: 'secret-pass-1' }], toml: '[spam]\nlocal_networks = []\n' }); // the threshold left to the database (a key the file sets is the file's)
after(() => srv.stop());

/** The verdict header of the message with this subject, once it is in alice's INBOX. */
async function thresholdOf(subject: string): Promise<string> {
  const file = await until(`"${subject}" in the INBOX`, () => folderFiles(srv, ALICE, 'INBOX').find((f) => fs.readFileSync(f, 'latin1').includes(`Subject: ${subject}\r\n`)), 120_000);
  const m = /^X-Tegami-Spam-Status: .*?threshold=(\S+)/m.exec(fs.readFileSync(file, 'latin1'));
  assert.ok(m, `a verdict header in ${subject}`);
  return m[1];
}

test('a setting saved while the workers run applies to the next message', async () => {
  for (let i = 0; i < 6; i++) {
    const r = await smtpSend(srv.ports.smtp, 'sender@example.org', [ALICE], mail({ to: ALICE, subject: `before ${i}`, id: `before-${i}@example.org` }));
    assert.equal(r.code, 250, r.text);
  }
  const before = await thresholdOf('before 0');
  assert.notEqual(before, '42.5');
  for (let i = 1; i < 6; i++) assert.equal(await thresholdOf(`before ${i}`), before);

  const db = openDatabase(srv.dataDir);
  try {
    new SettingsStore(db).write({ 'spam.spam_threshold': 42.5 }, 'admin@example.test');
  } finally {
    db.close();
  }
  for (let i = 0; i < 4; i++) {
    const r = await smtpSend(srv.ports.smtp, 'sender@example.org', [ALICE], mail({ to: ALICE, subject: `after ${i}`, id: `after-${i}@example.org` }));
    assert.equal(r.code, 250, r.text);
    assert.equal(await thresholdOf(`after ${i}`), '42.5', `message ${i} after the change`);
  }
});
