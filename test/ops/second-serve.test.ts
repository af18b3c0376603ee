// A second `tegami serve` on a data dir a server already runs on (npm start in a second terminal, a unit and a
// hand start): it stops at once, saying which pid runs, and leaves the first server's run files alone. It used
// to take over run/tegami.pid and remove run/listeners.json (then, failing to bind, removed the pid file too, so
// `tegami restore --force` replaced the database under the running server), and with free ports it ran beside
// the first on the same spool.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, startTestServer, type TestServer } from '../helpers/server.js';
import { readListeners } from '../../lab/targets/common.js';
import { runningServer } from '../../engine/ops/restore.js';
import { claimPidFile } from '../../engine/ops/pid-file.js';

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

it('of two serves started at once on one data dir, one runs and the other refuses (the pid file is claimed, not just looked at)', async () => {
  // its own data dir, created before the race (the two would otherwise also race to create the database)
  const config = path.join(srv.dir, 'race.toml');
  const dataDir = path.join(srv.dir, 'race-data');
  fs.writeFileSync(config, fs.readFileSync(srv.configPath, 'utf8').replace(/^data_dir = .*$/m, `data_dir = ${JSON.stringify(dataDir)}`));
  assert.equal(spawnSync(process.execPath, [BIN, 'user', 'list', '--config', config], { encoding: 'utf8', timeout: 120_000 }).status, 0);
  const procs = [0, 1].map(() => spawn(process.execPath, [BIN, 'serve', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] }));
  const errs = ['', ''];
  procs.forEach((p, i) => p.stderr!.on('data', (d) => (errs[i] += d)));
  const exited = procs.map((p) => new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code))));
  try {
    // the loser stops as soon as it has opened the storage; the winner runs until stopped
    let timer: NodeJS.Timeout | undefined;
    const first = await Promise.race([...exited.map((e, i) => e.then((code) => ({ i, code }))), new Promise<null>((r) => (timer = setTimeout(() => r(null), 60_000)))]);
    clearTimeout(timer);
    assert.ok(first, 'neither serve stopped within 60 s: both run on the same spool');
    assert.equal(first.code, 1, errs[first.i]);
    const winner = procs[1 - first.i];
    assert.match(errs[first.i], new RegExp(`a tegami \\(pid ${winner.pid}\\) is already running`));
    assert.equal(winner.exitCode, null, `the other still runs: ${errs[1 - first.i]}`);
    assert.equal(fs.readFileSync(path.join(dataDir, 'run', 'tegami.pid'), 'utf8').trim(), String(winner.pid));
  } finally {
    for (const p of procs) if (p.exitCode === null && !p.signalCode) p.kill('SIGTERM');
    await Promise.all(exited);
  }
});

it('a server run under another name (no "tegami" in its command line) still guards its data dir against restore and a second serve', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mx-'));
  const config = path.join(dir, 'mx.toml');
  const dataDir = path.join(dir, 'data');
  fs.writeFileSync(config, fs.readFileSync(srv.configPath, 'utf8').replace(/^data_dir = .*$/m, `data_dir = ${JSON.stringify(dataDir)}`));
  const launcher = path.join(dir, 'mx-serve');
  fs.symlinkSync(BIN, launcher);
  const server = spawn(process.execPath, [launcher, 'serve', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  server.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  try {
    assert.ok(await readListeners(dataDir, { timeoutMs: 60_000, alive: () => server.exitCode === null }), `the server did not start: ${err}`);
    assert.ok(!fs.readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').includes('tegami'), 'its command line does not name tegami');
    const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--config', config], { encoding: 'utf8', timeout: 120_000 });
    const backup = path.join(dir, 'b.tar.gz');
    assert.equal(cli(['backup', backup]).status, 0);
    const restore = cli(['restore', backup, '--force']);
    assert.equal(restore.status, 1, `restore replaced the database under the running server: ${restore.stdout}`);
    assert.match(restore.stderr, new RegExp(`pid ${server.pid}\\) is running on`));
    const second = cli(['serve']);
    assert.equal(second.status, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`a tegami \\(pid ${server.pid}\\) is already running`));
    assert.equal(server.exitCode, null, 'the first server still runs');
  } finally {
    if (server.exitCode === null && !server.signalCode) server.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('a pid file naming a live process counts by when that process started: before the file was written (the server), or after (the number was taken since: stale, replaced)', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mx-pid-'));
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => other.once('exit', resolve));
  try {
    fs.mkdirSync(path.join(dataDir, 'run'));
    const file = path.join(dataDir, 'run', 'tegami.pid');
    fs.writeFileSync(file, String(other.pid));
    // written a minute after the process started, whatever the clock's granularity or the machine's load
    const minuteLater = new Date(Date.now() + 60_000);
    fs.utimesSync(file, minuteLater, minuteLater);
    assert.equal(runningServer(dataDir), other.pid, 'started before the file was written: the server, whatever its name');
    const hourAgo = new Date(Date.now() - 3_600_000);
    fs.utimesSync(file, hourAgo, hourAgo);
    assert.equal(runningServer(dataDir), null, 'started after the file was written: not the server');
    assert.deepEqual(claimPidFile(dataDir), { ok: true, file, stale: { pid: String(other.pid), reason: 'not-tegami' } });
    assert.equal(fs.readFileSync(file, 'utf8'), String(process.pid));
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'run')), ['tegami.pid'], 'no temp file left');
  } finally {
    other.kill('SIGKILL');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
