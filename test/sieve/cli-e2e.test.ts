// The rules commands of bin/tegami with no server running, as an operator runs them: `sieve put` refuses a script
// with its line and column and never stores or activates it; `rule add` compiles the IMail form to Sieve, and
// refuses (saying why) to touch a hand-written script, which `rule list` shows raw; `vacation set` reads its text
// from a file or stdin with its dates and period; `autoreply` needs an address that takes mail here; options are
// strict per subcommand. Also: with no config file, ManageSieve is among the default listeners.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../helpers/server.js';
import { defaultListeners } from '../../engine/config/load.js';

let dir: string;
let config: string;

function tegami(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--config', config], { input, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-rules-cli-'));
  config = path.join(dir, 'tegami.toml');
  fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = ${JSON.stringify(path.join(dir, 'data'))}\n[domains]\nlocal = ["example.test"]\n[log]\nstdout = false\n`);
  assert.equal(tegami(['user', 'add', 'alice@example.test', '--password-stdin'], 'pass-1234\n').status, 0);
  assert.equal(tegami(['alias', 'add', 'info@example.test', 'alice@example.test']).status, 0);
});

test('sieve put: a syntax error is refused with line and column, nothing stored; a good script stored and activated', () => {
  const bad = path.join(dir, 'bad.sieve');
  fs.writeFileSync(bad, 'require "fileinto";\r\n\r\nif header :contains "Subject" "x" {\r\n    fileinto "A"\r\n}\r\n');
  const r = tegami(['sieve', 'put', 'alice@example.test', 'main', bad, '--activate']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.sieve: line 5, column 1: /);
  assert.match(r.stderr, /not stored, not activated/);
  assert.match(tegami(['sieve', 'list', 'alice@example.test']).stdout, /no scripts/);
  const unknown = tegami(['sieve', 'put', 'alice@example.test', 'main', '-'], 'require "x-unknown";\n');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /line 1, column 9: .*x-unknown/);
  const ok = tegami(['sieve', 'put', 'alice@example.test', 'main', '-', '--activate'], 'require "fileinto";\nfileinto "A";\n');
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(tegami(['sieve', 'list', 'alice@example.test', '--json']).stdout).map((s: { name: string; active: boolean }) => [s.name, s.active]), [['main', true]]);
  assert.equal(tegami(['sieve', 'get', 'alice@example.test', 'main']).stdout, 'require "fileinto";\nfileinto "A";\n');
  assert.equal(tegami(['sieve', 'delete', 'alice@example.test', 'main']).status, 1, 'the active script is not deleted');
  assert.equal(tegami(['sieve', 'put', 'nobody@example.test', 'x', '-'], 'keep;\n').status, 1);
  assert.equal(tegami(['sieve', 'put', '@other.test', 'x', '-'], 'keep;\n').status, 1);
  assert.equal(tegami(['sieve', 'list', 'alice@example.test', '--activate']).status, 2, 'options are strict per subcommand');
});

test('rule add refuses to overwrite a hand-written script; rule list shows it raw', () => {
  const r = tegami(['rule', 'add', 'alice@example.test', '--if', 'subject contains x', '--move', 'X']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot be shown as rules \(not made by the rule form\); it is kept as it is/);
  const list = tegami(['rule', 'list', 'alice@example.test']);
  assert.match(list.stdout, /shown raw:\nrequire "fileinto";\nfileinto "A";/);
  assert.equal(tegami(['sieve', 'get', 'alice@example.test', 'main']).stdout, 'require "fileinto";\nfileinto "A";\n', 'untouched');
});

test('rule add|list|del: the IMail form compiled to Sieve, for a user and for a domain', () => {
  assert.equal(tegami(['sieve', 'deactivate', 'alice@example.test']).status, 0);
  const a = tegami(['rule', 'add', 'alice@example.test', '--name', '請求書', '--if', 'subject contains 請求書', '--move', '経理', '--stop']);
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout, /note: alice@example\.test has no folder "経理" yet/);
  assert.equal(tegami(['rule', 'add', 'alice@example.test', '--any', '--if', 'header:List-Id contains acme', '--if', 'from matches *@lists.example.org', '--copy', 'Lists']).status, 0);
  const rules = JSON.parse(tegami(['rule', 'list', 'alice@example.test', '--json']).stdout);
  assert.equal(rules.kind, 'form');
  assert.equal(rules.rules.length, 2);
  const script = tegami(['sieve', 'get', 'alice@example.test', 'rules']).stdout;
  assert.match(script, /if header :contains "subject" "請求書" \{\r\n {2}fileinto "経理";\r\n {2}stop;\r\n\}/);
  assert.match(script, /if anyof \(header :contains "List-Id" "acme",\r\n {4}header :matches "from" "\*@lists\.example\.org"\) \{\r\n {2}fileinto :copy "Lists";/);
  assert.match(tegami(['sieve', 'list', 'alice@example.test']).stdout, /^rules\tACTIVE$/m);
  assert.equal(tegami(['rule', 'del', 'alice@example.test', '1']).status, 0);
  assert.match(tegami(['rule', 'list', 'alice@example.test']).stdout, /^1\. if header:List-Id contains "acme" or from matches/m);
  assert.equal(tegami(['rule', 'del', 'alice@example.test', '7']).status, 1);
  assert.equal(tegami(['rule', 'add', 'alice@example.test', '--if', 'subject contains x']).status, 2, 'no action');
  assert.equal(tegami(['rule', 'add', 'alice@example.test', '--if', 'colour is red', '--delete']).status, 2, 'unknown field');
  assert.equal(tegami(['rule', 'add', 'alice@example.test', '--if', 'subject regex ^x', '--delete']).status, 1, 'regex is off unless [sieve] regex = true');
  const d = tegami(['rule', 'add', '@example.test', '--if', 'header:X-IMAIL-SPAM contains SPAM', '--move', 'Spam', '--stop']);
  assert.equal(d.status, 0, d.stderr);
  assert.match(tegami(['sieve', 'get', '@example.test', 'rules']).stdout, /"scope":"domain"/);
});

test('vacation set|show|off, text from a file or stdin, dates and period checked', () => {
  const text = path.join(dir, 'away.txt');
  fs.writeFileSync(text, '休暇中です。\n');
  const s = tegami(['vacation', 'set', 'alice@example.test', text, '--subject', '不在', '--from', '2026-08-01', '--until', '2026-08-15', '--days', '3']);
  assert.equal(s.status, 0, s.stderr);
  const shown = JSON.parse(tegami(['vacation', 'show', 'alice@example.test', '--json']).stdout);
  assert.equal(shown.text, '休暇中です。');
  assert.equal(shown.subject, '不在');
  assert.equal(shown.days, 3);
  assert.equal(new Date(shown.from).getTime(), new Date(2026, 7, 1).getTime());
  assert.equal(new Date(shown.until).getTime(), new Date(2026, 7, 16).getTime(), '--until is the whole last day');
  const human = tegami(['vacation', 'show', 'alice@example.test']).stdout;
  assert.match(human, /^from: {4}2026-08-01$/m);
  assert.match(human, /^until: {3}2026-08-15$/m);
  assert.equal(tegami(['vacation', 'set', 'alice@example.test', '-'], 'From stdin\n').status, 0);
  assert.equal(JSON.parse(tegami(['vacation', 'show', 'alice@example.test', '--json']).stdout).text, 'From stdin');
  assert.equal(tegami(['vacation', 'set', 'alice@example.test', '--until', '2026-02-30'], 'x').status, 2);
  assert.equal(tegami(['vacation', 'set', 'alice@example.test', '--days', 'week'], 'x').status, 2);
  assert.equal(tegami(['vacation', 'set', 'alice@example.test', '--from', '2026-09-01', '--until', '2026-08-01'], 'x').status, 1);
  assert.equal(tegami(['vacation', 'set', 'nobody@example.test'], 'x').status, 1);
  assert.equal(tegami(['vacation', 'off', 'alice@example.test']).status, 0);
  assert.equal(JSON.parse(tegami(['vacation', 'show', 'alice@example.test', '--json']).stdout).enabled, false);
});

test('autoreply set|show|off on an address that takes mail here (an alias too)', () => {
  assert.equal(tegami(['autoreply', 'set', 'info@example.test', '--interval', '2h'], 'Thank you.\n').status, 0);
  assert.match(tegami(['autoreply', 'show']).stdout, /^info@example\.test\ton\tonce per 120 min per sender/m);
  assert.equal(tegami(['autoreply', 'set', 'nobody@example.test'], 'x\n').status, 1);
  assert.equal(tegami(['autoreply', 'set', 'info@example.test', '--interval', '5s'], 'x\n').status, 2);
  assert.equal(tegami(['autoreply', 'off', 'info@example.test']).status, 0);
  assert.equal(JSON.parse(tegami(['autoreply', 'show', 'info@example.test', '--json']).stdout)[0].enabled, false);
});

test('with no config file, ManageSieve is a default listener: 4190 as root, an unprivileged port otherwise', () => {
  const l = defaultListeners().managesieve!;
  const root = typeof process.getuid === 'function' && process.getuid() === 0 && !process.env.TEGAMI_HIGH_PORTS;
  assert.equal(l, root ? '0.0.0.0:4190' : '0.0.0.0:24190');
});
