// Charset decoding: ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8, RFC 2047 words, and mislabelled Japanese.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { decodeBytes, decodeHeaderValue, decodeIso2022jp, detectCharset } from '../../engine/mime/charset.js';
import { parseMessage } from '../../engine/spam/message.js';
import { encodedWord, rawMail, toIso2022jp, BUSINESS_JA } from '../spam/mail.js';

const JA = '未承諾広告のお知らせ：カタカナも含む';

test('ISO-2022-JP decodes, including the JIS X 0201 kana set', () => {
  assert.equal(decodeIso2022jp(toIso2022jp('日本語 text テスト')), '日本語 text テスト');
  // ESC ( I switches to half-width katakana: 0x36 0x40 → ｶﾀ... (ｶ = 0x36)
  const kana = Buffer.from([0x1b, 0x28, 0x49, 0x36, 0x40, 0x1b, 0x28, 0x42, 0x41]);
  assert.equal(decodeIso2022jp(kana), 'ｶﾀA');
});

test('declared charsets decode; wrong or missing labels are detected', () => {
  const sjis = iconv.encode(BUSINESS_JA, 'cp932');
  const euc = iconv.encode(BUSINESS_JA, 'euc-jp');
  assert.equal(decodeBytes(sjis, 'Shift_JIS').text, BUSINESS_JA);
  assert.equal(decodeBytes(euc, 'EUC-JP').text, BUSINESS_JA);
  assert.equal(decodeBytes(Buffer.from(BUSINESS_JA), 'utf-8').text, BUSINESS_JA);
  for (const label of ['iso-8859-1', 'iso-2022-jp', 'utf-8', 'us-ascii']) {
    const d = decodeBytes(sjis, label);
    assert.equal(d.text, BUSINESS_JA, label);
    assert.equal(d.charset, 'cp932');
    assert.equal(d.mislabelled, true, label);
  }
  assert.equal(decodeBytes(sjis).text, BUSINESS_JA);
  assert.equal(detectCharset(euc), 'euc-jp');
  assert.equal(detectCharset(sjis), 'cp932');
  assert.equal(decodeBytes(euc, 'Shift_JIS').text, BUSINESS_JA);
  assert.equal(decodeBytes(Buffer.from('café', 'latin1'), 'iso-8859-1').text, 'café');
  assert.equal(decodeBytes(Buffer.from('café', 'latin1'), 'iso-8859-1').mislabelled, false);
});

test('RFC 2047 headers: ISO-2022-JP, UTF-8, Shift_JIS words, split words joined, raw 8-bit Shift_JIS', () => {
  assert.equal(decodeHeaderValue(encodedWord(JA, 'ISO-2022-JP')).text, JA);
  assert.equal(decodeHeaderValue(`Re: ${encodedWord('日本', 'UTF-8')} ${encodedWord('語', 'UTF-8')} end`).text, 'Re: 日本語 end');
  assert.equal(decodeHeaderValue(encodedWord(JA, 'Shift_JIS')).text, JA);
  // a multi-byte character split across two words of the same charset
  const b = Buffer.from('日本', 'utf8');
  const split = `=?UTF-8?B?${b.subarray(0, 4).toString('base64')}?= =?UTF-8?B?${b.subarray(4).toString('base64')}?=`;
  assert.equal(decodeHeaderValue(split).text, '日本');
  assert.equal(decodeHeaderValue('=?utf-8?Q?caf=C3=A9_ok?=').text, 'café ok');
  assert.equal(decodeHeaderValue(iconv.encode('件名テスト', 'cp932').toString('latin1')).text, '件名テスト');
});

test('MIME: multipart with base64 and quoted-printable parts in different charsets', () => {
  const sjisB64 = iconv.encode('本文は Shift_JIS です', 'cp932').toString('base64');
  const qp = '=E3=81=93=E3=82=93=E3=81=AB=E3=81=A1=E3=81=AF <b>html</b>';
  const body = [
    '--b1',
    'Content-Type: text/plain; charset="Shift_JIS"',
    'Content-Transfer-Encoding: base64',
    '',
    sjisB64,
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qp,
    '--b1',
    'Content-Type: application/pdf',
    'Content-Disposition: attachment; filename="x.pdf"',
    '',
    'JVBERi0=',
    '--b1--',
    '',
  ].join('\r\n');
  const m = parseMessage(rawMail({ subject: encodedWord('件名', 'ISO-2022-JP'), contentType: 'multipart/alternative; boundary="b1"', cte: '7bit', body }));
  assert.equal(m.subject, '件名');
  assert.deepEqual(m.texts, ['本文は Shift_JIS です']);
  assert.deepEqual(m.htmls, ['こんにちは <b>html</b>']);
  assert.equal(m.attachments, 1);
  assert.equal(m.fromAddress, 'sender@good.test');
});
