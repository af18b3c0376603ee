// foldedViews (engine/spam/rules/normalise.ts): the three views the content rules read of a text, made for ASCII
// text in one pass, are exactly viewsOf(fold(text)) — on random ASCII, on texts with white space runs, character
// references and upper case, and on texts past ASCII (which take the general walk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fold, foldedViews, viewsOf } from '../../engine/spam/rules/normalise.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 0x100000000;
  };
}

test('foldedViews equals viewsOf(fold(text))', () => {
  const r = rng(11);
  const pieces = ['a', 'Z', 'q', '9', ' ', '  ', '\t', '\r\n', '\x0b', '\x0c', '.', '-', '$', '!', '&#', '&#65;', '&#x4e;', '&#26410;', ';', 'x', 'é', 'Ｆ', '\u200b', '未', 'ｶ', '\u00a0', '\x00', '\x7f'];
  const fixed = ['', ' ', '   ', 'A', 'FREE  Money\r\n\r\nNOW', ' lead and trail ', '\t\t', 'v.i.a.g.r.a', 'a\r\nb', '&#70;&#82;&#69;&#69; cash'];
  const all = [...fixed];
  for (let i = 0; i < 6000; i++) {
    let s = '';
    const ascii = i % 3 !== 0;
    const n = Math.floor(r() * 80);
    for (let k = 0; k < n; k++) {
      const p = pieces[Math.floor(r() * pieces.length)];
      s += ascii && /[^\x00-\x7f]/.test(p) ? 'b' : p;
    }
    all.push(s);
  }
  for (const s of all) {
    const want = viewsOf(fold(s));
    const got = foldedViews(s);
    assert.deepEqual({ ...got }, { ...want }, JSON.stringify(s));
  }
});

test('a long ASCII body after a short one and the other way round (one scratch buffer between calls)', () => {
  const long = 'The Quick  brown\r\nFOX, jumps! '.repeat(4000);
  for (const s of ['short TEXT', long, 'again SHORT\tone', long.slice(7)]) assert.deepEqual({ ...foldedViews(s) }, { ...viewsOf(fold(s)) });
});
