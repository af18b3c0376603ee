// RFC 5322 date-times as tegami's two readers of them see them: the Sieve date test (engine/sieve, RFC 5260: a
// Received-style "…; date" is read after its last semicolon) and the store's Date: header (engine/store
// message-meta: the index's sentAt, JMAP's sentAt and header:Date:asDate). Each row: the text, then what each
// reader gives — the instant as ISO UTC and the zone it was written in (minutes east), or null.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldDateTime as sieveDate } from '../../engine/sieve/date.js';
import { parseDate as storeDate } from '../../engine/store/message-meta.js';

type Seen = [iso: string, zone: number] | null;
/** [text, the Sieve date test's reading, the store's reading ('same' when it is the Sieve one)] */
const ROWS: [string, Seen, Seen | 'same'][] = [
  // what Japanese mailers write
  ['Mon, 6 Dec 2026 10:00:00 +0900 (JST)', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon, 6 Dec 2026 10:00:00 +0900 (日本標準時)', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon, 06 Dec 2026 10:00:00 +0900', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['6 Dec 2026 10:00:00 +0900', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon,6 Dec 2026 10:00 +0900', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon, 6 Dec 2026 10:00:00+0900', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['mon, 6 dec 2026 10:00:00 +0900', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['6 DEC 2026 1:02 +0900', ['2026-12-05T16:02:00.000Z', 540], 'same'],
  ['  Mon,\r\n 6 Dec\r\n\t2026 10:00:00\r\n +0900  ', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon, 6 December 2026 10:00:00 -0500', ['2026-12-06T15:00:00.000Z', -300], 'same'],
  ['Mon, 6 Dec 2026 10:00:00 +0530', ['2026-12-06T04:30:00.000Z', 330], 'same'],
  ['Mon, 6 Dec 2026 10:00:00 -0000', ['2026-12-06T10:00:00.000Z', -0], 'same'], // -0: "no zone information" (§3.3); written +0000
  ['Mon, 6 Dec 2026 10:00:00', ['2026-12-06T10:00:00.000Z', 0], 'same'],
  ['Mon, 6 Dec 2026 10:00:60 +0000', ['2026-12-06T10:00:59.000Z', 0], 'same'],
  // two- and three-digit years (RFC 5322 §4.3)
  ['Mon, 06 Dec 26 10:00:00 +0900', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon, 6 Dec 49 10:00:00 +0900', ['2049-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon, 6 Dec 50 10:00:00 +0900', ['1950-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon, 6 Dec 99 10:00:00 +0900', ['1999-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon, 6 Dec 126 10:00:00 +0900', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  // obsolete zone names; an unknown one reads as +0000
  ['Mon, 6 Dec 2026 10:00:00 GMT', ['2026-12-06T10:00:00.000Z', 0], 'same'],
  ['Mon, 6 Dec 2026 10:00:00 UT', ['2026-12-06T10:00:00.000Z', 0], 'same'],
  ['Mon, 6 Dec 2026 10:00:00 Z', ['2026-12-06T10:00:00.000Z', 0], 'same'],
  ['Mon, 6 Dec 2026 10:00:00 EST', ['2026-12-06T15:00:00.000Z', -300], 'same'],
  ['Mon, 6 Dec 2026 10:00:00 PDT', ['2026-12-06T17:00:00.000Z', -420], 'same'],
  ['Mon, 6 Dec 2026 10:00:00 XYZ', ['2026-12-06T10:00:00.000Z', 0], 'same'],
  // JST: the store always read it as +0900; the Sieve date test read +0000 before the two shared one parser
  ['Mon, 6 Dec 2026 10:00:00 JST', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  // comments anywhere
  ['(comment) Mon, 6 Dec 2026 10:00:00 +0900', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon, 6 Dec (x) 2026 10:00:00 +0900', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon, 6 Dec 2026 10:00:00 +0900 (a (nested) comment)', ['2026-12-06T01:00:00.000Z', 540], 'same'], // Sieve: null before
  // text after the zone is not read (Sieve: null before)
  ['Mon, 6 Dec 2026 10:00:00 +0900 JST', ['2026-12-06T01:00:00.000Z', 540], 'same'],
  ['Mon, 6 Dec 2026 10:00:00 "+0900"', ['2026-12-06T10:00:00.000Z', 0], 'same'],
  // semicolons: a Received: field's date follows its last one (the Sieve date test reads any field)
  ['from a.example by b.example; Mon, 6 Dec 2026 10:00:00 +0900', ['2026-12-06T01:00:00.000Z', 540], null],
  ['Mon, 6 Dec 2026 10:00:00 +0900; junk', null, ['2026-12-06T01:00:00.000Z', 540]],
  ['Mon, 6 Dec 2026 10:00:00 +0900 (JST; x)', null, ['2026-12-06T01:00:00.000Z', 540]],
  // days past the month's end roll over, as Date.UTC does
  ['Mon, 29 Feb 2025 10:00:00 +0000', ['2025-03-01T10:00:00.000Z', 0], 'same'],
  // refused by both
  ['Mon, 6 Dec 2026 10:00:00 +0960', null, 'same'],
  ['Mon, 6 Dec 2026 24:00:00 +0000', null, 'same'],
  ['Mon, 32 Dec 2026 10:00:00 +0000', null, 'same'],
  ['Mon, 6 Foo 2026 10:00:00 +0000', null, 'same'],
  ['Mon, 6 Dec 275760 10:00:00 +0000', null, 'same'],
  ['Mon, 6 Dec 2026', null, 'same'],
  ['2026-12-06T10:00:00+09:00', null, 'same'],
  ['yesterday', null, 'same'],
  ['', null, 'same'],
];

const seen = (t: { ms: number; zone?: number; offset?: number } | null): Seen => (t ? [new Date(t.ms).toISOString(), (t.zone ?? t.offset)!] : null);

test('each reader of RFC 5322 dates gives what it gave before', () => {
  for (const [text, sieve, store] of ROWS) {
    assert.deepEqual(seen(sieveDate(text)), sieve, `Sieve: ${JSON.stringify(text)}`);
    assert.deepEqual(seen(storeDate(text)), store === 'same' ? sieve : store, `store: ${JSON.stringify(text)}`);
  }
  assert.equal(storeDate(undefined), null, 'no Date: field');
});
