// The account CLI for settings (A2, A3, A8) as operators run it, bin/tegami on a fresh data dir: `user set` and
// `user add` take every setting; bad input exits 2 and says what is wrong; `domain set --default-…` reaches new
// accounts made by `user add` and by CSV import; export → import brings every account back unchanged, with and
// without --with-secrets; a bad CSV imports nothing; the old headerless CSV lines still work.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT } from '../helpers/server.js';

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-cli-settings-'));
  const config = path.join(dir, 'tegami.toml');
  fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = "data"\n[domains]\nlocal = ["example.test", "other.test"]\naliases = { "mail.example.test" = "example.test" }\n[log]\nstdout = false\n`);
  const cli = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [BIN, ...args, '--config', config], { input, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const show = (a: string) => {
    const r = cli(['user', 'show', a, '--json']);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as Record<string, unknown>;
  };
  return { dir, config, cli, show };
}

describe('tegami user set/add settings', () => {
  it('sets every A2 setting and takes rights away again', () => {
    const { cli, show } = setup();
    assert.equal(cli(['user', 'add', 'taro@example.test', '--password-stdin', '--full-name', '山田 太郎', '--host-admin', 'other.test'], 'pw-1234\n').code, 0);
    for (const l of ['team@example.test', 'news@other.test']) assert.equal(cli(['list', 'create', l]).code, 0);
    let r = cli(['user', 'set', 'taro@example.test', '--reply-to', 'desk@example.test', '--forward', 'a@remote.test, b@remote.test', '--no-keep-copy',
      '--no-password-change', '--no-web-access', '--list-admin', 'team@mail.example.test', '--list-admin', 'news@other.test', '--system-admin', '--quota', '500M', '--quota-messages', '1000']);
    assert.equal(r.code, 0, r.err);
    let u = show('taro@example.test');
    assert.equal(u.fullName, '山田 太郎');
    assert.equal(u.replyTo, 'desk@example.test');
    assert.deepEqual(u.forward, ['a@remote.test', 'b@remote.test']);
    assert.equal(u.keepCopy, false);
    assert.equal(u.cannotChangePassword, true);
    assert.equal(u.webAccess, false);
    assert.deepEqual(u.hostAdminOf, ['other.test']);
    assert.deepEqual(u.listAdminOf, ['news@other.test', 'team@example.test']);
    assert.equal(u.systemAdmin, true);
    assert.deepEqual(u.quota, { bytes: 500 * 1024 ** 2, messages: 1000 });
    assert.deepEqual(u.usage, { bytes: 0, messages: 0 });
    r = cli(['user', 'set', 'taro@example.test', '--no-host-admin', 'other.test', '--no-list-admin', 'team@example.test', '--no-admin', '--password-change', '--web-access', '--keep-copy', '--disabled', '--quota', 'default', '--reply-to', '']);
    assert.equal(r.code, 0, r.err);
    u = show('taro@example.test');
    assert.deepEqual([u.hostAdminOf, u.listAdminOf, u.systemAdmin, u.cannotChangePassword, u.webAccess, u.keepCopy, u.disabled, u.replyTo], [[], ['news@other.test'], false, false, true, true, true, '']);
    assert.deepEqual(u.quota, { bytes: 0, messages: 1000 });
    assert.equal(cli(['user', 'set', 'taro@example.test', '--enabled', '--admin']).code, 0, '--admin is --system-admin');
    assert.equal(show('taro@example.test').systemAdmin, true);
    const list = JSON.parse(cli(['user', 'list', '--json']).out) as { address: string; usage: unknown; quotaOverride: unknown }[];
    assert.deepEqual(list[0].quotaOverride, { bytes: null, messages: 1000 });
  });

  it('refuses bad input with exit 2, saying what is wrong, and changes nothing', () => {
    const { cli, show } = setup();
    assert.equal(cli(['user', 'add', 'taro@example.test', '--password-stdin'], 'pw-1234\n').code, 0);
    const cases: [string[], RegExp][] = [
      [['--quota', 'lots'], /--quota: not a size: "lots"/],
      [['--quota-messages', '1.5'], /--quota-messages: not a number of messages/],
      [['--reply-to', 'not an address'], /--reply-to: not an address/],
      [['--forward', 'a@remote.test,,b@'], /--forward: not an address: "b@"/],
      [['--disabled', '--enabled'], /--disabled and --enabled contradict each other/],
      [['--admin', '--no-system-admin'], /contradict each other/],
      [['--keep-copy', '--no-keep-copy'], /contradict each other/],
      [['--web-access', '--no-web-access'], /contradict each other/],
      [['--password-change', '--no-password-change'], /contradict each other/],
      [['--host-admin', 'other.test', '--no-host-admin', 'other.test'], /--host-admin other\.test and --no-host-admin other\.test contradict/],
      [['--full-name', 'a\tb'], /control characters/],
      [['--disable'], /unknown option --disable; valid options: .*--disabled/],
      [[], /nothing to change/],
    ];
    for (const [args, re] of cases) {
      const r = cli(['user', 'set', 'taro@example.test', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, re, args.join(' '));
    }
    // well-formed, but naming what is not here: a refusal, exit 1 as every refusal (README, "Command line")
    const refusals: [string[], RegExp][] = [
      [['user', 'set', 'taro@example.test', '--host-admin', 'nowhere.test'], /--host-admin: not a local domain: "nowhere\.test"/],
      [['user', 'set', 'taro@example.test', '--list-admin', 'team@nowhere.test'], /--list-admin: a list address must be in a local domain/],
      [['domain', 'set', 'mail.example.test', '--default-quota', '1M'], /host alias of example\.test/],
      [['domain', 'show', 'nowhere.test'], /not a local domain: "nowhere\.test"/],
      // a right on a list that does not exist is refused, naming the list and how to make it
      [['user', 'set', 'taro@example.test', '--list-admin', 'ghost@example.test'], /--list-admin: no such list: ghost@example\.test \(create it first: tegami list create ghost@example\.test\)/],
      [['user', 'add', 'saburo@example.test', '--password-stdin', '--list-admin', 'ghost@example.test'], /--list-admin: no such list: ghost@example\.test/],
    ];
    for (const [args, re] of refusals) {
      const r = cli(args, 'pw-1234\n');
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, re, args.join(' '));
    }
    const add = cli(['user', 'add', 'jiro@example.test', '--password-stdin', '--no-host-admin', 'other.test'], 'pw-1234\n');
    assert.equal(add.code, 2, 'user add takes no --no-host-admin');
    const dom = cli(['domain', 'set', 'other.test', '--default-quota', '2X']);
    assert.equal(dom.code, 2);
    assert.match(dom.err, /--default-quota: not a size: "2X"/);
    const u = show('taro@example.test');
    assert.deepEqual([u.disabled, u.systemAdmin, u.hostAdminOf, u.quota], [false, false, [], { bytes: 0, messages: 0 }]);
    assert.equal(cli(['user', 'show', 'jiro@example.test']).code, 1, 'not created');
    assert.equal(cli(['user', 'show', 'saburo@example.test']).code, 1, 'not created');
    assert.equal(cli(['user', 'set', 'taro@example.test', '--no-list-admin', 'ghost@example.test']).code, 0, 'taking away a right never needs the list');
  });
});

describe('tegami domain set --default-…', () => {
  it('reaches new accounts from user add and from CSV import; the domain quota applies live', () => {
    const { dir, cli, show } = setup();
    const r = cli(['domain', 'set', 'other.test', '--default-reply-to', 'help@other.test', '--default-no-web-access', '--default-no-password-change', '--default-no-keep-copy', '--default-quota', '10M', '--default-quota-messages', '500']);
    assert.equal(r.code, 0, r.err);
    assert.match(cli(['domain', 'show', 'other.test']).out, /web access\s+no/);
    assert.equal(cli(['user', 'add', 'hana@other.test', '--password-stdin'], 'pw-1234\n').code, 0);
    const csv = path.join(dir, 'new.csv');
    fs.writeFileSync(csv, 'address,password,full_name,web_access\r\nkenji@other.test,pw-5678,"Ken, K.",yes\r\nemiko@other.test,pw-5678,エミ,\r\n');
    const imp = cli(['user', 'import', csv]);
    assert.equal(imp.code, 0, imp.err);
    for (const a of ['hana@other.test', 'emiko@other.test']) {
      const u = show(a);
      assert.deepEqual([u.replyTo, u.webAccess, u.cannotChangePassword, u.keepCopy], ['help@other.test', false, true, false], a);
      assert.deepEqual(u.quota, { bytes: 10 * 1024 ** 2, messages: 500 }, a);
    }
    assert.equal(show('kenji@other.test').webAccess, true, 'a column given wins over the default');
    assert.equal(show('kenji@other.test').fullName, 'Ken, K.');
    assert.equal(show('emiko@other.test').fullName, 'エミ');
    assert.equal(cli(['domain', 'set', 'other.test', '--default-quota', '20M']).code, 0);
    assert.deepEqual(show('hana@other.test').quota, { bytes: 20 * 1024 ** 2, messages: 500 });
  });
});

describe('tegami user export / import', () => {
  it('round trip: an exported file imports back unchanged, with --with-secrets the passwords too', () => {
    const { dir, cli, show } = setup();
    assert.equal(cli(['list', 'create', 'team@example.test']).code, 0);
    assert.equal(cli(['user', 'add', 'taro@example.test', '--password-stdin', '--full-name', ' 山田, "太郎" ', '--forward', 'a@remote.test,b@remote.test', '--no-keep-copy', '--host-admin', 'other.test', '--list-admin', 'team@example.test', '--quota', '1G'], 'pw-1234\n').code, 0);
    assert.equal(cli(['user', 'add', 'hana@other.test', '--password-stdin', '--disabled', '--no-web-access', '--admin', '--reply-to', 'desk@other.test', '--quota-messages', '0'], 'pw-5678\n').code, 0);
    const first = path.join(dir, 'first.csv');
    let r = cli(['user', 'export', first, '--with-secrets']);
    assert.equal(r.code, 0, r.err);
    assert.equal(fs.statSync(first).mode & 0o777, 0o600, 'the export is private');
    assert.equal(cli(['user', 'export', first]).code, 1, 'never over an existing file without --force (a refusal: exit 1)');
    const before = [show('taro@example.test'), show('hana@other.test')];
    for (const a of ['taro@example.test', 'hana@other.test']) assert.equal(cli(['user', 'del', a]).code, 0);
    r = cli(['user', 'import', first]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /imported 2 user\(s\)/);
    assert.deepEqual([show('taro@example.test'), show('hana@other.test')], before, 'every setting back');
    const second = path.join(dir, 'second.csv');
    assert.equal(cli(['user', 'export', second, '--with-secrets']).code, 0);
    assert.equal(fs.readFileSync(second, 'utf8'), fs.readFileSync(first, 'utf8'), 'the same file, hashes and all');
    // the password hash came back: the old password still works (the admin path checks nothing, so log in)
    const login = spawnSync(process.execPath, ['-e', `
      const { openContext } = await import(${JSON.stringify(path.join(ROOT, 'dist', 'engine', 'context.js'))});
      const ctx = openContext(process.argv[1]);
      console.log(JSON.stringify(!!(await ctx.directory.authenticate('taro@example.test', 'pw-1234'))));
      ctx.close();`, path.join(dir, 'tegami.toml')], { encoding: 'utf8', input: '' });
    assert.equal(login.stdout.trim(), 'true', login.stderr);

    // without secrets: settings only; --update puts changed settings back
    const plain = path.join(dir, 'plain.csv');
    assert.equal(cli(['user', 'export', plain]).code, 0);
    assert.doesNotMatch(fs.readFileSync(plain, 'utf8'), /scrypt|password_hash|secret_sealed/);
    assert.equal(cli(['user', 'set', 'taro@example.test', '--keep-copy', '--no-host-admin', 'other.test', '--quota', '5M']).code, 0);
    assert.equal(cli(['user', 'import', plain]).code, 1, 'existing accounts are refused without --update');
    r = cli(['user', 'import', plain, '--update']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /updated 2/);
    assert.deepEqual([show('taro@example.test'), show('hana@other.test')], before);
    // into a fresh server, an export without secrets has no passwords: refused per line
    const other = setup();
    const fresh = other.cli(['user', 'import', plain]);
    assert.equal(fresh.code, 1);
    assert.match(fresh.err, /line 2: no password for the new user taro@example\.test/);
    // with secrets, into a server without the list: the account and its right come in (an export has no lists),
    // and the import says the list is missing
    const moved = other.cli(['user', 'import', first]);
    assert.equal(moved.code, 0, moved.err);
    assert.match(moved.err, /warning: line 2: taro@example\.test is list admin of team@example\.test, which does not exist here yet: the right applies once it is created \(tegami list create team@example\.test\)/);
    assert.deepEqual(other.show('taro@example.test').listAdminOf, ['team@example.test']);
    assert.equal(other.cli(['list', 'create', 'team@example.test']).code, 0);
    assert.deepEqual(JSON.parse(other.cli(['list', 'show', 'team@example.test', '--json']).out).admins, ['taro@example.test'], 'the waiting right makes a moderator when the list is made');
  });

  it('a bad file imports nothing and says which lines are wrong; old headerless lines still work', () => {
    const { dir, cli } = setup();
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'address,password,quota_bytes,disabled\nok@example.test,pw-1234,1000,no\nnot-an-address,pw-1234,,\nq@example.test,pw-1234,lots,no\nd@example.test,pw-1234,,maybe\n');
    let r = cli(['user', 'import', bad]);
    assert.equal(r.code, 2);
    assert.match(r.err, /nothing imported, 3 bad line\(s\)/);
    assert.match(r.err, /line 3: not an address/);
    assert.match(r.err, /line 4: quota_bytes: not a whole number/);
    assert.match(r.err, /line 5: disabled: not yes or no: "maybe"/);
    assert.equal(JSON.parse(cli(['user', 'list', '--json']).out).length, 0, 'not even the good line');
    fs.writeFileSync(bad, 'address,password,colour\nok@example.test,pw-1234,blue\n');
    r = cli(['user', 'import', bad]);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown column "colour"/);
    fs.writeFileSync(bad, 'address,password_hash\nok@example.test,scrypt$1099511627776$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n');
    r = cli(['user', 'import', bad]);
    assert.equal(r.code, 2, 'a hash that would cost a login too much is refused');
    assert.match(r.err, /password_hash: not a scrypt hash/);
    const old = path.join(dir, 'old.csv');
    fs.writeFileSync(old, 'carol@example.test,carolpw1,Carol C.,x@remote.test\ndave@example.test,davepw12\n');
    r = cli(['user', 'import', old]);
    assert.equal(r.code, 0, r.err);
    const users = JSON.parse(cli(['user', 'list', '--json']).out) as { address: string; fullName: string; forward: string[] }[];
    assert.deepEqual(users.map((u) => [u.address, u.fullName, u.forward]), [['carol@example.test', 'Carol C.', ['x@remote.test']], ['dave@example.test', '', []]]);
  });
});
