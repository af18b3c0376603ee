// `tegami queue` with a subcommand it does not know (operator-run-1: `tegami queue frobnicate` printed the usage
// without saying which word was wrong): the real CLI says the word, shows the usage, and exits 2; with none at all
// it says one is needed. Nothing is opened or written (the data dir is not made). On the code before, the message
// was the usage alone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../helpers/server.js';

describe('tegami queue with a wrong subcommand', () => {
  it('names the word it did not understand, and exits 2', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-queue-usage-'));
    try {
      const config = path.join(dir, 'tegami.toml');
      fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = "data"\n[log]\nstdout = false\n`);
      let r = spawnSync(process.execPath, [BIN, 'queue', 'frobnicate', '--config', config], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^tegami queue: unknown subcommand "frobnicate": queue list \[--json\]/);
      assert.match(r.stderr, /tegami queue --help shows the usage/);
      r = spawnSync(process.execPath, [BIN, 'queue', '--config', config], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^tegami queue: a subcommand is needed: queue list/);
      assert.equal(fs.existsSync(path.join(dir, 'data')), false, 'nothing was opened');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
