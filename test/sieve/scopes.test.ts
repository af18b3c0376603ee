// Joining the user's and the domain's scripts: stop ends the run, implicit keep only when no script cancelled it,
// a failing script still keeps the message, a reject gives way to a delivery made by the other script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateScopes, parseScript, sieveMessage, type Script } from '../../engine/sieve/index.js';
import { messageByName } from './messages.js';
import { ENVELOPE, normaliseTegami } from './pigeonhole.js';

const S = (t: string): Script => {
  const p = parseScript(t);
  assert.ok(p.ok, JSON.stringify(!p.ok && p.errors));
  return p.script;
};
const msg = () => sieveMessage(messageByName('ja-sjis').bytes, ENVELOPE);
const run = (...scripts: string[]) => normaliseTegami(evaluateScopes(scripts.map(S), msg()));

test('scopes: user rules first; stop in the user script keeps the domain script from running', () => {
  const user = 'require "fileinto"; if header :contains "subject" "請求書" { fileinto "経理"; stop; }';
  const domain = 'require "fileinto"; fileinto "Domain";';
  assert.deepEqual(run(user, domain), ['store 経理', 'no-implicit-keep']);
  assert.deepEqual(run('keep;', domain), ['store INBOX', 'store Domain', 'no-implicit-keep']);
});

test('scopes: implicit keep survives only if neither script cancelled it; flags join', () => {
  assert.deepEqual(run('require "imap4flags"; addflag "$a";', 'require "imap4flags"; addflag "$b";'), ['implicit-keep flags=$a,$b']);
  assert.deepEqual(run('require "fileinto"; fileinto "A";', '# nothing'), ['store A', 'no-implicit-keep']);
  assert.deepEqual(run('require "fileinto"; fileinto "A";', 'require "fileinto"; fileinto "A"; keep;'), ['store A', 'store INBOX', 'no-implicit-keep']);
});

test('scopes: a failing script keeps the message; a reject gives way to the other script\'s delivery', () => {
  const failing = 'redirect "a@x.example"; redirect "b@x.example"; redirect "c@x.example"; redirect "d@x.example"; redirect "e@x.example";';
  const r = evaluateScopes([S(failing), S('require "fileinto"; fileinto "B";')], msg());
  assert.equal(r.errors.length, 1);
  assert.deepEqual(normaliseTegami({ ...r, errors: [] }), ['store B', 'implicit-keep']);
  assert.deepEqual(run('require "reject"; reject "no";', 'require "fileinto"; fileinto "B";'), ['store B', 'no-implicit-keep']);
  assert.deepEqual(run('require "reject"; reject "no";', 'discard;'), ['reject no', 'discard', 'no-implicit-keep']);
});
