// Address lists as a mail client reads them: quoted commas, comments, groups, source routes, encoded-words
// decoded only in display names (an encoded "@" or "," never makes or splits an address), Japanese display
// names in ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8 (encoded-words and raw bytes), and malformed lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { authorDomain, fieldText, headerFields, mailboxesOf, parseAddressList } from '../../engine/mime/address-list.js';
import { encodedWord, toIso2022jp } from '../spam/mail.js';

const addrs = (v: string) => {
  const r = parseAddressList(v);
  assert.ok(r.ok, `${v}: ${!r.ok ? r.reason : ''}`);
  return r.ok ? r.mailboxes.map((m) => m.address) : [];
};
const names = (v: string) => {
  const r = parseAddressList(v);
  return r.ok ? r.mailboxes.map((m) => m.name) : [];
};

test('a quoted comma or "@" in a display name is part of the name', () => {
  assert.deepEqual(addrs('"Boss, The" <alice@example.test>'), ['alice@example.test']);
  assert.deepEqual(names('"Boss, The" <alice@example.test>'), ['Boss, The']);
  assert.deepEqual(addrs('"boss@other.test" <alice@example.test>'), ['alice@example.test']);
  assert.deepEqual(addrs('"<boss@other.test>" <alice@example.test>'), ['alice@example.test']);
  assert.deepEqual(addrs('"a\\"b, c" <alice@example.test>, bob@example.test'), ['alice@example.test', 'bob@example.test']);
  assert.deepEqual(addrs('(Boss <boss@other.test>) alice@example.test'), ['alice@example.test']);
  assert.deepEqual(names('alice@example.test (Alice Smith)'), ['Alice Smith']);
  assert.deepEqual(names('John Q. Public <jqp@example.test>'), ['John Q. Public']);
});

test('encoded-words are decoded after the structure is read: never an address, never a separator', () => {
  // "boss@other.test" and "a, <boss@other.test>" hidden in encoded-words stay display names
  assert.deepEqual(addrs('=?UTF-8?B?Ym9zc0BvdGhlci50ZXN0?= <alice@example.test>'), ['alice@example.test']);
  assert.deepEqual(names('=?UTF-8?B?Ym9zc0BvdGhlci50ZXN0?= <alice@example.test>'), ['boss@other.test']);
  assert.deepEqual(names('=?utf-8?Q?a=2C_b?= <alice@example.test>'), ['a, b']);
  const hidden = Buffer.from('x, <boss@other.test>').toString('base64');
  assert.deepEqual(addrs(`=?utf-8?b?${hidden}?= <alice@example.test>`), ['alice@example.test']);
  // an encoded-word where the local part is: taken literally, so it matches no one's address
  assert.deepEqual(addrs('=?utf-8?q?boss=40other.test?=@example.test'), ['=?utf-8?q?boss=40other.test?=@example.test']);
  // raw specials inside a would-be encoded-word break the list rather than yield a second address
  assert.equal(parseAddressList('=?utf-8?Q?a=2C_<boss@other.test>?= <alice@example.test>').ok, false);
});

test('Japanese display names: encoded-words and raw bytes in ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8', () => {
  const name = '山田太郎';
  for (const cs of ['ISO-2022-JP', 'Shift_JIS', 'UTF-8'] as const) {
    const v = `${encodedWord(name, cs)} <yamada@example.test>`;
    assert.deepEqual(names(v), [name], cs);
    assert.deepEqual(addrs(v), ['yamada@example.test'], cs);
  }
  const euc = `=?EUC-JP?B?${iconv.encode(name, 'euc-jp').toString('base64')}?= <yamada@example.test>`;
  assert.deepEqual(names(euc), [name]);
  // raw header bytes (RFC 6532 UTF-8, and the older habits): "表" in Shift_JIS ends in 0x5C, "あ" in
  // ISO-2022-JP is the bytes $" — neither may end a quoted string or start one
  const raw: [string, Buffer][] = [
    ['UTF-8', Buffer.from(`"${name}" <yamada@example.test>`)],
    ['Shift_JIS', Buffer.concat([Buffer.from('"'), iconv.encode('表計算', 'cp932'), Buffer.from('" <yamada@example.test>')])],
    // (raw EUC-JP is told from Shift_JIS by its kana, so the name has some)
    ['EUC-JP', Buffer.concat([Buffer.from('"'), iconv.encode('やまだ たろう', 'euc-jp'), Buffer.from('" <yamada@example.test>')])],
    ['ISO-2022-JP', Buffer.concat([toIso2022jp('あい'), Buffer.from(' <yamada@example.test>')])],
  ];
  for (const [cs, bytes] of raw) {
    const r = parseAddressList(fieldText(bytes.toString('latin1')));
    assert.ok(r.ok, `${cs}: ${!r.ok ? r.reason : ''}`);
    if (r.ok) {
      assert.deepEqual(r.mailboxes.map((m) => m.address), ['yamada@example.test'], cs);
      const want = { 'Shift_JIS': '表計算', 'ISO-2022-JP': 'あい', 'EUC-JP': 'やまだ たろう', 'UTF-8': name }[cs];
      assert.equal(r.mailboxes[0].name, want, cs);
    }
  }
});

test('groups, source routes, several mailboxes, domains lower-cased, quoted local parts unquoted', () => {
  assert.deepEqual(addrs('team: alice@example.test, "Bob" <bob@example.test>;'), ['alice@example.test', 'bob@example.test']);
  assert.deepEqual(addrs('undisclosed-recipients:;'), []);
  assert.deepEqual(addrs('<@relay.test,@other.test:alice@example.test>'), ['alice@example.test']);
  assert.deepEqual(addrs('Alice <alice@EXAMPLE.Test>,, bob@example.test'), ['alice@example.test', 'bob@example.test']);
  assert.deepEqual(addrs('"alice"@example.test'), ['alice@example.test']);
  assert.deepEqual(addrs('alice@[192.0.2.1]'), ['alice@[192.0.2.1]']);
});

test('malformed lists are errors, never a guess', () => {
  for (const bad of [
    '"unterminated <alice@example.test>',
    'alice@example.test <boss@other.test>',
    'Boss <boss@other.test',
    'alice@',
    '@example.test',
    'just a name',
    'a@b.test)',
    '(unclosed comment alice@example.test',
    `${'('.repeat(40)}x${')'.repeat(40)} alice@example.test`,
    'alice\x00@example.test',
    'g1: g2: a@b.test;;',
  ]) {
    const r = parseAddressList(bad);
    assert.equal(r.ok, false, bad);
  }
  // long hostile input ends (one pass): dots, quotes and comments by the hundred thousand
  for (const big of ['a.'.repeat(50_000) + '@', '"'.repeat(100_001), '('.repeat(30) + 'x'.repeat(100_000), '=?'.repeat(50_000)]) {
    assert.equal(typeof parseAddressList(big).ok, 'boolean');
  }
});

test('header fields: folded, repeated, "From :" with space, only up to the blank line', () => {
  const head = Buffer.from('Subject: x\r\nFrom: Alice\r\n <alice@example.test>\r\nFrom : boss@other.test\r\nSender: bob@example.test\r\n\r\nFrom: body@example.test\r\n');
  assert.deepEqual(headerFields(head, ['from']).map((f) => f.value.trim()), ['Alice <alice@example.test>', 'boss@other.test']);
  const from = mailboxesOf(head, 'from');
  assert.ok(from.ok);
  assert.deepEqual(from.ok && from.mailboxes.map((m) => m.address), ['alice@example.test', 'boss@other.test']);
  assert.equal(authorDomain(head), null, 'two domains: no single author domain');
  assert.equal(authorDomain(Buffer.from('From: "A, B" <a@Example.Test>\nTo: x@y\n\nbody')), 'example.test');
  assert.equal(authorDomain(Buffer.from('To: x@y\r\n\r\nFrom: a@example.test\r\n')), null, 'a From in the body is no author');
});
