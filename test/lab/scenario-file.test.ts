// Scenario files: every shipped one parses; a bad file names the file, the line and the key, and
// `tegami lab run` exits 2 on it; `tegami lab list` shows the shipped set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseScenarioText, ScenarioError, listScenarios, KINDS } from '../../lab/scenario/schema.js';
import { REPO_ROOT, TEGAMI_BIN } from '../../lab/targets/tegami.js';

const SCEN = path.join(REPO_ROOT, 'scenarios');

function bad(text: string): ScenarioError {
  try {
    parseScenarioText(text, 'x.toml');
  } catch (e) {
    assert.ok(e instanceof ScenarioError, String(e));
    return e;
  }
  assert.fail('should not parse');
}

test('every shipped scenario parses, one per kind at least', () => {
  const items = listScenarios(SCEN);
  for (const i of items) assert.equal(i.error, undefined, `${i.file}: ${i.error}`);
  const kinds = new Set(items.map((i) => i.kind));
  for (const k of KINDS) assert.ok(kinds.has(k), `a scenario of kind ${k}`);
  for (const n of ['relay-abuse', 'auth-abuse', 'throughput', 'slow-peers', 'spam-corpus', 'japanese']) assert.ok(fs.existsSync(path.join(SCEN, `${n}.toml`)), n);
});

test('defaults and units', () => {
  const s = parseScenarioText('name = "t"\nkind = "throughput"\n[[load]]\nsize = "100KB"\nmessages = 10\n[[load]]\nmode = "open"\nrate = 5\nduration = "1.5s"\n', 'x.toml');
  assert.equal(s.load[0].size, 102_400);
  assert.equal(s.load[0].connections, 20);
  assert.equal(s.load[1].duration, 1500);
  assert.deepEqual(s.targets.start, ['tegami']);
  assert.equal(s.relay.proof_wait, 3000);
});

test('errors name the line and the key', () => {
  let e = bad('name = "t"\nkind = "relay-abuse"\n\n[relay]\nrelay_domain = "x.test"\nproof_wiat = "3s"\n');
  assert.equal(e.line, 6);
  assert.equal(e.key, 'relay.proof_wiat');
  assert.match(e.message, /^x\.toml:6: relay\.proof_wiat: unknown key/);

  e = bad('name = "t"\nkind = "throughput"\n[[load]]\nmessages = 10\n[[load]]\nmessages = 10\nsize = "huge"\n');
  assert.equal(e.line, 7);
  assert.equal(e.key, 'load[1].size');

  e = bad('name = "t"\nkind = "throughput"\n[[load]]\nmode = "open"\nmessages = 5\n');
  assert.equal(e.line, 3);
  assert.match(e.reason, /rate/);

  e = bad('name = "t"\nkind = "nonsense"\n');
  assert.equal(e.line, 2);
  assert.equal(e.key, 'kind');

  e = bad('name = "t"\nkind = "japanese"\n[targets]\nstart = ["tegami", "exim"]\n');
  assert.equal(e.line, 4);
  assert.equal(e.key, 'targets.start[1]');

  e = bad('name = "t"\nkind = [\n');
  assert.equal(e.line, 3);
});

test('tegami lab run exits 2 on a bad scenario, naming file, line and key; lab list shows the scenarios', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-scen-'));
  try {
    const f = path.join(dir, 'broken.toml');
    fs.writeFileSync(f, 'name = "broken"\nkind = "throughput"\n\n[[load]]\nconnections = -3\nmessages = 5\n');
    const r = spawnSync(process.execPath, [TEGAMI_BIN, 'lab', 'run', f, '--report-dir', dir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(`${f}:5: load[0].connections:`), r.stderr);
    assert.deepEqual(fs.readdirSync(dir).filter((x) => x.endsWith('.json')), [], 'no report for a bad file');

    const list = spawnSync(process.execPath, [TEGAMI_BIN, 'lab', 'list'], { encoding: 'utf8', timeout: 30_000, cwd: REPO_ROOT });
    assert.equal(list.status, 0, list.stderr);
    for (const n of ['relay-abuse', 'auth-abuse', 'throughput', 'slow-peers', 'spam-corpus', 'japanese']) assert.match(list.stdout, new RegExp(`scenarios/${n}\\.toml\\s+${n}`));

    const usage = spawnSync(process.execPath, [TEGAMI_BIN, 'lab', 'frobnicate'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(usage.status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
