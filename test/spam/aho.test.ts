// The Aho–Corasick literal set against the plain definition (a literal occurs when text.includes(it)), through both
// of its search paths: the full transition table of a small automaton and the sparse transitions of a large one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiteralSet } from '../../engine/spam/rules/aho.js';

/** A small deterministic generator (mulberry32), so a failure is repeatable. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [...'abcab ', '未', '承', '諾', '広', '告', 'ー', '\u{1f600}'];

function word(r: () => number, max: number): string {
  let s = '';
  const n = 1 + Math.floor(r() * max);
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

function check(literals: string[], r: () => number, texts: number): void {
  const set = new LiteralSet(literals);
  for (let k = 0; k < texts; k++) {
    const text = word(r, 300);
    const want = literals.map((l, id) => (l && text.includes(l) ? id : -1)).filter((id) => id >= 0);
    assert.deepEqual([...set.search(text)].sort((a, b) => a - b), want, `text ${JSON.stringify(text)}`);
  }
}

test('a small literal set (full transition table) finds exactly the literals that occur', () => {
  const r = rng(7);
  check(['a', 'ab', 'bab', 'abc', ' ab ', '未承諾', '承諾広告', '告ー', '\u{1f600}a', 'b'], r, 400);
});

test('a large literal set (sparse transitions) finds exactly the literals that occur', () => {
  const r = rng(11);
  const literals = Array.from({ length: 6000 }, () => word(r, 16));
  check(literals, r, 200);
});

test('searches one after another do not carry over what an earlier one found', () => {
  const set = new LiteralSet(['ab', 'b']);
  assert.deepEqual([...set.search('xab')].sort(), [0, 1]);
  assert.deepEqual([...set.search('xb')], [1]);
  assert.deepEqual([...set.search('xx')], []);
});

test('a set of one literal, and a set of Japanese literals on ASCII text, find exactly what occurs', () => {
  const r = rng(13);
  check(['ab'], r, 200);
  check(['未承諾'], r, 200);
  check([''], r, 20);
  check(['未承諾', '広告', '\u{1f600}', ''], r, 300);
  const ascii = new LiteralSet(['未承諾', '広告']);
  assert.deepEqual([...ascii.search('plain ascii text, nothing here')], []);
  assert.deepEqual([...ascii.search('plain ascii 広告')], [1]);
});
