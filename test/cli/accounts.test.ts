// The account CLI as operators use it: bin/tegami on a fresh data dir, no server running.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../helpers/server.js';
import { openDatabase } from '../../engine/db/database.js';
import { SessionStore } from '../../engine/web/session-store.js';

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-cli-'));
  const config = path.join(dir, 'tegami.toml');
  fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = "data"\n[domains]\nlocal = ["example.test"]\n[log]\nstdout = false\n`);
  const cli = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  return { dir, config, cli };
}

describe('tegami user/domain/alias', () => {
  it('creates the data dir on first use and manages users with --config anywhere', () => {
    const { dir, config, cli } = setup();
    let r = cli(['user', '--config', config, 'add', 'alice@example.test', '--password-stdin'], 'pass word\n');
    assert.equal(r.code, 0, r.err);
    assert.ok(fs.existsSync(path.join(dir, 'data', 'tegami.db')));
    assert.ok(fs.existsSync(path.join(dir, 'data', 'keys', 'secret.key')));
    assert.equal((fs.statSync(path.join(dir, 'data', 'keys', 'secret.key')).mode & 0o077), 0, 'the server key is private');
    r = cli(['user', 'list', '--config', config]);
    assert.match(r.out, /^alice@example\.test$/m);
    const db = fs.readFileSync(path.join(dir, 'data', 'tegami.db'));
    assert.ok(!db.includes('pass word'), 'no plain password in the database');
    r = cli(['user', 'add', 'bob@example.test', '--password-stdin', '--config', config], 'secret\n');
    assert.equal(r.code, 1, 'user ids shorter than 4 characters are refused');
    assert.match(r.err, /at least 4 characters/);
    r = cli(['user', 'add', 'robert@example.test', '--password-stdin', '--config', config], 'abc\n');
    assert.equal(r.code, 1);
    assert.match(r.err, /password must be 4–30 characters/);
    r = cli(['user', 'add', 'robert@nowhere.test', '--password-stdin', '--config', config], 'abcdef\n');
    assert.match(r.err, /not a local domain/);
    // a web session opened with the old password ends with the change
    let main = openDatabase(path.join(dir, 'data'));
    const { id } = new SessionStore(main).create('webmail', 'alice@example.test', '192.0.2.1');
    main.close();
    r = cli(['user', 'passwd', 'alice@example.test', '--password-stdin', '--config', config], 'new-pass\n');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /password changed for alice@example\.test \(1 web session\(s\) ended\)/);
    main = openDatabase(path.join(dir, 'data'));
    assert.equal(new SessionStore(main).find('webmail', id), null, 'the old session is gone');
    main.close();
    r = cli(['user', 'del', 'alice@example.test', '--config', config]);
    assert.equal(r.code, 0);
    assert.doesNotMatch(cli(['user', 'list', '--config', config]).out, /alice/);
  });

  it('imports users from CSV, reporting refused lines', () => {
    const { dir, config, cli } = setup();
    const csv = path.join(dir, 'users.csv');
    fs.writeFileSync(csv, 'address,password,name\r\ncarol@example.test,carolpw1,"Carol, C."\ndave@example.test,davepw12,Dave\nx@example.test,short1,X\n');
    const r = cli(['user', 'import', csv, '--config', config]);
    assert.equal(r.code, 1);
    assert.match(r.out, /imported 2 user\(s\), 1 refused/);
    assert.match(r.err, /line 4: /);
    const list = cli(['user', 'list', '--json', '--config', config]);
    const users = JSON.parse(list.out) as { address: string; fullName: string }[];
    assert.deepEqual(users.map((u) => u.address), ['carol@example.test', 'dave@example.test']);
    assert.equal(users[0].fullName, 'Carol, C.');
  });

  it('manages domains and aliases', () => {
    const { config, cli } = setup();
    assert.equal(cli(['domain', 'add', 'other.test', '--config', config]).code, 0);
    assert.match(cli(['domain', 'list', '--config', config]).out, /other\.test/);
    // a Japanese domain name is refused with the ASCII form to give instead (it said only "not a domain name")
    const idn = cli(['domain', 'add', '例え.jp', '--config', config]);
    assert.equal(idn.code, 1);
    assert.match(idn.err, /not a domain name: 例え\.jp \(an internationalised name is added in its ASCII form: tegami domain add xn--r8jz45g\.jp\)/);
    assert.equal(cli(['domain', 'add', 'xn--r8jz45g.jp', '--config', config]).code, 0);
    assert.match(cli(['domain', 'add', 'bad domain', '--config', config]).err, /not a domain name: bad domain\n/);
    assert.equal(cli(['alias', 'add', 'info@other.test', 'a@example.test,b@example.test', '--config', config]).code, 0);
    assert.match(cli(['alias', 'list', '--config', config]).out, /info@other\.test\ta@example\.test,b@example\.test/);
    assert.equal(cli(['alias', 'del', 'info@other.test', '--config', config]).code, 0);
    assert.equal(cli(['domain', 'del', 'other.test', '--config', config]).code, 0);
    const bad = cli(['domain', 'frobnicate', '--config', config]);
    assert.equal(bad.code, 2);
  });

  it('names the file, line and key of a bad config and exits non-zero', () => {
    const { config, cli } = setup();
    fs.appendFileSync(config, '[smtp]\nmax_recipients = "lots"\n');
    const r = cli(['user', 'list', '--config', config]);
    assert.equal(r.code, 1);
    assert.match(r.err, /tegami\.toml:8: smtp\.max_recipients: /);
  });
});
