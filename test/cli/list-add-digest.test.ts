// `tegami list add --digest` (or a CSV line with "digest") on a list that offers no digest: the member is added
// with the digest preference kept (it takes effect once `list set --digest` turns the digest on, docs/lists.md
// "Digests"), but until then gets every post as a single copy. The command said only "added 1 member(s)"
// (operator run 2); it now says so and how to turn the digest on. On a list with a digest, or for regular
// members, no note.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../helpers/server.js';

it('list add of digest members to a list without a digest says they get single copies and how to turn it on', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-list-digest-'));
  try {
    const config = path.join(dir, 'tegami.toml');
    fs.writeFileSync(config, 'hostname = "mx.example.test"\ndata_dir = "data"\n[log]\nstdout = false\n');
    const ok = (args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, ...args, '--config', config], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    ok(['domain', 'add', 'example.test']);
    ok(['list', 'create', 'team@example.test', '--subject-prefix', '[チーム]']);
    const note = /^note: team@example\.test offers no digest, so the (\d+) member\(s\) added for the digest get every post as a single copy; tegami list set team@example\.test --digest turns the digest on/m;
    let o = ok(['list', 'add', 'team@example.test', 'taro@example.test', 'hanako@remote.test', '--digest']);
    assert.match(o, /^added 2 member\(s\) to team@example\.test$/m);
    assert.equal(note.exec(o)?.[1], '2', o);
    // the preference is kept
    assert.equal(ok(['list', 'members', 'team@example.test']), 'hanako@remote.test\tdigest\ntaro@example.test\tdigest\n');
    // a CSV: only the lines that ask for the digest (and were added) are counted
    const csv = path.join(dir, 'members.csv');
    fs.writeFileSync(csv, 'address,mode\r\njiro@remote.test,digest\r\nsaburo@remote.test,regular\r\ntaro@example.test,digest\r\n');
    o = ok(['list', 'add', 'team@example.test', '--file', csv]);
    assert.match(o, /^added 2 member\(s\)/m);
    assert.equal(note.exec(o)?.[1], '1', o);
    // regular members: no note
    assert.doesNotMatch(ok(['list', 'add', 'team@example.test', 'shiro@remote.test']), /note:/);
    // with the digest on, no note
    ok(['list', 'set', 'team@example.test', '--digest']);
    o = ok(['list', 'add', 'team@example.test', 'goro@remote.test', '--digest']);
    assert.match(o, /^added 1 member\(s\)/m);
    assert.doesNotMatch(o, /note:/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
