// `tegami dkim keygen` for a domain that is not local (a typo, or a domain not added yet): refused with exit 1,
// naming the domain and how to add it, and no key is made; --non-local makes it anyway with a warning; a local
// domain (and a host alias) as before. --force means one thing only: write over an existing key.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../helpers/server.js';

let dir: string;
let config: string;

function tegami(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--config', config], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-dkim-local-'));
  config = path.join(dir, 'tegami.toml');
  fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = "data"\n[domains]\nlocal = ["example.test"]\naliases = { "mail.example.test" = "example.test" }\n[log]\nstdout = false\n`);
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a key for a domain that is not local is refused unless --non-local', () => {
  const r = tegami(['dkim', 'keygen', 'exmaple.test', '--key-type', 'ed25519']);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^tegami dkim: exmaple\.test is not a local domain, so no mail would be signed with this key; add it first \(tegami domain add exmaple\.test\), or give --non-local to make the key anyway\n$/);
  assert.equal(tegami(['dkim', 'show', 'exmaple.test']).status, 1, 'no key was made');
  assert.ok(!fs.existsSync(path.join(dir, 'data', 'dkim', 'exmaple.test')), 'no key file');

  // --force (write over a key) is not --non-local: still refused, nothing written
  const force = tegami(['dkim', 'keygen', 'exmaple.test', '--key-type', 'ed25519', '--force']);
  assert.equal(force.status, 1, force.stderr);
  assert.match(force.stderr, /is not a local domain.*--non-local/);
  assert.ok(!fs.existsSync(path.join(dir, 'data', 'dkim', 'exmaple.test')), 'no key file');

  const forced = tegami(['dkim', 'keygen', 'Coming.Soon.test', '--key-type', 'ed25519', '--non-local', '--json']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stderr, /warning: coming\.soon\.test is not a local domain.*tegami domain add coming\.soon\.test/);
  assert.equal(JSON.parse(forced.stdout).name, 'tegami._domainkey.coming.soon.test');
  assert.equal(tegami(['dkim', 'show', 'coming.soon.test']).status, 0);

  // added afterwards: as any local domain, no --force and no warning
  assert.equal(tegami(['domain', 'add', 'exmaple.test']).status, 0);
  for (const d of ['exmaple.test', 'example.test']) {
    const ok = tegami(['dkim', 'keygen', d, '--key-type', 'ed25519']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stderr, '');
    assert.match(ok.stdout, new RegExp(`tegami\\._domainkey\\.${d.replace(/\./g, '\\.')}`));
  }
});

test('--force writes over an existing key, and only that; a mistyped flag is usage (exit 2); --help names both', () => {
  const first = tegami(['dkim', 'keygen', 'example.test', '--selector', 'rot', '--key-type', 'ed25519', '--json']);
  assert.equal(first.status, 0, first.stderr);
  const again = tegami(['dkim', 'keygen', 'example.test', '--selector', 'rot', '--key-type', 'ed25519']);
  assert.equal(again.status, 1, 'an existing key is kept without --force');
  assert.match(again.stderr, /already exists.*--force/);
  const over = tegami(['dkim', 'keygen', 'example.test', '--selector', 'rot', '--key-type', 'ed25519', '--force', '--json']);
  assert.equal(over.status, 0, over.stderr);
  assert.notEqual(JSON.parse(over.stdout).value, JSON.parse(first.stdout).value, 'a new key');
  const typo = tegami(['dkim', 'keygen', 'example.test', '--nonlocal']);
  assert.equal(typo.status, 2, typo.stderr);
  const help = tegami(['dkim', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--force +write over an existing key/);
  assert.match(help.stdout, /--non-local +make a key for a domain that is not local/);
});
