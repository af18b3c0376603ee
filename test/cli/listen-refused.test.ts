// [listen] takes the servers tegami has (webmail and admin included now); a key it does not know stops
// `tegami serve` with the config error style (file, line, key) instead of starting without it; "" (off) is
// accepted. An address already in use stops `tegami serve` with a line that names it and says what to do.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { BIN, freePort } from '../helpers/server.js';

it('tegami serve refuses an unknown [listen] key, naming file, line and key; webmail and admin may be off', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-listen-'));
  const config = path.join(dir, 'tegami.toml');
  const smtp = await freePort();
  const base = `hostname = "mx.example.test"\ndata_dir = "data"\n[log]\nstdout = false\n[dns]\nservers = ["127.0.0.1:9"]\n[listen]\nsmtp = "127.0.0.1:${smtp}"\n`;
  fs.writeFileSync(config, `${base}webmial = "127.0.0.1:8080"\n`);
  const r = spawnSync(process.execPath, [BIN, 'serve', '--config', config], { encoding: 'utf8', timeout: 30_000 });
  assert.notEqual(r.status, 0, r.stderr);
  assert.match(r.stderr, /tegami\.toml/);
  assert.match(r.stderr, /webmial/);
  assert.ok(!fs.existsSync(path.join(dir, 'data', 'run', 'tegami.pid')), 'nothing was started');
  // off ("") is accepted: the config loads (user list reads it without starting a server)
  fs.writeFileSync(config, `${base}webmail = ""\nadmin = ""\n`);
  const ok = spawnSync(process.execPath, [BIN, 'user', 'list', '--config', config], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(ok.status, 0, ok.stderr);
});

it('tegami serve on an address in use names it and says what to do', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-listen-'));
  const config = path.join(dir, 'tegami.toml');
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as net.AddressInfo).port;
  try {
    fs.writeFileSync(
      config,
      `hostname = "mx.example.test"\ndata_dir = "data"\n[log]\nstdout = false\n[dns]\nservers = ["127.0.0.1:9"]\n[listen]\nsmtp = "127.0.0.1:${port}"\n`,
    );
    const r = spawnSync(process.execPath, [BIN, 'serve', '--config', config], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`tegami serve: cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use`));
    assert.match(r.stderr, /tegami status/);
  } finally {
    await new Promise<void>((resolve) => busy.close(() => resolve()));
  }
});
