// A second `tegami serve` on a data dir a server already runs on (npm start in a second terminal, a unit and a
// hand start): it stops at once, saying which pid runs, and leaves the first server's run files alone. It used
// to take over run/tegami.pid and remove run/listeners.json (then, failing to bind, removed the pid file too, so
// `tegami restore --force` replaced the database under the running server), and with free ports it ran beside
// the first on the same spool.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;

before(async () => {
  srv = await startTestServer({ listeners: ['smtp'], users: [{ address: 'kept@example.test', password: 'kept-pw1' }] });
});
after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

it('a second serve on the same data dir refuses, and the first keeps its run files and its restore guard', () => {
  const run = path.join(srv.dataDir, 'run');
  const pid = fs.readFileSync(path.join(run, 'tegami.pid'), 'utf8');
  const listeners = fs.readFileSync(path.join(run, 'listeners.json'), 'utf8');
  // its listeners are on port 0 like the first's, so nothing but the guard stops it
  const second = spawnSync(process.execPath, [BIN, 'serve', '--config', srv.configPath], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(second.status, 1, `the second serve: status ${second.status} signal ${second.signal}\n${second.stderr}`);
  assert.match(second.stderr, new RegExp(`a tegami \\(pid ${srv.proc.pid}\\) is already running on ${srv.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal(fs.readFileSync(path.join(run, 'tegami.pid'), 'utf8'), pid);
  assert.equal(fs.readFileSync(path.join(run, 'listeners.json'), 'utf8'), listeners);
  const backup = path.join(srv.dir, 'b.tar.gz');
  assert.equal(srv.cli(['backup', backup]).status, 0);
  const restore = srv.cli(['restore', backup, '--force']);
  assert.equal(restore.status, 1, restore.stdout);
  assert.match(restore.stderr, /is running on/);
  assert.equal(srv.proc.exitCode, null, 'the first server still runs');
});
