// /readyz goes 503 when the spool cannot be written, for real: tegami serve runs in its own mount namespace
// (unshare -m), and the test remounts its spool directory read-only there (nsenter; root's chmod would not
// stop a write). The JSON body names the failed check; /healthz stays 200 (the process is alive); when the
// spool is writable again, /readyz is 200 again. Also: a free-space threshold above what the disk has fails
// the disk check.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, startTestServer } from '../helpers/server.js';
import { readListeners } from '../../lab/targets/common.js';
import { scrape } from './helpers.js';

async function launch(dataDir: string, configPath: string, wrap: string[] = []): Promise<{ proc: ChildProcess; port: number }> {
  // listeners bind port 0: the metrics port is the one this run wrote to run/listeners.json
  fs.rmSync(path.join(dataDir, 'run', 'listeners.json'), { force: true });
  const argv = [...wrap, process.execPath, BIN, 'serve', '--config', configPath];
  const proc = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  const bound = await readListeners(dataDir, { timeoutMs: 120_000, alive: () => proc.exitCode === null && !proc.signalCode });
  if (!bound?.metrics) {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    throw new Error(`serve did not start (exit ${proc.exitCode})`);
  }
  return { proc, port: bound.metrics.port };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

type Ready = { status: string; checks: Record<string, { ok: boolean; detail?: string }> };

async function readyz(port: number): Promise<{ status: number; body: Ready }> {
  const r = await scrape(port, '/readyz');
  return { status: r.status, body: JSON.parse(r.text) as Ready };
}

function nsenter(pid: number, args: string[]): void {
  const r = spawnSync('nsenter', ['-t', String(pid), '-m', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nsenter ${args.join(' ')}: ${r.stderr}`);
}

describe('/readyz', () => {
  it('is 503 naming the spool while the spool is read-only, 200 again when it is writable', async (t) => {
    const probe = spawnSync('unshare', ['-m', 'true']);
    if (probe.status !== 0) {
      if (process.env.CI) throw new Error('unshare -m is not permitted here');
      return t.skip('unshare -m is not permitted (needs root with CAP_SYS_ADMIN)');
    }
    const made = await startTestServer({ listeners: ['smtp', 'metrics'] });
    await made.stop();
    const { proc, port } = await launch(made.dataDir, made.configPath, ['unshare', '-m', '--propagation', 'private']);
    const spool = path.join(made.dataDir, 'spool');
    try {
      assert.equal((await readyz(port)).status, 200);
      nsenter(proc.pid!, ['mount', '--bind', spool, spool]);
      nsenter(proc.pid!, ['mount', '-o', 'remount,bind,ro', spool]);
      const bad = await readyz(port);
      assert.equal(bad.status, 503);
      assert.equal(bad.body.status, 'not ready');
      assert.equal(bad.body.checks.spool.ok, false);
      assert.match(bad.body.checks.spool.detail ?? '', /EROFS|read-only/i);
      for (const c of ['listeners', 'database', 'pool', 'disk']) assert.equal(bad.body.checks[c].ok, true, `${c} still ok`);
      assert.equal((await scrape(port, '/healthz')).status, 200, 'alive all the same');
      // outside the server's namespace the spool was writable all along
      fs.writeFileSync(path.join(spool, 'incoming', '.outside.tmp'), 'x');
      fs.rmSync(path.join(spool, 'incoming', '.outside.tmp'));
      nsenter(proc.pid!, ['mount', '-o', 'remount,bind,rw', spool]);
      assert.equal((await readyz(port)).status, 200);
      // the changes of readiness are logged
      await stop(proc);
      const system = fs.readdirSync(path.join(made.dataDir, 'logs')).filter((f) => f.startsWith('system-')).map((f) => fs.readFileSync(path.join(made.dataDir, 'logs', f), 'utf8')).join('');
      assert.match(system, /WARN not-ready failed=\["spool"\]/);
      assert.match(system, /INFO ready[\s\S]*WARN not-ready[\s\S]*INFO ready/);
    } finally {
      await stop(proc);
    }
  });

  it('is 503 naming the disk when [health] min_free asks for more than the disk has', async () => {
    const made = await startTestServer({ listeners: ['smtp', 'metrics'], toml: `[health]\nmin_free = "100%"\n` });
    await made.stop();
    const { proc, port: metrics } = await launch(made.dataDir, made.configPath);
    try {
      const r = await readyz(metrics);
      assert.equal(r.status, 503);
      assert.equal(r.body.checks.disk.ok, false);
      assert.match(r.body.checks.disk.detail ?? '', /bytes free .* below 100%/);
    } finally {
      await stop(proc);
    }
  });
});
