// The admin rules page writes where delivery reads: the domain's active Sieve script in the rules store (the one
// `tegami rule` and ManageSieve edit), activated when the domain had none, edited in place when it had one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../engine/db/database.js';
import { SqliteRulesStore } from '../../engine/rules/sqlite-store.js';
import { domainRuleScripts } from '../../engine/web/admin/start.js';

test('the rules page reads and writes the domain script delivery runs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-rule-scripts-'));
  const db = openDatabase(dir);
  try {
    const store = new SqliteRulesStore(db);
    const rules = domainRuleScripts(store);
    assert.equal(rules.get('example.test'), null);
    rules.put('Example.TEST', 'require "fileinto";\nif header :contains "subject" "請求書" { fileinto "Invoices"; }\n', 'boss@example.test');
    const active = store.activeScript('@example.test');
    assert.equal(active?.name, 'rules');
    assert.match(active?.text ?? '', /請求書/);
    assert.equal(rules.get('example.test'), active?.text);

    // a domain whose active script was made elsewhere (ManageSieve, the CLI) keeps its name; only its text changes
    store.putScript('@other.test', 'from-sieve-connect', 'keep;\n');
    store.setActive('@other.test', 'from-sieve-connect');
    rules.put('other.test', 'discard;\n', 'boss@example.test');
    assert.deepEqual(store.listScripts('@other.test').map((s) => [s.name, s.active, s.text]), [['from-sieve-connect', true, 'discard;\n']]);
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
