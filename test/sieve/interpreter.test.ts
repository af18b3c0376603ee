// Evaluation: run-time errors fall back to implicit keep and never throw, limits hold (actions, redirects,
// variables, match work), hostile :matches and :regex patterns stay bounded, dates follow a fake clock,
// includes go through the loader, editheader edits come back in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CAPABILITIES, evaluate, parseScript, runScriptText, sieveMessage, type SieveEnv, type SieveResult } from '../../engine/sieve/index.js';
import { wildcardMatch } from '../../engine/sieve/match.js';
import { regexMatch } from '../../engine/sieve/regex.js';

const RAW = Buffer.from('From: Alice <alice@example.org>\r\nTo: user@example.com\r\nSubject: Hello there\r\nDate: Tue, 1 Jul 2025 23:30:00 +0900\r\nX-Tag: one\r\nX-Tag: two\r\n\r\nBody text.\r\n');

function run(script: string, env: SieveEnv = {}, raw = RAW): SieveResult {
  const p = parseScript(script, env);
  assert.ok(p.ok, JSON.stringify(!p.ok && p.errors));
  return evaluate(p.script, sieveMessage(raw, { from: 'alice@example.org', to: 'user@example.com' }), env);
}

const budget = (max = 1e9) => ({ work: 0, max, maxRegexInput: 1e9 });

test('interpreter: a run-time error keeps the message and reports where', () => {
  const r = run('require "fileinto";\nfileinto "A";\nredirect "a@x.example";\nredirect "b@x.example";', { limits: { maxRedirects: 1 } });
  assert.deepEqual(r.actions, []);
  assert.deepEqual(r.implicitKeep, { flags: [] });
  assert.equal(r.errors[0].line, 4);
  assert.match(r.errors[0].message, /redirect actions exceeds the limit \(2 > 1\)/);
  // a loader that throws is an error value, not a throw
  const t = run('require "include";\ninclude "x";', { loadScript: () => { throw new Error('disk on fire'); } });
  assert.match(t.errors[0].message, /internal error: disk on fire/);
  assert.deepEqual(t.implicitKeep, { flags: [] });
  // a script that does not compile: errors and implicit keep, from the one-step helper
  const c = runScriptText('fileinto "A";', sieveMessage(RAW, { from: '', to: 'user@example.com' }));
  assert.equal(c.errors[0].line, 1);
  assert.deepEqual(c.implicitKeep, { flags: [] });
});

test('interpreter: redirect addresses from variables are checked at run time, and overlong ones refused', () => {
  const long = run('require "variables"; set "a" "${1}"; if header :matches "subject" "*" { redirect "${1}"; }');
  assert.match(long.errors[0].message, /invalid redirect address "Hello there"/);
  const r = run(`require "variables"; set "pad" "${' '.repeat(5000)}"; redirect "\${pad}x@example.org";`);
  assert.match(r.errors[0].message, /invalid redirect address/);
  const ok = run('require "variables"; set "u" "boss"; redirect "Boss <${u}@example.org>";');
  assert.deepEqual(ok.actions, [{ type: 'redirect', address: 'boss@example.org', copy: false }]);
});

test('interpreter: action limit and reject conflicts', () => {
  const many = 'require "fileinto";\n' + Array.from({ length: 70 }, (_, i) => `fileinto "F${i}";`).join('\n');
  assert.match(run(many).errors[0].message, /more than 64 actions/);
  assert.equal(run(many, { limits: { maxActions: 100 } }).actions.length, 70);
  assert.match(run('require ["reject", "vacation"]; vacation "x"; reject "no";').errors[0].message, /reject\/ereject conflicts/);
  const ok = run('require "reject"; reject "no";');
  assert.deepEqual(ok.actions, [{ type: 'reject', reason: 'no', extended: false }]);
  assert.equal(ok.implicitKeep, null);
});

test('interpreter: hostile :matches patterns stay linear or hit the work budget', () => {
  const long = 'a'.repeat(64 * 1024);
  // many stars: each middle segment is placed once, so this is linear and simply fails
  assert.equal(wildcardMatch(long, '*a'.repeat(200) + '*b', 'i;ascii-casemap', budget()), null);
  assert.deepEqual(wildcardMatch('xaybz', '*a*b*', 'i;octet', budget()), ['x', 'y', 'z']);
  // a long middle segment that almost fits everywhere costs text × segment: the budget stops it
  const r = run('if header :matches "subject" "*' + 'a'.repeat(2000) + 'b*" { discard; }', { limits: { maxMatchWork: 1_000_000 } }, Buffer.from(`Subject: ${'a'.repeat(60_000)}\r\n\r\n`));
  assert.match(r.errors[0].message, /match work limit exceeded/);
  assert.deepEqual(r.implicitKeep, { flags: [] });
});

test('interpreter: :regex runs in linear time (no backtracking) and honours its bounds', () => {
  const long = 'a'.repeat(20_000);
  assert.equal(regexMatch(long, '^(a*)*b$', false, budget()), null);
  assert.equal(regexMatch(long, '(a|a)*c', false, budget()), null);
  assert.equal(regexMatch(long + 'b', '^(a|aa)+b$', false, budget())?.[0].length, 20_001);
  assert.deepEqual(regexMatch('Re: [acme] hi', '\\[([a-z]+)\\]', false, budget()), ['[acme]', 'acme']);
  assert.deepEqual(regexMatch('ABC', '^a(b)c$', true, budget()), ['ABC', 'B']);
  assert.deepEqual(regexMatch('請求書 No.123', '[[:digit:]]{3}', false, budget()), ['123']);
  assert.equal(regexMatch('abc', 'x{2,3}', false, budget()), null);
  // work is counted: a tight budget turns a big search into an error, never a stall
  assert.throws(() => regexMatch(long, '(a|b|c)*d', false, budget(10_000)), /match work limit/);
  // empty-width steps count too: thousands of empty groups (one thread reading the text) hit the budget
  assert.throws(() => regexMatch('あ'.repeat(2000), `${'()'.repeat(5000)}x`, false, budget(2_000_000)), /match work limit/);
  // groups past ${9} keep no slots, and the ones before still capture
  assert.deepEqual(regexMatch('abcdefghijkl', '(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)', false, budget())?.slice(1), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
  // only the first maxRegexInput characters are searched
  assert.equal(regexMatch('x'.repeat(100) + 'needle', 'needle', false, { work: 0, max: 1e9, maxRegexInput: 50 }), null);
  const r = run('require ["regex", "variables", "fileinto"]; if header :regex "subject" "^(h[a-z]+) (t.*)$" { fileinto "${2}-${1}"; }', { extensions: CAPABILITIES });
  assert.deepEqual(r.actions, [{ type: 'fileinto', mailbox: 'there-Hello', flags: [], create: false, copy: false }]);
});

test('interpreter: variables — limits and match variables', () => {
  const r = run('require ["variables", "fileinto"]; set "a" "0123456789"; set "b" "${a}${a}${a}"; fileinto "${b}";', { limits: { maxStringLength: 15 } });
  assert.equal(r.actions[0].type === 'fileinto' && r.actions[0].mailbox, '012345678901234');
  const many = 'require "variables";\n' + Array.from({ length: 20 }, (_, i) => `set "v${i}" "x";`).join('\n');
  assert.match(run(many, { limits: { maxVariables: 10 } }).errors[0].message, /more than 10 variables/);
  // match variables survive until the next successful match, and a failed match leaves them alone
  const m = run('require ["variables", "fileinto"]; if header :matches "subject" "H* *" { } if header :matches "subject" "nomatch*" { } fileinto "${1}|${2}|${3}";');
  assert.equal(m.actions[0].type === 'fileinto' && m.actions[0].mailbox, 'ello|there|');
});

test('interpreter: date and currentdate follow the injected clock and zone', () => {
  const now = () => new Date(Date.UTC(2025, 11, 31, 15, 30, 0)); // 2026-01-01 00:30 in +0900
  const script = 'require ["date", "variables", "fileinto"]; if currentdate :matches "date" "*" { set "d" "${1}"; } if currentdate :matches :zone "-0500" "time" "*" { set "t" "${1}"; } if date :matches "date" "date" "*" { set "h" "${1}"; } fileinto "${d} ${t} ${h}";';
  const r = run(script, { now, zone: '+0900' });
  assert.equal(r.actions[0].type === 'fileinto' && r.actions[0].mailbox, '2026-01-01 10:30:00 2025-07-01');
  const utc = run(script, { now, zone: '+0000' });
  assert.equal(utc.actions[0].type === 'fileinto' && utc.actions[0].mailbox, '2025-12-31 10:30:00 2025-07-01');
  const wd = run('require ["date", "fileinto"]; if currentdate :zone "+0900" :is "weekday" "4" { fileinto "thursday"; }', { now });
  assert.equal(wd.actions.length, 1);
});

test('interpreter: include through the loader, :once, recursion and nesting limits', () => {
  const scripts: Record<string, string> = {
    a: 'require ["include", "fileinto"]; fileinto "A"; include :once "b";',
    b: 'require ["include", "fileinto"]; fileinto "B"; include :once "a";',
    self: 'require "include"; include "self";',
  };
  const loadScript = (n: string) => scripts[n] ?? null;
  const r = run('require "include"; include "a"; include :once "b";', { loadScript });
  assert.deepEqual(r.actions.map((a) => a.type === 'fileinto' && a.mailbox), ['A', 'B']);
  assert.match(run('require "include"; include "self";', { loadScript }).errors[0].message, /would recurse/);
  const g = run('require "include"; include :global "a";', { loadScript: (n, loc) => (loc === 'global' ? scripts[n] ?? null : null) });
  assert.match(g.errors[0].message, /personal script "b" not found/);
  const broken = run('require "include"; include "x";', { loadScript: () => 'frob;' });
  assert.match(broken.errors[0].message, /included script "x": line 1 column 1: unknown command/);
});

test('interpreter: editheader edits are reported in order; tests see them; protected fields stay', () => {
  const r = run('require ["editheader", "fileinto"]; addheader "X-New" "v"; addheader :last "X-Tail" text:\nt\nu\n.\n; deleteheader :index 2 "x-tag"; deleteheader "received"; if header :is "x-tag" "one" { fileinto "one-left"; }');
  assert.deepEqual(r.headerEdits, [
    { op: 'add', name: 'X-New', value: 'v', last: false },
    { op: 'add', name: 'X-Tail', value: 't u', last: true },
    { op: 'delete', name: 'x-tag', index: 2, fromEnd: false },
  ]);
  assert.equal(r.actions.length, 1);
  assert.match(r.warnings[0].message, /"received" is protected/);
});

test('interpreter: imap4flags on keep, fileinto and implicit keep', () => {
  const r = run('require ["imap4flags", "fileinto"]; addflag "\\\\seen $Label1"; fileinto "A"; addflag "\\\\Flagged"; removeflag "$label1";');
  assert.deepEqual(r.actions, [{ type: 'fileinto', mailbox: 'A', flags: ['\\Seen', '$Label1'], create: false, copy: false }]);
  assert.equal(r.implicitKeep, null);
  const k = run('require "imap4flags"; setflag "\\\\Answered";');
  assert.deepEqual(k.implicitKeep, { flags: ['\\Answered'] });
  assert.equal(k.stopped, false);
  assert.equal(run('if true { stop; } keep;').stopped, true);
  const ret = run('require "include"; if true { return; } keep;');
  assert.equal(ret.stopped, true);
  assert.deepEqual(ret.actions, []);
});

test('applyHeaderEdits: replays the edits on the raw message, body untouched, no header injection', async () => {
  const { applyHeaderEdits } = await import('../../engine/sieve/index.js');
  const r = run('require ["editheader", "variables", "encoded-character"]; set "v" "請求 ${hex:0d 0a}Bcc: victim@example.org"; addheader "X-New" "${v}"; addheader :last "X-Last" "z"; deleteheader :index 1 "x-tag";');
  const out = applyHeaderEdits(RAW, r.headerEdits).toString('latin1');
  const [head, body] = out.split('\r\n\r\n');
  assert.equal(body, 'Body text.\r\n');
  const lines = head.split('\r\n');
  assert.match(lines[0], /^X-New: =\?UTF-8\?B\?/);
  assert.ok(!lines.some((l) => /^Bcc:/i.test(l)), 'no injected field');
  assert.equal(lines[lines.length - 1], 'X-Last: z');
  assert.deepEqual(lines.filter((l) => l.startsWith('X-Tag')), ['X-Tag: two']);
  assert.equal(applyHeaderEdits(RAW, []), RAW);
});

test('spamtest: the verdict passed by the caller wins over headers a sender could forge', () => {
  const forged = Buffer.from('X-IMAIL-SPAM: score=0.0 threshold=5.0 verdict=ham\r\nSubject: x\r\n\r\nx\r\n');
  const script = 'require ["spamtestplus", "relational", "comparator-i;ascii-numeric", "fileinto"]; if spamtest :value "ge" :comparator "i;ascii-numeric" "6" { fileinto "Junk"; } if spamtest :percent :is "0" { fileinto "zero"; }';
  assert.deepEqual(run(script, {}, forged).actions.map((a) => a.type === 'fileinto' && a.mailbox), ['zero']);
  assert.deepEqual(run(script, { spam: { score: 9.5, threshold: 5 } }, forged).actions.map((a) => a.type === 'fileinto' && a.mailbox), ['Junk']);
  assert.deepEqual(run(script, { spam: null }, forged).actions.map((a) => a.type === 'fileinto' && a.mailbox), ['zero']);
});

test('comparators: ? is one octet under i;ascii-casemap, one character under i;unicode-casemap', () => {
  const raw = Buffer.from('Subject: 請求書だ ＡＢＣ\r\n\r\nx\r\n', 'utf8');
  const r = run('require ["fileinto", "comparator-i;unicode-casemap"]; if header :matches "subject" "請求書? *" { fileinto "octet"; } if header :matches :comparator "i;unicode-casemap" "subject" "請求書? abc" { fileinto "char"; } if header :matches "subject" "請求書??? *" { fileinto "three-octets"; }', {}, raw);
  assert.deepEqual(r.actions.map((a) => a.type === 'fileinto' && a.mailbox), ['char', 'three-octets']);
});
