// Every CLI subcommand that reads a file named on its command line says, when it cannot, which file and why in
// words: `tegami sieve put ADDRESS NAME /missing` printed Node's raw "ENOENT: no such file or directory, open
// '/missing'" (operator run 2), as did vacation set / autoreply set; a directory gave "EISDIR: illegal operation
// on a directory, read" (user import said only "EISDIR", list add --file and restore Node's whole line); a
// broken link in a folder given to spam learn gave Node's "ENOENT: …, stat '…'". The exit codes are unchanged.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../helpers/server.js';

it('a file argument that cannot be read is named, with the reason in words (sieve, vacation, autoreply, user import, list add, restore, spam learn)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-file-args-'));
  try {
    const config = path.join(dir, 'tegami.toml');
    fs.writeFileSync(config, 'hostname = "mx.example.test"\ndata_dir = "data"\n[log]\nstdout = false\n');
    const cli = (args: string[], input?: string) => {
      const r = spawnSync(process.execPath, [BIN, ...args, '--config', config], { input, encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    assert.equal(cli(['domain', 'add', 'example.test']).code, 0);
    assert.equal(cli(['user', 'add', 'taro@example.test', '--password-stdin'], 'pw-12345678\n').code, 0);
    assert.equal(cli(['list', 'create', 'team@example.test']).code, 0);
    const missing = path.join(dir, 'ない', 'フィルタ.sieve');
    const folder = path.join(dir, 'フォルダ');
    fs.mkdirSync(folder);
    const cases: [string[], number][] = [
      [['sieve', 'put', 'taro@example.test', 'f', '%'], 1],
      [['vacation', 'set', 'taro@example.test', '%'], 1],
      [['autoreply', 'set', 'taro@example.test', '%'], 1],
      [['user', 'import', '%'], 2],
      [['list', 'add', 'team@example.test', '--file', '%'], 2],
      [['restore', '%', '--force'], 1],
    ];
    for (const [args, code] of cases) {
      for (const [file, why] of [[missing, 'there is no such file'], [folder, 'it is a directory, not a file']]) {
        const r = cli(args.map((a) => (a === '%' ? file : a)));
        const what = `${args.join(' ')} ${file}`;
        assert.equal(r.code, code, `${what}: ${r.err}`);
        assert.ok(r.err.includes(`cannot read ${file}: ${why}`), `${what}: ${r.err}`);
        assert.doesNotMatch(r.err, /ENOENT|EISDIR/, what);
      }
    }
    // spam learn on a folder with a broken link in it
    const mail = path.join(dir, 'mail');
    fs.mkdirSync(mail);
    fs.writeFileSync(path.join(mail, '1.eml'), 'From: a@remote.test\r\nSubject: =?UTF-8?B?5qGI5YaF?=\r\n\r\n会議のご案内\r\n');
    fs.symlinkSync(path.join(dir, 'gone.eml'), path.join(mail, '2.eml'));
    const r = cli(['spam', 'learn', '--ham', mail]);
    assert.equal(r.code, 1, r.err);
    assert.ok(r.err.includes(`cannot read ${path.join(mail, '2.eml')}: there is no such file`), r.err);
    assert.doesNotMatch(r.err, /ENOENT/);
    // the same commands with a file that is there work
    const script = path.join(dir, 'ok.sieve');
    fs.writeFileSync(script, 'require "fileinto";\nif header :contains "subject" "会議" { fileinto "INBOX"; }\n');
    const put = cli(['sieve', 'put', 'taro@example.test', 'f', script]);
    assert.equal(put.code, 0, put.err);
    fs.rmSync(path.join(mail, '2.eml'));
    const learnt = cli(['spam', 'learn', '--ham', mail]);
    assert.equal(learnt.code, 0, learnt.err);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
