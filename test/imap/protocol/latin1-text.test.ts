// Latin1Text (engine/imap/protocol/latin1-text.ts), the text FETCH renders ENVELOPE and BODYSTRUCTURE into, must
// give the octets a Response gives for the same calls: quoted strings, literals of 8-bit header text (raw
// ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8 read as latin1), literals of UTF-8 text, NIL, and text past 1000 chars.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Latin1Text } from '../../../engine/imap/protocol/latin1-text.js';
import { Response } from '../../../engine/imap/protocol/response.js';

const PIECES = [
  'plain', '', 'a"b', 'x\\y', ' ', '\t', '\r\n', '\0', 'é', '日本語', 'ｶﾅ', '\u{1F600}', '\x7f', '\x80', '\xff',
  Buffer.from('1b2442467c4b5c386c1b2842', 'hex').toString('latin1'), // 日本語 in ISO-2022-JP
  Buffer.from('93fa967b8cea', 'hex').toString('latin1'), // Shift_JIS
  Buffer.from('c6fccbdcb8ec', 'hex').toString('latin1'), // EUC-JP
  Buffer.from('日本語', 'utf8').toString('latin1'),
  '=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=', '"Boss <boss@x>" <evil@y>',
];

function value(rnd: () => number): string {
  let s = '';
  const n = Math.floor(rnd() * 6);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rnd() * PIECES.length)];
  if (rnd() < 0.05) s += 'x'.repeat(990 + Math.floor(rnd() * 20)); // around the 1000-octet quoting limit
  return s;
}

it('writes the octets a Response writes for the same calls (5,000 random sequences)', () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 8) / (1 << 23);
  for (let round = 0; round < 5000; round++) {
    const t = new Latin1Text();
    const r = new Response();
    const calls = 1 + Math.floor(rnd() * 6);
    for (let i = 0; i < calls; i++) {
      const v = value(rnd);
      const kind = Math.floor(rnd() * 5);
      if (kind === 0) (t.raw(' '), r.raw(' '));
      else if (kind === 1) (t.str(v), r.str(v));
      else if (kind === 2) (t.latin1(v), r.latin1(v));
      else if (kind === 3) (t.nlatin1(v), r.nlatin1(v));
      else (t.nlatin1(null), r.nlatin1(null));
    }
    assert.deepEqual(Buffer.from(t.text, 'latin1'), r.toBuffer(), `round ${round}`);
  }
});
