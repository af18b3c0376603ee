// test/run.ts, the order npm test runs the files in: every file given runs once (none added or dropped), the
// longest by test/weights.txt first, a file the list does not know before all of them; the weight column follows
// the mode (npm test or npm run test:postgres).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keyOf, order, readWeights, ROOT, WEIGHTS } from './run.js';

const WEIGHT_TEXT = `# comment
  12.5   40.0 smtp/slowloris
   0.3      - mime/charset   # not run on PostgreSQL
   3.0    2.0 imap/protocol
`;

describe('test/run: the order of the test files', () => {
  it('reads the column of the mode, skipping comments and "-"', () => {
    assert.deepEqual([...readWeights(WEIGHT_TEXT, false)], [['smtp/slowloris', 12.5], ['mime/charset', 0.3], ['imap/protocol', 3]]);
    assert.deepEqual([...readWeights(WEIGHT_TEXT, true)], [['smtp/slowloris', 40], ['imap/protocol', 2]]);
  });

  it('keys a compiled file by its path under dist/test', () => {
    assert.equal(keyOf(path.join(ROOT, 'dist/test/db/pg/serve.test.js')), 'db/pg/serve');
  });

  it('puts unknown files first, then the longest; keeps every file exactly once', () => {
    const files = ['dist/test/mime/charset.test.js', 'dist/test/new/fresh.test.js', 'dist/test/imap/protocol.test.js', 'dist/test/smtp/slowloris.test.js', 'dist/test/imap/protocol.test.js'];
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      assert.deepEqual(order(files, readWeights(WEIGHT_TEXT, false)), ['dist/test/new/fresh.test.js', 'dist/test/smtp/slowloris.test.js', 'dist/test/imap/protocol.test.js', 'dist/test/mime/charset.test.js']);
      // on PostgreSQL charset has no weight: it counts as unknown and goes first
      assert.deepEqual(order(files, readWeights(WEIGHT_TEXT, true)).slice(0, 2), ['dist/test/mime/charset.test.js', 'dist/test/new/fresh.test.js']);
    } finally {
      process.chdir(cwd);
    }
  });

  it('the committed weights name only tests that exist', () => {
    for (const postgres of [false, true]) {
      for (const key of readWeights(fs.readFileSync(WEIGHTS, 'utf8'), postgres).keys()) assert.ok(fs.existsSync(path.join(ROOT, 'test', `${key}.test.ts`)), `test/weights.txt names ${key}`);
    }
  });

  it('passes the options to node --test, runs the files given, skips a stale compiled test, and returns the exit code', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-run-'));
    // a compiled test under dist/test without its source (a deleted test that tsc left behind)
    const stale = fs.mkdtempSync(path.join(ROOT, 'dist', 'test', 'run-stale-'));
    try {
      fs.writeFileSync(path.join(tmp, 'ok.test.mjs'), "import { test } from 'node:test';\ntest('passes', () => {});\n");
      fs.writeFileSync(path.join(tmp, 'bad.test.mjs'), "import { test } from 'node:test';\ntest('fails', () => { throw new Error('no'); });\n");
      fs.writeFileSync(path.join(stale, 'gone.test.js'), "import { test } from 'node:test';\ntest('stale', () => { throw new Error('ran'); });\n");
      // NODE_TEST_CONTEXT would make the inner node --test report to this one in its private format, not TAP
      const env = { ...process.env, NODE_TEST_CONTEXT: undefined };
      const run = (...files: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'test', 'run.js'), '--test-reporter=tap', ...files], { encoding: 'utf8', cwd: ROOT, env });
      const ok = run(path.join(tmp, 'ok.test.mjs'), path.join(stale, 'gone.test.js'));
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /^ok 1 - passes$/m);
      assert.doesNotMatch(ok.stdout, /stale/);
      assert.match(ok.stderr, /not running .*gone\.test\.js: compiled from a test that no longer exists/);
      const bad = run(path.join(tmp, 'ok.test.mjs'), path.join(tmp, 'bad.test.mjs'));
      assert.equal(bad.status, 1, bad.stdout + bad.stderr);
      assert.match(bad.stdout, /^not ok \d+ - fails$/m);
      assert.match(bad.stdout, /^# pass 1$/m);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.rmSync(stale, { recursive: true, force: true });
    }
  });
});
