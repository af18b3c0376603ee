// The worker's cache of the tegami.db rows every delivery reads (workers/read-cache.ts) must never serve a row
// the database no longer holds: a change committed by another connection (the admin pages, the CLI, another
// worker) or made through the worker's own connection is seen by the next task. First on the database itself
// (two connections, as the server's main thread and a worker hold them), then end to end: a Sieve script the
// operator activates with `tegami sieve put` while the workers have the recipient's rows cached files the next message.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../engine/config/load.js';
import { openDatabase } from '../../engine/db/database.js';
import { directoryFor } from '../../engine/context.js';
import { SqliteRulesStore } from '../../engine/rules/sqlite-store.js';
import { CachedRulesStore, cachedDirectory, readCacheFor } from '../../workers/read-cache.js';
import { startTestServer } from '../helpers/server.js';
import { mail, smtpSend } from '../sieve/e2e-helpers.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-read-cache-'));
  dirs.push(dir);
  const file = path.join(dir, 'tegami.toml');
  const config = parseConfigText(`hostname = "mx.example.test"\ndata_dir = ${JSON.stringify(path.join(dir, 'data'))}\n[domains]\nlocal = ["example.test"]\n`, file);
  const admin = openDatabase(config.data_dir); // the main thread's or the CLI's connection
  const worker = openDatabase(config.data_dir); // the worker's
  const cache = readCacheFor(worker);
  return { config, admin, worker, cache, adminDir: directoryFor(config, admin), workerDir: cachedDirectory(directoryFor(config, worker), cache) };
}

test('account rows: another connection\'s commit and the worker\'s own write are both seen by the next task', async () => {
  const { config, admin, worker, cache, adminDir, workerDir } = setup();
  try {
    await adminDir.addUser({ address: 'alice@example.test', password: 'secret-pass-1' });
    await adminDir.addUser({ address: 'bobby@example.test', password: 'secret-pass-1' });
    cache.revalidate();
    const first = workerDir.resolve('alice@example.test');
    assert.equal(first.kind, 'mailbox');
    assert.equal(workerDir.resolve('info@example.test').kind, 'unknown');
    const quota = workerDir.quotaOf('alice@example.test');
    assert.equal(workerDir.resolve('alice@example.test'), first, 'read once, then served from the cache');
    assert.ok(cache.size >= 3);
    assert.throws(() => ((first as { kind: string }).kind = 'unknown'), TypeError, 'a cached row is frozen');

    // the admin adds an alias, changes the quota and disables bob (one commit each, another connection)
    adminDir.addAlias('info@example.test', ['alice@example.test']);
    adminDir.updateUser('alice@example.test', { quota: { bytes: 1234567, messages: 89 } });
    adminDir.updateUser('bobby@example.test', { disabled: true });
    assert.equal(workerDir.resolve('info@example.test').kind, 'unknown', 'within a task nothing moves');
    cache.revalidate(); // the next task
    assert.deepEqual(workerDir.resolve('info@example.test'), { kind: 'alias', targets: ['alice@example.test'] });
    assert.notDeepEqual(workerDir.quotaOf('alice@example.test'), quota);
    assert.deepEqual(workerDir.quotaOf('alice@example.test'), adminDir.quotaOf('alice@example.test'));
    assert.equal(workerDir.resolve('bobby@example.test').kind, 'unknown', 'a disabled account takes no mail');

    // a write through the worker's own connection (PRAGMA data_version does not move for it)
    directoryFor(config, worker).updateUser('bobby@example.test', { disabled: false });
    cache.revalidate();
    assert.equal(workerDir.resolve('bobby@example.test').kind, 'mailbox');
  } finally {
    admin.close();
    worker.close();
  }
});

test('Sieve script, vacation and auto-reply rows follow the admin\'s changes and the worker\'s own', () => {
  const { admin, worker, cache } = setup();
  try {
    const rules = new CachedRulesStore(worker, cache);
    const adminRules = new SqliteRulesStore(admin);
    cache.revalidate();
    assert.equal(rules.activeScript('alice@example.test'), null);
    assert.equal(rules.activeScript('@example.test'), null);
    assert.equal(rules.getVacation('alice@example.test'), null);
    assert.equal(rules.getAutoReply('alice@example.test'), null);

    adminRules.putScript('alice@example.test', 'main', 'require "fileinto";\r\nfileinto "Later";\r\n');
    adminRules.setActive('alice@example.test', 'main');
    adminRules.putScript('@example.test', 'domain', 'keep;\r\n');
    adminRules.setActive('@example.test', 'domain');
    adminRules.setVacation('alice@example.test', { enabled: true, subject: null, text: '休暇中です。', html: null, from: null, until: null, days: 3, addresses: [], sender: null });
    adminRules.setAutoReply({ address: 'alice@example.test', enabled: true, subject: 'Thanks', text: 'Got it', intervalMs: 3_600_000 });
    assert.equal(rules.activeScript('alice@example.test'), null, 'within a task nothing moves');
    cache.revalidate();
    assert.equal(rules.activeScript('alice@example.test')?.name, 'main');
    assert.equal(rules.activeScript('@example.test')?.name, 'domain');
    assert.equal(rules.getVacation('alice@example.test')?.text, '休暇中です。');
    assert.equal(rules.getAutoReply('alice@example.test')?.subject, 'Thanks');

    // a new version of the script (same name) and the vacation switched off, through the worker's connection
    rules.putScript('alice@example.test', 'main', 'keep;\r\n');
    rules.disableVacation('alice@example.test');
    cache.revalidate();
    assert.equal(rules.activeScript('alice@example.test')?.text, 'keep;\r\n');
    assert.equal(rules.getVacation('alice@example.test')?.enabled, false);
  } finally {
    admin.close();
    worker.close();
  }
});

test('end to end: a script activated with the CLI while the workers hold the recipient\'s rows files the next message', async () => {
  const srv = await startTestServer({ listeners: ['smtp'], users: [{ address: 'alice@example.test', password: 'secret-pass-1' }] });
  try {
    // every worker of the pool delivers to alice at least once, so each holds her rows
    for (let i = 0; i < 6; i++) {
      const r = await smtpSend(srv.ports.smtp, 'someone@remote.test', ['alice@example.test'], mail({ subject: `warm ${i}`, to: 'alice@example.test' }));
      assert.equal(r.code, 250, r.text);
    }
    for (let i = 0; i < 6; i++) await srv.waitForMessage('alice@example.test', `warm ${i}`, 120_000);
    const put = srv.cli(['sieve', 'put', 'alice@example.test', 'main', '-', '--activate'], 'require ["fileinto", "mailbox"];\nfileinto :create "Later";\n');
    assert.equal(put.status, 0, put.stderr);
    for (let i = 0; i < 4; i++) {
      const r = await smtpSend(srv.ports.smtp, 'someone@remote.test', ['alice@example.test'], mail({ subject: `after ${i}`, to: 'alice@example.test' }));
      assert.equal(r.code, 250, r.text);
    }
    for (let i = 0; i < 4; i++) await srv.waitForMessage('alice@example.test', `after ${i}`, 120_000, 'Later');
  } finally {
    await srv.stop();
  }
});
