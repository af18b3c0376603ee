// A server killed with SIGKILL leaves run/tegami.pid behind. The next start replaces it, as before, and now says
// so in one system log line naming the stale pid and why it was stale (operator-run-1: the month's incident
// review found nothing of the kill in the log). A clean stop leaves no such line at the next start; a live
// tegami on the data dir is still refused (test/ops/second-serve.test.ts). On the real CLI.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { claimPidFile } from '../../engine/ops/pid-file.js';

let srv: TestServer;

before(async () => {
  srv = await startTestServer({ listeners: ['smtp'] });
});
after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

const staleLines = () => {
  const dir = path.join(srv.dataDir, 'logs');
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('system-'))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.split(' ')[2] === 'stale-pid-file');
};

async function until<T>(what: string, fn: () => T): Promise<NonNullable<T>> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const v = fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('after kill -9 the restart logs one line naming the stale pid, and the pid file names the new server', async () => {
  const file = path.join(srv.dataDir, 'run', 'tegami.pid');
  const killed = srv.proc.pid!;
  assert.equal(fs.readFileSync(file, 'utf8').trim(), String(killed));
  await srv.stop('SIGKILL');
  assert.equal(fs.readFileSync(file, 'utf8').trim(), String(killed), 'left behind');
  await srv.restart();
  assert.equal(fs.readFileSync(file, 'utf8').trim(), String(srv.proc.pid), 'replaced');
  const [line, ...more] = await until('the stale-pid-file line', () => (staleLines().length ? staleLines() : null));
  assert.equal(more.length, 0, 'one line');
  assert.match(line, / WARN stale-pid-file /);
  assert.match(line, new RegExp(` pid=${killed} reason=gone `));
  assert.match(line, new RegExp(`named pid ${killed}, which no longer runs: the previous run did not stop cleanly`));

  // a clean stop leaves nothing stale for the next start
  await srv.restart(); // (resolves once the listeners are bound, after the start's pid file line would be written)
  assert.equal(fs.readFileSync(file, 'utf8').trim(), String(srv.proc.pid));
  assert.equal(staleLines().length, 1, 'no new line after a clean stop');
});

it('a pid file with no pid in it is stale too, said so', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-stale-pid-'));
  try {
    fs.mkdirSync(path.join(dataDir, 'run'));
    const file = path.join(dataDir, 'run', 'tegami.pid');
    fs.writeFileSync(file, 'garbage\n');
    assert.deepEqual(claimPidFile(dataDir), { ok: true, file, stale: { pid: 'garbage', reason: 'unreadable' } });
    assert.equal(fs.readFileSync(file, 'utf8'), String(process.pid));
    fs.rmSync(file);
    assert.deepEqual(claimPidFile(dataDir), { ok: true, file }, 'no file before: nothing stale');
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
