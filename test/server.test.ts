// engine/server.ts: every start-up step after the pid-file claim is undone when one fails. The SRS key is read
// only when the relay policy is built (after the queue and the list scheduler have started, outside the old
// guard() steps): a key file that is too short, or a directory where the file should be, stopped `tegami serve`
// with the pid file left behind (the next start logged stale-pid-file) and, for the directory, Node's raw EISDIR.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from './helpers/server.js';

const CONFIG = 'hostname = "mx.example.test"\ndata_dir = "data"\n[log]\nstdout = false\n[dns]\nservers = ["127.0.0.1:9"]\n[listen]\nsmtp = "127.0.0.1:0"\n[srs]\nenabled = true\n';

function serve(dir: string) {
  return spawnSync(process.execPath, [BIN, 'serve', '--config', path.join(dir, 't.toml')], { encoding: 'utf8', timeout: 120_000 });
}

it('a bad SRS key file stops tegami serve naming the file and the key, and leaves no pid file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-start-'));
  try {
    fs.writeFileSync(path.join(dir, 't.toml'), CONFIG);
    const key = path.join(dir, 'data', 'keys', 'srs.secret');
    fs.mkdirSync(path.dirname(key), { recursive: true, mode: 0o700 });
    // too short: refused (replacing it would break the forwards in flight)
    fs.writeFileSync(key, 'short\n', { mode: 0o600 });
    let r = serve(dir);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^tegami serve: .*srs\.secret \(\[srs\] secret_file\): the SRS secret is shorter than 16 bytes/m);
    assert.ok(!fs.existsSync(path.join(dir, 'data', 'run', 'tegami.pid')), 'no pid file left behind');
    // a directory where the file should be: a sentence, not EISDIR
    fs.rmSync(key);
    fs.mkdirSync(key);
    r = serve(dir);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /srs\.secret \(\[srs\] secret_file\): the SRS secret cannot be read or made: it is a directory/);
    assert.doesNotMatch(r.stderr, /EISDIR/);
    assert.ok(!fs.existsSync(path.join(dir, 'data', 'run', 'tegami.pid')), 'no pid file left behind');
    // the next start after either failure found no stale pid file
    assert.ok(!fs.readdirSync(path.join(dir, 'data', 'logs')).some((f) => fs.readFileSync(path.join(dir, 'data', 'logs', f), 'utf8').includes('stale-pid-file')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
