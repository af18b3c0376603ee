// Unit tests for the MIME structure parser and the text decoding SEARCH relies on: offsets, part lookup,
// LF-only messages, RFC 2047 words in several charsets, raw ISO-2022-JP and 8-bit headers, transfer encodings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Encoding from 'encoding-japanese';
import iconv from 'iconv-lite';
import { parseAddressList } from '../../engine/imap/mime/envelope.js';
import { findPart, parseMime } from '../../engine/mime/mime-tree.js';
import { decodeCharset, decodeHeaderValue, decodeTransfer, fold } from '../../engine/mime/text-decode.js';

test('multipart offsets and part numbers, including LF-only line ends and a missing closing boundary', () => {
  const raw = Buffer.from(
    'Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\none\n--XX\n\ntwo\n--XX\nContent-Type: message/rfc822\n\nSubject: in\n\nthree',
  );
  const root = parseMime(raw);
  assert.equal(root.children.length, 3);
  const body = (n: number[]) => {
    const p = findPart(root, n)!;
    return raw.toString('latin1', p.bodyStart, p.end);
  };
  assert.equal(body([1]), 'one');
  assert.equal(body([2]), 'two');
  assert.equal(findPart(root, [2])!.params[0][1], 'us-ascii', 'default text/plain; charset=us-ascii');
  assert.equal(body([3, 1]), 'three');
  assert.equal(findPart(root, [3])!.message!.headers[0].value, 'in');
  assert.equal(findPart(root, [4]), undefined);
  assert.equal(findPart(root, [1, 1]), undefined);
});

test('deep nesting is bounded', () => {
  let msg = 'Subject: deep\r\n';
  for (let i = 0; i < 100; i++) msg += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
  msg += 'Content-Type: text/plain\r\n\r\nbottom\r\n';
  const root = parseMime(Buffer.from(msg));
  let depth = 0;
  for (let n = root; n.children.length; n = n.children[0]) depth++;
  assert.ok(depth <= 30, `depth ${depth}`);
});

test('header decoding: encoded words in several charsets, adjacent words joined, raw JIS and UTF-8', () => {
  assert.equal(decodeHeaderValue('=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?='), '日本語');
  const sjis = iconv.encode('日本', 'Shift_JIS').toString('base64');
  assert.equal(decodeHeaderValue(`=?Shift_JIS?B?${sjis}?= =?UTF-8?Q?=E8=AA=9E?= x`), '日本語 x');
  assert.equal(decodeHeaderValue('=?euc-jp?B?' + iconv.encode('東京', 'EUC-JP').toString('base64') + '?='), '東京');
  assert.equal(decodeHeaderValue(Buffer.from('1b2442467c4b5c386c1b2842', 'hex').toString('latin1')), '日本語');
  assert.equal(decodeHeaderValue(Buffer.from('件名', 'utf8').toString('latin1')), '件名');
  assert.equal(decodeHeaderValue('=?utf-8?q?a_b?='), 'a b');
  assert.equal(decodeHeaderValue('=?bogus-charset?B?YWJj?='), 'abc');
  assert.equal(fold('ＡＢＣ'), 'abc');
});

test('bodies: quoted-printable and base64 then charset', () => {
  assert.equal(decodeTransfer(Buffer.from('caf=C3=A9 =\r\nsoft'), 'quoted-printable').toString('utf8'), 'café soft');
  assert.equal(decodeTransfer(Buffer.from('5pel5pys\r\n6Kqe'), 'base64').toString('utf8'), '日本語');
  assert.equal(decodeCharset(iconv.encode('本文', 'Shift_JIS'), 'shift_jis'), '本文');
  assert.equal(decodeCharset(Buffer.from([0xe9]), undefined), 'é', 'undeclared non-UTF-8 falls back to Windows-1252');
});

test('address lists: display names, comments, groups, routes', () => {
  assert.deepEqual(parseAddressList('"Doe, John" <john@example.com>, jane@example.com (Jane)'), [
    { name: 'Doe, John', mailbox: 'john', host: 'example.com' },
    { name: 'Jane', mailbox: 'jane', host: 'example.com' },
  ]);
  assert.deepEqual(parseAddressList('team: a@x.test;'), [
    { name: null, mailbox: 'team', host: null },
    { name: null, mailbox: 'a', host: 'x.test' },
    { name: null, mailbox: null, host: null },
  ]);
  assert.deepEqual(parseAddressList('<@relay.test:user@host.test>'), [{ name: null, mailbox: 'user', host: 'host.test' }]);
});

test('address lists: a raw ISO-2022-JP name (no RFC 2047) is one name, whatever JIS bytes it holds', () => {
  // 近藤 花子 / 佐藤 一郎 in JIS: their bytes hold ";", "<", "," and '"', which read as ASCII are address syntax
  const jis = (text: string) => Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'JIS', from: 'UNICODE' })).toString('latin1');
  const decode = (name: string | null) => {
    const m = /^=\?ISO-2022-JP\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(name ?? '');
    assert.ok(m, `an encoded-word: ${JSON.stringify(name)}`);
    return Encoding.codeToString(Encoding.convert(Buffer.from(m[1], 'base64'), { to: 'UNICODE', from: 'JIS' }));
  };
  const cases = ['近藤', '佐藤', '増田', '長谷川', 'ｱｲｳ'];
  for (const name of cases) {
    const raw = jis(name);
    for (const value of [`${raw} <alice@example.test>`, `"${raw}" <alice@example.test>`, `alice@example.test (${raw})`]) {
      const list = parseAddressList(value);
      assert.equal(list.length, 1, `${name}: ${JSON.stringify(value)} → ${JSON.stringify(list)}`);
      assert.equal(list[0].mailbox, 'alice');
      assert.equal(list[0].host, 'example.test');
      assert.equal(decode(list[0].name), name);
    }
  }
  // two names, two addresses, a name with no escape back to ASCII at its end
  const two = parseAddressList(`${jis('近藤')} <a@x.test>, ${jis('佐藤').replace(/\x1b\(B$/, '')}`);
  assert.equal(two.length, 2, JSON.stringify(two));
  assert.equal(decode(two[0].name), '近藤');
  // a run not closed by its escape back to ASCII is encoded closed (its decoder then ends in ASCII)
  assert.equal(two[1].mailbox, `=?ISO-2022-JP?B?${Buffer.from(jis('佐藤'), 'latin1').toString('base64')}?=`);
  // hostile text: 20,000 empty runs, each opened and closed, then the address
  const hostile = parseAddressList(`${'\x1b$B\x1b(B'.repeat(20_000)} <a@x.test>`);
  assert.deepEqual([hostile.length, hostile[0].mailbox, hostile[0].host], [1, 'a', 'x.test']);
});
