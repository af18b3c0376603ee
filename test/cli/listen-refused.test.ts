// [listen] admin names a server tegami does not have yet: `tegami serve` refuses it with the config error style
// (file, line, key) instead of starting without it; "" (off) stays accepted. [listen] webmail is served.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, freePort } from '../helpers/server.js';

it('tegami serve refuses [listen] admin, naming file, line and key', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-listen-'));
  const config = path.join(dir, 'tegami.toml');
  const smtp = await freePort();
  const base = `hostname = "mx.example.test"\ndata_dir = "data"\n[log]\nstdout = false\n[dns]\nservers = ["127.0.0.1:9"]\n[listen]\nsmtp = "127.0.0.1:${smtp}"\n`;
  for (const key of ['admin']) {
    fs.writeFileSync(config, `${base}${key} = "127.0.0.1:8080"\n`);
    const r = spawnSync(process.execPath, [BIN, 'serve', '--config', config], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, `${key}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`tegami\\.toml:9: listen\\.${key}: tegami has no ${key} server yet`));
    assert.ok(!fs.existsSync(path.join(dir, 'data', 'run', 'tegami.pid')), 'nothing was started');
  }
  // off ("") is accepted: the config loads (user list reads it without starting a server)
  fs.writeFileSync(config, `${base}webmail = ""\nadmin = ""\n`);
  const ok = spawnSync(process.execPath, [BIN, 'user', 'list', '--config', config], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(ok.status, 0, ok.stderr);
});
