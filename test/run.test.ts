// test/run.ts, the order npm test runs the files in: every file given runs once (none added or dropped), the
// longest by test/weights.txt first (really: node --test alone would sort them by path), a file the list does not
// know before all of them; the weight column follows the mode (npm test or npm run test:postgres); reporters and
// the exit code as with node --test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keyOf, order, readWeights, ROOT, WEIGHTS } from './order.js';

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

  it('runs the files given longest first, skips a stale compiled test, takes the reporter options, and fails as node --test does', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-run-'));
    // a compiled test under dist/test without its source (a deleted test that tsc left behind)
    const stale = fs.mkdtempSync(path.join(ROOT, 'dist', 'test', 'run-stale-'));
    try {
      const started = path.join(tmp, 'started.txt');
      const file = (name: string, body: string) => {
        // CommonJS (no package.json here): each file notes when it starts
        fs.writeFileSync(path.join(tmp, `${name}.test.js`), `const { test } = require('node:test');\nrequire('node:fs').appendFileSync(${JSON.stringify(started)}, '${name}\\n');\n${body}\n`);
        return path.join(tmp, `${name}.test.js`);
      };
      const [light, heavy, bad] = [file('a-light', "test('light', () => {});"), file('z-heavy', "test('heavy', () => {});"), file('bad', "test('fails', () => { throw new Error('no'); });")];
      fs.writeFileSync(path.join(stale, 'gone.test.js'), "import { test } from 'node:test';\ntest('stale', () => { throw new Error('ran'); });\n");
      const weights = path.join(tmp, 'weights.txt');
      fs.writeFileSync(weights, `1 1 ${keyOf(light)}\n9 9 ${keyOf(heavy)}\n5 5 ${keyOf(bad)}\n`);
      // NODE_TEST_CONTEXT would make the runner report to this test process in its private format, not TAP
      const env = { ...process.env, NODE_TEST_CONTEXT: undefined, TEGAMI_TEST_WEIGHTS: weights };
      const run = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'test', 'run.js'), ...args], { encoding: 'utf8', cwd: ROOT, env });

      const ok = run('--test-concurrency=1', '--test-reporter=tap', light, heavy, path.join(stale, 'gone.test.js'));
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.deepEqual(fs.readFileSync(started, 'utf8').split('\n').filter(Boolean), ['z-heavy', 'a-light'], 'the heavier first, though node --test would sort it last');
      assert.match(ok.stdout, /^TAP version 13$/m);
      assert.match(ok.stdout, /^# pass 2$/m);
      assert.doesNotMatch(ok.stdout, /stale/);
      assert.match(ok.stderr, /not running .*gone\.test\.js: compiled from a test that no longer exists/);

      // two reporters, each to its destination; a failing test fails the run
      const tapFile = path.join(tmp, 'out.tap');
      const bad1 = run('--test-reporter=tap', `--test-reporter-destination=${tapFile}`, '--test-reporter=dot', '--test-reporter-destination=stdout', light, bad);
      assert.equal(bad1.status, 1, bad1.stdout + bad1.stderr);
      assert.match(fs.readFileSync(tapFile, 'utf8'), /^not ok \d+ - fails$/m);
      assert.match(bad1.stdout, /X/, 'the dot reporter marks the failure');
      assert.equal(run('--test-only', light).status, 2, 'an option it does not pass on is refused, not ignored');
      // --test-timeout bounds each file's run, as with node --test
      const slow = file('slow', "test('sleeps', () => new Promise((r) => setTimeout(r, 5000)));");
      const timedOut = run('--test-timeout=1000', '--test-reporter=tap', slow);
      assert.equal(timedOut.status, 1, timedOut.stdout + timedOut.stderr);
      assert.match(timedOut.stdout, /failureType: 'testTimeoutFailure'/);

      // the weights reporter writes the list again: this mode's column from the run, the other kept
      const fresh = path.join(tmp, 'weights.new');
      const w = run('--test-reporter=./dist/test/weights-reporter.js', `--test-reporter-destination=${fresh}`, light, heavy);
      assert.equal(w.status, 0, w.stdout + w.stderr);
      const rows = readWeights(fs.readFileSync(fresh, 'utf8'), false);
      assert.deepEqual([...rows.keys()].sort(), [keyOf(light), keyOf(heavy), keyOf(bad)].sort());
      assert.ok(rows.get(keyOf(heavy))! < 9, `measured again: ${rows.get(keyOf(heavy))}`);
      assert.equal(readWeights(fs.readFileSync(fresh, 'utf8'), true).get(keyOf(heavy)), 9, 'the PostgreSQL column kept');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.rmSync(stale, { recursive: true, force: true });
    }
  });
});
