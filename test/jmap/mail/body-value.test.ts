// engine/jmap/mail/body-value.ts decodes only the start of a text part for a body value cut at maxBodyValueBytes
// (docs/security-review-7.md, stop 29). The old way is the definition: decode the whole part (transfer encoding,
// then charset), then cut. On random Japanese and ASCII text in UTF-8, ISO-2022-JP, Shift_JIS and EUC-JP, as
// 8bit/7bit, base64 and quoted-printable, with long lines and short, at every kind of limit, both give the same
// value and isTruncated. And charBoundary (engine/mime/char-boundary.ts): every cut of every charset's bytes
// decodes to a start of the whole text, and leaves out at most one character.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { bodyStructure, type BodyPart } from '../../../engine/jmap/mail/body-parts.js';
import { bodyValue, truncateUtf8 } from '../../../engine/jmap/mail/body-value.js';
import { charBoundary } from '../../../engine/mime/char-boundary.js';
import { decodeAs, decodeBytes } from '../../../engine/mime/charset.js';
import { encodeJisBody } from '../../../engine/mime/iso2022jp.js';
import { decodeTransfer } from '../../../engine/mime/text-decode.js';
import { CONTENT_TRANSFER_ENCODING } from '../../../engine/mime/known-fields.js';
import { parseMime } from '../../../engine/mime/mime-tree.js';
import { quotedPrintable } from '../../helpers/quoted-printable.js';

/** The whole part decoded, then cut: what bodyValue did before. */
function definition(raw: Buffer, part: BodyPart, max: number): { value: string; isTruncated: boolean } {
  const body = decodeTransfer(raw.subarray(part.node.bodyStart, part.node.end), part.node.field(CONTENT_TRANSFER_ENCODING));
  const value = decodeBytes(body, part.charset ?? undefined).text.replace(/\r\n?/g, '\n').replace(/\0/g, '');
  if (max > 0 && Buffer.byteLength(value, 'utf8') > max) return { value: truncateUtf8(value, max, part.type === 'text/html'), isTruncated: true };
  return { value, isTruncated: false };
}

const PIECES = ['a', 'Zq', ' ', '.', '0', '\r\n', '\r\n\r\n', 'あ', 'か', '日本語', '漢字かな交じり文', 'カタカナ', '＝', '<p>', '!', '、', '。', 'ー'];
const LABEL: Record<string, string> = { utf8: 'utf-8', jis: 'iso-2022-jp', sjis: 'shift_jis', euc: 'euc-jp' };
const encodeText = (text: string, cs: string): Buffer =>
  cs === 'utf8' ? Buffer.from(text, 'utf8') : cs === 'jis' ? encodeJisBody(text) : iconv.encode(text, cs === 'sjis' ? 'cp932' : 'euc-jp');

function message(bytes: Buffer, cs: string, cte: string, html: boolean): Buffer {
  const body = cte === 'base64' ? bytes.toString('base64').replace(/.{76}/g, '$&\r\n') : cte === 'quoted-printable' ? quotedPrintable(bytes) : bytes.toString('latin1');
  const head = `From: a@example.org\r\nSubject: t\r\nMIME-Version: 1.0\r\nContent-Type: text/${html ? 'html' : 'plain'}; charset=${LABEL[cs]}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), Buffer.from(body, 'latin1')]);
}

test('the value from the start of the part is the value from all of it, cut (2,000 random parts)', () => {
  let x = 29;
  const r = (n: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % n);
  let truncated = 0;
  for (let k = 0; k < 2000; k++) {
    const cs = ['utf8', 'jis', 'sjis', 'euc'][k % 4];
    const cte = ['8bit', 'base64', 'quoted-printable'][r(3)];
    // long lines (no break at all) or short ones; 5–60 KB, so the start read is not the whole part
    const long = r(3) === 0;
    let text = '';
    const target = 5000 + r(55_000);
    while (text.length < target / 3) {
      const p = PIECES[r(PIECES.length)];
      text += long && p.includes('\n') ? 'x' : p;
    }
    const bytes = encodeText(text, cs); // (ISO-2022-JP breaks lines at 998 octets itself)
    const label = cs;
    const raw = message(bytes, cs, cs === 'jis' && cte === '8bit' ? '7bit' : cte, r(4) === 0);
    const part = bodyStructure(raw, parseMime(raw), () => null);
    const decodedBytes = Buffer.byteLength(definition(raw, part, 0).value, 'utf8');
    const max = [1, 2, 3, 100, 1000, 4095, 4096, r(decodedBytes + 10), decodedBytes - 1, decodedBytes, decodedBytes + 1, r(4000) + 1][r(12)];
    if (max <= 0) continue;
    const want = definition(raw, part, max);
    const got = bodyValue(raw, part, max);
    if (want.isTruncated) truncated++;
    assert.equal(got.isTruncated, want.isTruncated, JSON.stringify({ k, cs: label, cte, max, decodedBytes }));
    assert.ok(got.value === want.value, JSON.stringify({ k, cs: label, cte, max, got: got.value.slice(-20), want: want.value.slice(-20) }));
    assert.equal(got.isEncodingProblem, false);
  }
  assert.ok(truncated > 500, `enough cut values (${truncated})`);
});

test('charBoundary: every cut of the bytes decodes to a start of the whole text, one character short at most', () => {
  let x = 7;
  const r = (n: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % n);
  const pieces = ['a', ' ', '0', 'あ', '日本', 'ｶﾀｶﾅ', 'ｶﾞ', '①', '髙', '\n', 'Ω', 'é'];
  for (let k = 0; k < 3000; k++) {
    const cs = ['utf8', 'jis', 'sjis', 'euc'][k % 4];
    const charset = { utf8: 'utf-8', jis: 'iso-2022-jp', sjis: 'cp932', euc: 'euc-jp' }[cs]!;
    let text = '';
    for (let i = r(40); i >= 0; i--) text += pieces[r(pieces.length)];
    if (cs === 'jis') text = text.replace(/[ｶﾀﾅﾞ①髙Ωé]/g, 'ア'); // what the encoder knows: JIS X 0208
    const bytes = encodeText(text, cs);
    const whole = decodeAs(bytes, charset);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const end = charBoundary(bytes.subarray(0, cut), charset);
      assert.ok(end <= cut, 'never past the cut');
      const start = decodeAs(bytes.subarray(0, end), charset);
      assert.ok(whole.startsWith(start), JSON.stringify({ cs, text, cut, end, start }));
      // at most one character (and the escape sequence before it) is left out
      assert.ok(cut - end <= (cs === 'jis' ? 8 : 4), JSON.stringify({ cs, text, cut, end }));
    }
  }
});
