// Parsing and validation: every refusal names line and column; unknown capabilities and commands or tests used
// without their require are refused (as Pigeonhole does); nesting and size limits hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CAPABILITIES, evaluate, parseScript, sieveCapabilityString, sieveMessage } from '../../engine/sieve/index.js';

function errorOf(text: string, opts = {}) {
  const r = parseScript(text, opts);
  assert.ok(!r.ok, `accepted: ${text}`);
  // the place and the English text (ManageSieve, the CLI); the code and values are for the web pages' translations
  const { line, column, message } = r.errors[0];
  return { line, column, message };
}

test('parser: syntax errors carry line and column', () => {
  assert.deepEqual(errorOf('keep;\nif true {\n  discard;\n'), { line: 4, column: 1, message: 'missing "}" at end of script' });
  const s = errorOf('keep;\n  fileinto "unterminated;\n');
  assert.equal(s.line, 2);
  assert.equal(s.column, 12);
  assert.match(s.message, /unterminated string/);
  assert.deepEqual(errorOf('keep;\n\n   redirect "a@example.org" }'), { line: 3, column: 29, message: 'expected ";" or "{" after command "redirect" but found "}"' });
  assert.equal(errorOf('/* open comment\nkeep;').line, 1);
  assert.match(errorOf('keep;\ntext:\nno end').message, /unterminated multi-line/);
  assert.deepEqual(errorOf('if header :is "a" "b" keep;'), { line: 1, column: 1, message: '"if" takes one test and a block' });
  assert.match(errorOf('size :over 10X;').message, /invalid number/);
  assert.match(errorOf('if header :is ["a", ] "b" { }').message, /expected a string in the list/);
});

test('parser: require — unknown names refused, commands and tests without their require refused', () => {
  assert.deepEqual(errorOf('require ["fileinto", "frobnicate"];'), { line: 1, column: 9, message: 'unknown Sieve capability "frobnicate"' });
  assert.deepEqual(errorOf('\n  fileinto "A";'), { line: 2, column: 3, message: 'command "fileinto" needs require "fileinto"' });
  assert.match(errorOf('if body :contains "x" { }').message, /test "body" needs require "body"/);
  assert.match(errorOf('require "fileinto"; fileinto :copy "A";').message, /":copy" needs require "copy"/);
  assert.match(errorOf('if address :detail "to" "x" { }').message, /needs require "subaddress"/);
  assert.match(errorOf('if header :count "ge" "to" "2" { }').message, /needs require "relational"/);
  assert.match(errorOf('if header :is :comparator "i;ascii-numeric" "x" "1" { }').message, /needs require "comparator-i;ascii-numeric"/);
  assert.match(errorOf('keep; require "fileinto";').message, /require must come before/);
  assert.match(errorOf('if true { require "fileinto"; }').message, /only allowed at the top/);
  // regex is off unless the caller enables it
  assert.match(errorOf('require "regex";').message, /unknown Sieve capability "regex"/);
  assert.ok(parseScript('require "regex"; if header :regex "subject" "^a(b|c)+$" { keep; }', { extensions: CAPABILITIES }).ok);
  const bad = errorOf('require "regex";\nif header :regex "subject" "(ab" { keep; }', { extensions: CAPABILITIES });
  assert.equal(bad.line, 2);
  assert.match(bad.message, /missing \)/);
  assert.match(errorOf('require "regex"; if header :regex "subject" "(a)\\\\1" { keep; }', { extensions: CAPABILITIES }).message, /backreferences/);
});

test('parser: argument checking', () => {
  assert.match(errorOf('if header :is :contains "a" "b" { }').message, /conflicts with ":is"/);
  assert.match(errorOf('if header :frob "a" "b" { }').message, /unknown tagged argument ":frob"/);
  assert.match(errorOf('if header "a" { }').message, /takes 2 positional argument/);
  assert.match(errorOf('if size 10 { }').message, /needs :over or :under/);
  assert.match(errorOf('redirect "not an address";').message, /invalid redirect address/);
  assert.match(errorOf('require "variables"; set "1a" "x";').message, /invalid variable name/);
  assert.match(errorOf('require "variables"; set :lower :upper "a" "x";').message, /same precedence/);
  assert.match(errorOf('require "date"; if date "date" "fortnight" "1" { }').message, /unknown date part/);
  assert.match(errorOf('require "date"; if date :zone "JST" "date" "hour" "1" { }').message, /\+hhmm/);
  assert.match(errorOf('elsif true { }').message, /without a preceding "if"/);
  assert.match(errorOf('if true { } else { } else { }').message, /without a preceding "if"/);
  assert.match(errorOf('frobnicate;').message, /unknown command "frobnicate"/);
  assert.match(errorOf('if frobnicate { }').message, /unknown test "frobnicate"/);
  assert.match(errorOf('require "editheader"; addheader "Bad Name" "x";').message, /invalid header field name/);
  assert.match(errorOf('require "editheader"; deleteheader :last "x";').message, /":last" needs ":index"/);
  // several errors are all reported, in order
  const r = parseScript('fileinto "A";\nfrob;\n');
  assert.ok(!r.ok);
  assert.deepEqual(r.errors.map((e) => e.line), [1, 2]);
});

test('parser: limits on size and nesting', () => {
  assert.match(errorOf('keep;'.repeat(100), { limits: { maxScriptBytes: 100 } }).message, /over the limit of 100/);
  const deep = 'if true {'.repeat(40) + '}'.repeat(40);
  assert.match(errorOf(deep).message, /nested deeper than 32/);
  const deepTests = 'if ' + 'not '.repeat(40) + 'true { }';
  assert.match(errorOf(deepTests).message, /nested deeper than 32/);
  // a huge nesting is refused without overflowing the stack
  assert.match(errorOf('if ' + 'anyof('.repeat(100000) + 'true' + ')'.repeat(100000) + ' { }', { limits: { maxScriptBytes: 1e6 } }).message, /nested deeper/);
  assert.ok(parseScript('if true {'.repeat(30) + '}'.repeat(30)).ok);
});

test('parser: strings — escapes, multi-line dot-stuffing, encoded-character', () => {
  const r = parseScript('require ["variables", "encoded-character"];\nset "a" "q\\"b\\\\c\\d";\nset "b" text:\n..dot\nline\n.\n;\nset "c" "${hex:e3 81 82}${unicode:1F600}";');
  assert.ok(r.ok);
  const sets = r.script.commands.filter((c) => c.c === 'set') as { value: { value: string } }[];
  assert.deepEqual(
    sets.map((s) => s.value.value),
    ['q"b\\cd', '.dot\r\nline\r\n', 'あ😀'],
  );
});

test('parser: random token soup never throws and every error has a place', () => {
  let seed = 11;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const atoms = ['if', 'elsif', 'else', 'require', '"fileinto"', 'fileinto', 'header', ':contains', ':matches', ':comparator', '"i;octet"', '"a*?\\\\"', '[', ']', '(', ')', '{', '}', ';', ',', '10K', 'anyof', 'allof', 'not', 'true', 'text:\n..x\n.\n', '/* c */', '# c\n', '"${hex:41}"', ':over', 'size', 'stop', 'keep', 'discard', '"請求書"', '\u0000', '"unterminated'];
  const msg = sieveMessage(Buffer.from('Subject: 請求書 a*?\\\r\n\r\nx\r\n'), { from: 'a@example.org', to: 'b@example.org' });
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const n = 1 + rnd(30);
    const src = Array.from({ length: n }, () => atoms[rnd(atoms.length)]).join(rnd(3) ? ' ' : '\n');
    const r = parseScript(src, { extensions: CAPABILITIES });
    if (!r.ok) for (const e of r.errors) assert.ok(e.line >= 1 && e.column >= 1 && e.message, `${JSON.stringify(src)} → ${JSON.stringify(e)}`);
    else {
      accepted++;
      const out = evaluate(r.script, msg);
      assert.ok(out.implicitKeep || out.actions.length, `${JSON.stringify(src)} lost the message`);
    }
  }
  assert.ok(accepted > 5, `only ${accepted} accepted`);
  // grammar-shaped random scripts: nearly all valid, and evaluation never throws or drops the message
  const tests = ['true', 'false', 'header :contains "subject" "請求"', 'header :matches "subject" "*a*?*"', 'address :domain "from" "example.org"', 'exists "x"', 'size :over 1K', 'body :text :contains "x"', 'string :matches "${1}" "*"', 'hasflag "\\\\Seen"', 'spamtest :value "ge" :comparator "i;ascii-numeric" "3"', 'header :regex "subject" "(a|b)*c"', 'date :is "date" "year" "2025"', 'currentdate :value "gt" "hour" "1"', 'envelope :detail "to" "x"', 'mailboxexists "A"'];
  const actions = ['keep;', 'discard;', 'stop;', 'fileinto "A${1}";', 'fileinto :copy :create :flags "x" "B";', 'redirect "x@example.org";', 'redirect :copy "y@example.org";', 'addflag "\\\\Seen";', 'set :upper "v" "${0}";', 'addheader "X-A" "1";', 'deleteheader "subject";', 'vacation :days 2 "away";', 'reject "no";', 'include :optional "none";'];
  const caps = '"fileinto", "envelope", "body", "variables", "imap4flags", "relational", "comparator-i;ascii-numeric", "regex", "date", "spamtest", "subaddress", "mailbox", "copy", "editheader", "vacation", "reject", "include"';
  const testExpr = (d: number): string => (d > 2 || rnd(3) ? tests[rnd(tests.length)] : `${['allof', 'anyof'][rnd(2)]} (${testExpr(d + 1)}, ${rnd(2) ? 'not ' : ''}${testExpr(d + 1)})`);
  const block = (d: number): string => Array.from({ length: 1 + rnd(3) }, () => (d < 3 && rnd(2) ? `if ${testExpr(0)} { ${block(d + 1)} } elsif ${testExpr(0)} { ${block(d + 1)} } else { ${block(d + 1)} }` : actions[rnd(actions.length)])).join('\n');
  let valid = 0;
  for (let i = 0; i < 1500; i++) {
    const src = `require [${caps}];\n${block(0)}`;
    const r = parseScript(src, { extensions: CAPABILITIES });
    if (!r.ok) continue;
    valid++;
    const out = evaluate(r.script, msg);
    assert.ok(out.implicitKeep || out.actions.length > 0, `${src} lost the message`);
    if (out.errors.length) assert.deepEqual(out.implicitKeep, { flags: [] });
  }
  assert.ok(valid > 1400, `only ${valid} of 1500 generated scripts parsed`);
});

test('capabilities: what ManageSieve advertises is exactly what require accepts', () => {
  for (const enabled of [undefined, CAPABILITIES]) {
    const list = sieveCapabilityString(enabled).split(' ');
    assert.equal(list.includes('regex'), enabled === CAPABILITIES);
    for (const c of list) assert.ok(parseScript(`require "${c}";`, { extensions: enabled }).ok, c);
  }
});
