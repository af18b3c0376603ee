// The tokeniser's ASCII scans (engine/spam/ascii-words.ts) give what its general scans give: the same words in the
// same order as wordsOf, the same matches as capsTokens' Unicode regex, and through words() and capsTokens() the
// same tokens as the general path (forced by a character past ASCII that makes no token of its own).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachAsciiLetterWord, forEachAsciiWord, isAsciiText } from '../../engine/spam/ascii-words.js';
import { capsTokens, words, wordsOf } from '../../engine/spam/tokenise.js';

/** capsTokens' pattern, as tokenise.ts writes it. */
const LETTERS = /(?<![\p{L}\p{N}])\p{L}{3,}(?![\p{L}\p{N}])/gu;

/** A small seeded generator: the same texts every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 0x100000000;
  };
}

/** Texts heavy in what word runs are made of: letters of both cases, digits, $ ' . _ @ -, spaces and other signs. */
function texts(count: number, seed: number): string[] {
  const r = rng(seed);
  const alphabet = "aBcDeFxyzQRS0123456789$$''..__@@--  \t\r\n!?,;:()[]<>/\\#%&*+=~`\"^|{}";
  const out = ['', 'a', '$', '$$$$', 'a.b.c', 'latency.', '$5.00', "'quoted'", 'x@y.z-', 'FREE MONEY now!!', 'ABC1 1ABC ABCD', "don't-stop 'em", '...$a', 'a$b$', '@@@abc@@@'];
  for (let i = 0; i < count; i++) {
    let s = '';
    const len = Math.floor(r() * 120);
    for (let k = 0; k < len; k++) s += alphabet[Math.floor(r() * alphabet.length)];
    out.push(s);
  }
  return out;
}

test('isAsciiText: true only when no code unit is past ASCII', () => {
  assert.equal(isAsciiText(''), true);
  assert.equal(isAsciiText('plain text\r\n\x00\x7f'), true);
  for (const s of ['é', 'abc\u0080', 'x\ud800', '\udc00', '日本語', 'ＦＲＥＥ', 'a\u00a0b']) assert.equal(isAsciiText(s), false, JSON.stringify(s));
});

test('forEachAsciiWord gives wordsOf’s words, in order', () => {
  for (const t of texts(4000, 1)) {
    const lower = t.toLowerCase();
    for (const s of [t, lower]) {
      const got: string[] = [];
      forEachAsciiWord(s, (a, b) => (got.push(s.slice(a, b)), true));
      assert.deepEqual(got, [...wordsOf(s)], JSON.stringify(s));
    }
  }
  // false stops the scan at once
  const seen: string[] = [];
  forEachAsciiWord('one two three four', (a, b) => (seen.push(`${a}-${b}`), seen.length < 2));
  assert.deepEqual(seen, ['0-3', '4-7']);
});

test('forEachAsciiLetterWord finds capsTokens’ regex matches, and which have no lower-case letter', () => {
  for (const t of texts(4000, 2)) {
    const got: string[] = [];
    forEachAsciiLetterWord(t, (a, b, upper) => (got.push(`${t.slice(a, b)}:${upper}`), true));
    const want = [...t.matchAll(LETTERS)].map((m) => `${m[0]}:${m[0] !== m[0].toLowerCase() && m[0] === m[0].toUpperCase()}`);
    assert.deepEqual(got, want, JSON.stringify(t));
  }
});

test('words() and capsTokens() give the same tokens for ASCII text as their general path', () => {
  // " é" sends a text down the general path and adds no token: a one-letter word (too short) and no capitals
  for (const t of texts(1500, 3)) {
    for (const pairs of [false, true]) {
      const fast = new Set<string>();
      const general = new Set<string>();
      words(t, '', fast, pairs);
      words(`${t} é`, '', general, pairs);
      if (pairs) general.delete(`bi:${[...wordsOf(t.toLowerCase())].pop()} é`);
      assert.deepEqual([...fast], [...general], JSON.stringify(t));
    }
    const fast = new Set<string>();
    const general = new Set<string>();
    capsTokens([t, 'SECOND TEXT here'], fast);
    capsTokens([`${t} é`, 'SECOND TEXT here é'], general);
    assert.deepEqual([...fast], [...general], JSON.stringify(t));
  }
  // a prefix and the 20-character cut as before
  const out = new Set<string>();
  words('Hello WORLD abcdefghijklmnopqrstuvwxyz ok', 'subject:', out);
  assert.deepEqual([...out], ['subject:hello', 'subject:world', 'subject:skip:a20']);
});

test('capsTokens stops counting at 20,000 words in ASCII text as it did', () => {
  const t = 'WORD '.repeat(25_000);
  const fast = new Set<string>();
  const general = new Set<string>();
  capsTokens([t, 'MORE'], fast);
  capsTokens([`${t}é`, 'MORE é'], general);
  assert.deepEqual([...fast], [...general]);
  assert.deepEqual([...fast], ['caps:WORD', 'capsratio:5']);
});
