// engine/jmap/mail/body-parts.ts truncateUtf8: the webmail's and JMAP's bodyValue cut at maxBodyValueBytes. It went a
// character at a time over the whole decoded part (a stranger's 19 MB part held the main thread; docs/
// security-review-7.md, left open 2); now one slice. The old loop is the definition: the same cut on random text of
// ASCII, Japanese (kana, kanji, half-width), emoji pairs, lone surrogates and NULs, at every kind of limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncateUtf8 } from '../../../engine/jmap/mail/body-parts.js';

/** The loop truncateUtf8 was, character by character. */
function definition(s: string, max: number, html: boolean): string {
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > max) break;
    bytes += n;
    end += ch.length;
  }
  let out = s.slice(0, end);
  if (html) {
    const lt = out.lastIndexOf('<');
    if (lt >= 0 && out.indexOf('>', lt) < 0) out = out.slice(0, lt);
  }
  return out;
}

const PIECES = ['a', 'Z', ' ', '\n', '<', '>', '<b>', 'é', 'ß', 'あ', '日本語', 'ｶﾞ', '𠮷', '😀', '\ud800', '\udc00', '\0', '\u00ff', '漢字かな交じり'];

test('truncateUtf8 cuts where the character-at-a-time loop cut, on 20,000 random strings', () => {
  let x = 17;
  const r = (n: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % n);
  for (let k = 0; k < 20_000; k++) {
    let s = '';
    const len = r(60);
    for (let i = 0; i < len; i++) s += PIECES[r(PIECES.length)];
    const bytes = Buffer.byteLength(s, 'utf8');
    const max = [0, 1, 2, 3, 4, r(bytes + 2), bytes - 1, bytes, bytes + 1, s.length, s.length - 1][r(11)];
    if (max < 0) continue;
    const html = r(2) === 0;
    assert.equal(truncateUtf8(s, max, html), definition(s, max, html), JSON.stringify({ s, max, html }));
  }
});

test('a long Japanese value is cut to the octets asked for, never mid-character', () => {
  const s = '日本語のテキスト😀'.repeat(200_000);
  const out = truncateUtf8(s, 1_000_000, false);
  assert.equal(out, definition(s, 1_000_000, false));
  assert.ok(Buffer.byteLength(out, 'utf8') <= 1_000_000 && Buffer.byteLength(out, 'utf8') > 999_990);
});
