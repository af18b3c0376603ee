// The IMail rule form: rules compile to Sieve that both tegami and Pigeonhole run alike, read back into the
// same rules, and anything the form did not make (or that was edited after) is reported raw, never taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand } from '../helpers/server.js';
import { CAPABILITIES, DEFAULT_CAPABILITIES, evaluate, parseScript, sieveMessage } from '../../engine/sieve/index.js';
import { compileRules, readRuleScript, type RuleSetInput } from '../../engine/sieve/rule-form.js';
import { MESSAGES, messageByName } from './messages.js';
import { ENVELOPE, Pigeonhole, normaliseTegami } from './pigeonhole.js';

export const SAMPLE: RuleSetInput = {
  scope: 'user',
  rules: [
    { name: '請求書', conditions: [{ field: 'subject', op: 'contains', value: '請求書' }], actions: [{ type: 'move', folder: '経理' }, { type: 'stop' }] },
    {
      name: 'lists',
      match: 'any',
      conditions: [
        { field: 'header', header: 'List-Id', op: 'contains', value: 'acme-users' },
        { field: 'from', op: 'matches', value: '*@lists.example.org*' },
      ],
      actions: [{ type: 'move', folder: 'Lists' }],
    },
    { name: 'boss', conditions: [{ field: 'from', op: 'is', value: 'alice@example.org' }], actions: [{ type: 'forward', address: 'assistant@example.net', keepCopy: true }, { type: 'add-header', name: 'X-Boss', value: 'yes' }] },
    { name: 'agenda', conditions: [{ field: 'body', op: 'contains', value: '予算' }, { field: 'to', op: 'not-contains', value: 'nobody' }], actions: [{ type: 'copy', folder: 'Budget "2025"' }] },
    { name: 'Spam words', conditions: [{ field: 'subject', op: 'contains', value: '未承諾広告', caseSensitive: true }], actions: [{ type: 'delete' }] },
    { name: 'sender', conditions: [{ field: 'sender', op: 'contains', value: 'yamada' }], actions: [{ type: 'move', folder: 'Yamada' }] },
    { name: 'off', enabled: false, conditions: [], actions: [{ type: 'delete' }] },
  ],
};

test('rule form: rules compile to a valid script and read back as the same rules', () => {
  const c = compileRules(SAMPLE);
  assert.ok(c.ok, JSON.stringify(!c.ok && c.errors));
  assert.ok(parseScript(c.script).ok);
  const back = readRuleScript(c.script);
  assert.equal(back.kind, 'form');
  assert.equal(back.kind === 'form' && back.rules.rules.length, SAMPLE.rules.length);
  assert.deepEqual(back.kind === 'form' && back.rules.rules[0].conditions[0], { field: 'subject', op: 'contains', value: '請求書', caseSensitive: false });
  // LF line ends (a client that rewrote them) still read as the form
  assert.equal(readRuleScript(c.script.replace(/\r\n/g, '\n')).kind, 'form');
});

test('rule form: hand-written and hand-edited scripts are reported raw', () => {
  const c = compileRules(SAMPLE);
  assert.ok(c.ok);
  assert.deepEqual(readRuleScript('require "fileinto";\nfileinto "A";\n'), { kind: 'raw', reason: 'not made by the rule form' });
  assert.equal(readRuleScript(c.script.replace('fileinto "Lists";', 'fileinto "Lists2";')).kind, 'raw');
  assert.equal(readRuleScript(c.script + 'discard;\r\n').kind, 'raw');
  const lines = c.script.split('\r\n');
  lines[1] = lines[1].replace('"経理"', '"Other"');
  assert.deepEqual(readRuleScript(lines.join('\r\n')), { kind: 'raw', reason: 'the script was edited by hand after the form made it' });
  lines[1] = '# rules: {not json';
  assert.equal(readRuleScript(lines.join('\r\n')).kind, 'raw');
});

test('rule form: bad rules are refused with the path of the problem', () => {
  const bad = (r: unknown) => {
    const c = compileRules({ scope: 'user', rules: [r] } as RuleSetInput);
    assert.ok(!c.ok);
    return c.errors.map((e) => e.path).join(' ');
  };
  assert.match(bad({ conditions: [{ field: 'header', op: 'is', value: 'x' }], actions: [{ type: 'delete' }] }), /header/);
  assert.match(bad({ conditions: [], actions: [{ type: 'forward', address: 'not an address' }] }), /address/);
  assert.match(bad({ conditions: [], actions: [] }), /actions/);
  assert.match(bad({ conditions: [{ field: 'subject', op: 'is', value: 'a\r\nb' }], actions: [{ type: 'delete' }] }), /value/);
  // regex only when the extension is on
  const re = { scope: 'user' as const, rules: [{ conditions: [{ field: 'subject' as const, op: 'regex' as const, value: '^\\[[a-z]+\\]' }], actions: [{ type: 'delete' as const }] }] };
  assert.equal(compileRules(re, { extensions: DEFAULT_CAPABILITIES }).ok, false);
  assert.equal(compileRules(re, { extensions: CAPABILITIES }).ok, true);
});

test('rule form: the compiled rules act on Japanese mail in every charset', () => {
  const c = compileRules(SAMPLE);
  assert.ok(c.ok);
  const p = parseScript(c.script);
  assert.ok(p.ok);
  const run = (name: string) => normaliseTegami(evaluate(p.script, sieveMessage(messageByName(name).bytes, ENVELOPE)));
  for (const n of ['ja-iso2022jp', 'ja-sjis', 'ja-eucjp', 'ja-utf8']) assert.deepEqual(run(n)[0], 'store 経理', n);
  assert.deepEqual(run('list'), ['store Lists', 'no-implicit-keep']);
  assert.deepEqual(run('en-plain'), ['redirect assistant@example.net', 'implicit-keep']);
  assert.deepEqual(run('multipart'), ['store Budget "2025"', 'implicit-keep']);
  assert.deepEqual(run('spam'), ['discard', 'no-implicit-keep']);
});

test('rule form: Pigeonhole runs the compiled rules the same way', (t) => {
  if (!requireCommand(t, 'sieve-test')) return;
  const c = compileRules(SAMPLE);
  assert.ok(c.ok);
  const p = parseScript(c.script);
  assert.ok(p.ok);
  const ph = new Pigeonhole();
  try {
    for (const m of MESSAGES.filter((x) => !x.explicit)) {
      const ours = normaliseTegami(evaluate(p.script, sieveMessage(m.bytes, ENVELOPE)));
      assert.deepEqual(ours, ph.run(c.script, m.bytes).normal, m.name);
    }
  } finally {
    ph.close();
  }
});
