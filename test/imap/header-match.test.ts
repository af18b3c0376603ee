// engine/imap/mime/header-match.ts: a header key matched on a header block's bytes must answer exactly what decoding
// the field and comparing folded text answers (search-content.ts's decoded path), or leave it undecided. Checked on
// random header blocks: plain ASCII in mixed case, folding, padding, lines without a colon, CR alone, fields named
// twice, RFC 2047 words, raw 8-bit text and Japanese in ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8, with ASCII,
// full-width and Japanese keys and the empty key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { headerMatcher } from '../../engine/imap/mime/header-match.js';
import { Content } from '../../engine/imap/search-content.js';
import { findBodyStart } from '../../engine/mime/mime-tree.js';
import { fold } from '../../engine/mime/text-decode.js';

function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** 日本語 in ISO-2022-JP: ESC $ B F | K \ 8 l ESC ( B */
const JIS = '\x1b$BF|K\\8l\x1b(B';
const words = (cs: string, text: string) => `=?${cs}?B?${iconv.encode(text, cs).toString('base64')}?=`;

const NAMES = ['Subject', 'subject', 'SUBJECT', 'From', 'Subjectx', 'X-Tag'];
const VALUES = [
  'Needle in a haystack',
  'no needle here',
  'NEEDLE',
  'needl',
  ' needle padded ',
  'nEeDlE\tand\ttabs',
  'ｎｅｅｄｌｅ full width',
  `=?ISO-2022-JP?B?${Buffer.from(JIS, 'latin1').toString('base64')}?= report`,
  `${words('Shift_JIS', '日本語の件名')} needle`,
  words('EUC-JP', '日本語 needle'),
  words('UTF-8', '件名 ＮＥＥＤＬＥ'),
  `raw ${JIS} needle`,
  '=?bogus not a word needle',
  'a = ? b needle',
  'trailing needle\u00a0',
  '',
  'x'.repeat(3000) + 'needle',
];
const LINES = [
  (n: string, v: string) => `${n}: ${v}`,
  (n: string, v: string) => `${n}:${v}`,
  (n: string, v: string) => `${n} : ${v}`,
  (n: string, v: string) => `${n}: ${v}\r\n\tcontinued needle`,
  (n: string, v: string) => `${n}: ${v.slice(0, 3)}\r\n ${v.slice(3)}`,
  () => 'no colon at all needle',
  (n: string, v: string) => `${n}: ${v}\rstill the line`,
];
const KEYS = ['needle', 'NEEDLE', ' needle', 'needle ', 'ｎｅｅｄｌｅ', '日本語', '件名', 'needle here', '', 'and\tta', 'x'.repeat(40) + 'needle'];

/** What SEARCH answered before the byte matcher: the field's values decoded and folded, then compared. */
function decoded(raw: Buffer, name: string, key: string): boolean {
  const values = new Content(raw).header(name);
  return values.length > 0 && (key === '' || values.some((v) => v.includes(key)));
}

test('headerMatcher answers what decoding answers, or leaves it undecided, on 6,000 random header blocks', () => {
  const r = random(16);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  let decided = 0;
  let undecided = 0;
  for (let k = 0; k < 6000; k++) {
    const lines: string[] = [];
    const count = 1 + Math.floor(r() * 6);
    for (let j = 0; j < count; j++) lines.push(pick(LINES)(pick(NAMES), pick(VALUES)));
    const eol = r() < 0.2 ? '\n' : '\r\n';
    const text = lines.join(eol).replace(/\r\n/g, eol) + `${eol}${eol}body needle${eol}`;
    const raw = Buffer.from(text, r() < 0.5 ? 'utf8' : 'latin1');
    const end = findBodyStart(raw, 0, raw.length);
    for (const name of ['subject', 'from', 'x-tag']) {
      const key = fold(pick(KEYS));
      const got = headerMatcher(name, key)(raw, 0, end);
      const want = decoded(raw, name, key);
      if (got === null) undecided++;
      else {
        decided++;
        assert.equal(got, want, JSON.stringify({ text, name, key }));
      }
    }
  }
  // most plain blocks are decided from their bytes; the Japanese and encoded ones are not
  assert.ok(decided > 6000 && undecided > 1000, `${decided} decided, ${undecided} undecided`);
});

test('Japanese subjects in every charset are left to decoding, and then found', () => {
  const blocks = [
    `Subject: =?ISO-2022-JP?B?${Buffer.from(JIS, 'latin1').toString('base64')}?=\r\n\r\n`,
    `Subject: ${words('Shift_JIS', '日本語')}\r\n\r\n`,
    `Subject: ${words('EUC-JP', '日本語')}\r\n\r\n`,
    `Subject: ${words('UTF-8', '日本語')}\r\n\r\n`,
  ].map((s) => Buffer.from(s, 'latin1'));
  blocks.push(Buffer.concat([Buffer.from('Subject: '), iconv.encode('日本語', 'Shift_JIS'), Buffer.from('\r\n\r\n')]));
  blocks.push(Buffer.concat([Buffer.from('Subject: '), iconv.encode('日本語', 'EUC-JP'), Buffer.from('\r\n\r\n')]));
  blocks.push(Buffer.from('Subject: 日本語\r\n\r\n', 'utf8'));
  blocks.push(Buffer.from(`Subject: ${JIS}\r\n\r\n`, 'latin1'));
  for (const raw of blocks) {
    const end = findBodyStart(raw, 0, raw.length);
    const m = headerMatcher('subject', fold('日本語'));
    assert.equal(m(raw, 0, end), null, raw.toString('latin1'));
    const c = new Content(raw);
    assert.equal(c.headerHolds('subject', fold('日本語'), m), true, raw.toString('latin1'));
    assert.equal(c.headerHolds('subject', fold('英語'), m), false, raw.toString('latin1'));
  }
});

test('a plain field is decided from its bytes: case, absence, the empty key, a long value searched as a string', () => {
  const raw = Buffer.from('From: a@example.org\r\nSubject: Re: The NEEDLE report\r\n\r\nbody\r\n');
  const end = findBodyStart(raw, 0, raw.length);
  assert.equal(headerMatcher('subject', 'needle')(raw, 0, end), true);
  assert.equal(headerMatcher('subject', 'the needle r')(raw, 0, end), true);
  assert.equal(headerMatcher('subject', 'body')(raw, 0, end), false);
  assert.equal(headerMatcher('subject', '日本語')(raw, 0, end), false);
  assert.equal(headerMatcher('subject', '')(raw, 0, end), true);
  assert.equal(headerMatcher('cc', '')(raw, 0, end), false);
  const long = Buffer.from(`Subject: ${'ab'.repeat(100_000)}Needle\r\n\r\n`);
  assert.equal(headerMatcher('subject', 'ab'.repeat(50) + 'needle')(long, 0, long.length), true);
  assert.equal(headerMatcher('subject', 'ab'.repeat(50) + 'needles')(long, 0, long.length), false);
});
