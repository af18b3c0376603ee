// SIGHUP to `tegami serve` (an administrator's "kill -HUP to reload" habit, a certbot hook, a closed terminal):
// tegami reads its config and certificates at start only, so it stops the same graceful way as on SIGTERM —
// exit 0, run/tegami.pid and run/listeners.json removed, a line saying it does not reload — where Node's
// default used to kill it at once (exit by signal, the run files left behind, nothing drained).
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;

before(async () => {
  srv = await startTestServer({ listeners: ['smtp'] });
});
after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

it('stops gracefully on SIGHUP and says it does not reload', async () => {
  const run = path.join(srv.dataDir, 'run');
  assert.ok(fs.existsSync(path.join(run, 'tegami.pid')), 'the pid file while it runs');
  const code = await srv.stop('SIGHUP');
  assert.equal(code, 0, `exit code ${code}, signal ${srv.proc.signalCode}: ${srv.output()}`);
  assert.equal(srv.proc.signalCode, null);
  assert.match(srv.output(), /SIGHUP: stopping \(tegami does not reload/);
  assert.ok(!fs.existsSync(path.join(run, 'tegami.pid')), 'run/tegami.pid removed');
  assert.ok(!fs.existsSync(path.join(run, 'listeners.json')), 'run/listeners.json removed');
});
