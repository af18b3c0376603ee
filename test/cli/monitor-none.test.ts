// `tegami monitor check` and `monitor test` with nothing configured, run as a newcomer runs them: the message
// names the config that was read — the file given, or the embedded default when there is no ./tegami.toml —
// and the table or keys to add, and the exit is 1 (a well-formed request that cannot be done).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../helpers/server.js';

function cli(cwd: string, args: string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, err: r.stderr };
}

describe('tegami monitor with nothing to watch', () => {
  it('names the embedded default when there is no config file, and the file when there is one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-monitor-none-'));
    try {
      let r = cli(dir, ['monitor', 'check']);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /embedded default config \(no \.\/tegami\.toml here, no --config FILE\) has no \[\[monitor\]\] table/);
      assert.match(r.err, /docs\/operations\.md/);
      r = cli(dir, ['monitor', 'test']);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /embedded default config .* has no \[alerts\] mail_to with a smarthost, nor webhooks/);

      const config = path.join(dir, 'mx.toml');
      fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = "data"\n[log]\nstdout = false\n`);
      r = cli(dir, ['monitor', 'check', '--config', config]);
      assert.equal(r.code, 1, r.err);
      assert.ok(r.err.includes(`${config} has no [[monitor]] table`), r.err);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
