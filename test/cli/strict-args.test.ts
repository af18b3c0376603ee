// The CLI refuses what it does not know: a mistyped option (--disable for --disabled, --admni for --admin)
// is exit 2 naming the valid options, and changes nothing; --help is exit 0 with usage everywhere; every
// option in use keeps working, in any position and as --key=value.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../helpers/server.js';
import { COMMANDS } from '../../engine/cli/spec.js';

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-cli-strict-'));
  const config = path.join(dir, 'tegami.toml');
  fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = "data"\n[domains]\nlocal = ["example.test"]\n[log]\nstdout = false\n`);
  const cli = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  return { dir, config, cli };
}

function users(cli: ReturnType<typeof setup>['cli'], config: string): { address: string; disabled: boolean; systemAdmin: boolean; fullName: string; forward: string[] }[] {
  const r = cli(['user', 'list', '--json', '--config', config]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as never;
}

describe('strict CLI options', () => {
  it('refuses a mistyped option with exit 2, names the valid ones, and changes nothing', () => {
    const { config, cli } = setup();
    assert.equal(cli(['user', 'add', 'robert@example.test', '--password-stdin', '--config', config], 'pw-robert\n').code, 0);

    let r = cli(['user', 'set', 'robert@example.test', '--disable', '--config', config]);
    assert.equal(r.code, 2, r.out);
    assert.doesNotMatch(r.out, /updated/);
    assert.match(r.err, /unknown option --disable/);
    assert.match(r.err, /--disabled/, 'the valid options are named');
    assert.match(r.err, /--enabled/);
    assert.equal(users(cli, config)[0].disabled, false, 'the account stays enabled');

    r = cli(['user', 'add', 'bobby@example.test', '--password-stdin', '--admni', '--config', config], 'pw-bobby1\n');
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option --admni.*--admin/);
    assert.deepEqual(users(cli, config).map((u) => u.address), ['robert@example.test'], 'no half-made account');

    // a value missing, a value given to a switch, an option of another subcommand
    r = cli(['user', 'add', 'bobby@example.test', '--config', config, '--password']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--password needs a value/);
    r = cli(['user', 'list', '--json=yes', '--config', config]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--json takes no value/);
    r = cli(['user', 'del', 'robert@example.test', '--admin', '--config', config]);
    assert.equal(r.code, 2, 'user del takes no --admin');
    assert.equal(users(cli, config).length, 1, 'nothing was deleted');
    // `admin token revoke ADDRESS ID` looks like "revoke one token" but would revoke them all: refused
    r = cli(['admin', 'token', 'revoke', 'robert@example.test', 'tok123', '--config', config]);
    assert.equal(r.code, 2);
    assert.match(r.err, /removes all of the account's tokens; unexpected: tok123/);
    r = cli(['queue', 'list', '--bounce', '--config', config]);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option --bounce/);
    r = cli(['backup', path.join(os.tmpdir(), 'never.tar.gz'), '--with-mails', '--config', config]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--with-mail\b/);
    for (const sub of ['hold', 'release', 'retry', 'delete', 'list']) {
      r = cli(['queue', sub, '--domain', 'exmaple .jp', '--config', config]);
      assert.equal(r.code, 2, `queue ${sub} --domain with a space: ${r.out}${r.err}`);
      assert.match(r.err, /--domain: not a domain name: "exmaple \.jp"/);
    }
    r = cli(['queue', 'hold', '--domain', 'taro@example.jp', '--config', config]);
    assert.equal(r.code, 2, 'an address is not a domain');
    r = cli(['serve', '--quiett', '--config', config]);
    assert.equal(r.code, 2, 'serve refuses before it starts anything');
    r = cli(['user', 'set', 'robert@example.test', '--config', config]);
    assert.equal(r.code, 2, 'user set with nothing to set is a usage error, not "updated"');
    r = cli(['user', 'set', 'robert@example.test', '--admin', '--no-admin', '--config', config]);
    assert.equal(r.code, 2);
  });

  it('answers --help and help with usage and exit 0; no command at all is exit 2', () => {
    const { cli } = setup();
    for (const argv of [['--help'], ['help'], ['-h']]) {
      const r = cli(argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.out, /usage: tegami COMMAND/);
      // every command is named (`db` was missing, though README.md lists it)
      for (const name of [...Object.keys(COMMANDS), 'list']) assert.match(r.out, new RegExp(`^  ${name} `, 'm'), `tegami ${argv.join(' ')} does not name ${name}`);
    }
    // every command's --help, and `help COMMAND` (`help list` printed the general usage, `help frob` too, exit 0)
    for (const cmd of [...Object.keys(COMMANDS), 'list']) {
      const r = cli([cmd, '--help']);
      assert.equal(r.code, 0, `${cmd} --help: ${r.err}`);
      assert.match(r.out, new RegExp(`usage:\\n  tegami ${cmd}`));
      const h = cli(['help', cmd]);
      assert.equal(h.code, 0);
      assert.equal(h.out, r.out, `help ${cmd} is ${cmd} --help`);
    }
    // every subcommand is named in the overview (`queue flush` and `list list` were not); del/delete are one
    const overview = cli(['--help']).out;
    for (const [name, spec] of Object.entries(COMMANDS)) {
      const lines = overview.split('\n').filter((l) => l.startsWith(`  ${name} `)).map((l) => l.slice(name.length + 3).split(/\s{2,}/)[0]).join(' ');
      for (const sub of Object.keys(spec.subs ?? {})) {
        const names = sub === 'delete' || sub === 'del' ? ['del', 'delete'] : [sub];
        assert.ok(names.some((n) => new RegExp(`(^|[ |])${n}([ |]|$)`).test(lines)), `tegami --help does not name ${name} ${sub}`);
      }
    }
    const helpUnknown = cli(['help', 'frob']);
    assert.equal(helpUnknown.code, 2);
    assert.match(helpUnknown.err, /unknown command "frob"/);
    const sub = cli(['user', 'set', 'x@example.test', '--help']);
    assert.equal(sub.code, 0);
    assert.match(sub.out, /--disabled\|--enabled/);
    const none = cli([]);
    assert.equal(none.code, 2);
    assert.match(none.err, /usage: tegami COMMAND/);
    // an option with no command says so (it printed the usage alone)
    const version = cli(['--version']);
    assert.equal(version.code, 2);
    assert.match(version.err, /^tegami: no command given \(--version is not one\)\nusage: tegami COMMAND/);
    const unknown = cli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command "frobnicate"/);
  });

  it('ends quietly when the reader of its output goes away (tegami user list | head)', async () => {
    // the pipe is closed before the command writes: its first write meets EPIPE
    const child = spawn(process.execPath, [BIN, 'help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 0, err);
    assert.doesNotMatch(err, /EPIPE|Unhandled 'error' event/);
  });

  it('keeps every option that works today, anywhere on the line and as --key=value', () => {
    const { dir, config, cli } = setup();
    // --config before the command, between words, and as --config=FILE
    let r = cli(['--config', config, 'user', 'add', 'robert@example.test', '--password-stdin', '--full-name', 'Robert R', '--forward', 'a@elsewhere.test,b@elsewhere.test', '--admin'], 'pw-robert\n');
    assert.equal(r.code, 0, r.err);
    r = cli(['user', `--config=${config}`, 'add', 'sally@example.test', '--password=pw-sally1', '--disabled']);
    assert.equal(r.code, 0, r.err);
    let list = users(cli, config);
    assert.deepEqual(list.map((u) => [u.address, u.systemAdmin, u.disabled, u.fullName]), [['robert@example.test', true, false, 'Robert R'], ['sally@example.test', false, true, '']]);
    assert.deepEqual(list[0].forward, ['a@elsewhere.test', 'b@elsewhere.test']);
    r = cli(['user', 'set', 'robert@example.test', '--disabled', '--no-admin', '--full-name=Bob', '--config', config]);
    assert.equal(r.code, 0, r.err);
    r = cli(['user', 'set', 'sally@example.test', '--enabled', '--admin', '--config', config]);
    assert.equal(r.code, 0, r.err);
    list = users(cli, config);
    assert.deepEqual(list.map((u) => [u.disabled, u.systemAdmin, u.fullName]), [[true, false, 'Bob'], [false, true, '']]);
    r = cli(['user', 'passwd', 'robert@example.test', '--password-stdin', '--config', config], 'pw-new-1\n');
    assert.equal(r.code, 0, r.err);
    assert.match(cli(['user', 'list', '--domain', 'example.test', '--config', config]).out, /robert@example\.test/);
    assert.equal(cli(['domain', 'list', '--json', '--config', config]).code, 0);
    assert.equal(cli(['alias', 'list', '--json', '--config', config]).code, 0);
    assert.equal(JSON.parse(cli(['queue', 'list', '--json', '--state', 'hold', '--domain', 'elsewhere.test', '--config', config]).out).queue.length, 0);
    // "--" ends the options: what follows is a positional even when it looks like one
    r = cli(['alias', 'add', '--config', config, '--', 'old@example.test', 'robert@example.test']);
    assert.equal(r.code, 0, r.err);
    r = cli(['dkim', 'keygen', 'example.test', '--selector', 's1', '--key-type', 'ed25519', '--json', '--config', config]);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).selector, 's1');
    const file = path.join(dir, 'b.tar.gz');
    r = cli(['backup', file, '--with-mail', '--with-bayes', '--json', '--config', config]);
    assert.equal(r.code, 0, r.err);
    r = cli(['backup', file, '--force', '--config', config]);
    assert.equal(r.code, 0, r.err);
    // spam learn: --spam DIR, --spam=DIR and a bare path after the switch
    const corpus = path.join(dir, 'ham');
    fs.mkdirSync(corpus);
    fs.writeFileSync(path.join(corpus, '1.eml'), 'Subject: ミーティング\r\n\r\n明日の会議は十時からです。\r\n');
    r = cli(['spam', 'learn', `--ham=${corpus}`, '--user', 'robert@example.test', '--config', config]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /learnt 1 message\(s\) as ham for robert@example\.test/);
  });
});
