// engine/mime/header-scan.ts: one field's values read from a header block's bytes must be exactly what
// parseHeaders gives for that name, on ordinary blocks and on every odd line it handles (folding, a first line
// that starts with a space, lines without a colon, padding and no-break spaces around the name, CR without LF,
// no blank line, latin1 and 8-bit octets, Japanese in raw UTF-8 and encoded words).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldValues, scannableName } from '../../engine/mime/header-scan.js';
import { findBodyStart, parseHeaders } from '../../engine/mime/mime-tree.js';

function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const NAMES = ['Subject', 'subject', 'SUBJECT', 'From', 'Date', 'X-Spam', 'Subjectx', 'Subj'];
const PIECES = [
  (n: string) => `${n}: plain value`,
  (n: string) => `${n}:no space`,
  (n: string) => `${n} : padded`,
  (n: string) => `\u00a0${n}\u00a0: no-break spaces`,
  (n: string) => `\u000b${n}: vertical tab`,
  (n: string) => ` ${n}: leading space`,
  (n: string) => `\t continued line`,
  (n: string) => `${n}: folded\r\n  onto two lines`,
  () => 'no colon at all',
  () => ': colon first',
  (n: string) => `${n}: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= report`,
  (n: string) => `${n}: 日本語の件名`,
  (n: string) => `${n}: caf\u00e9 \u00ff`,
  (n: string) => `${n}:`,
  (n: string) => `${n}: cr only\rstill the line`,
];

test('fieldValues is parseHeaders filtered by name, on 4,000 random header blocks', () => {
  const r = random(11);
  for (let k = 0; k < 4000; k++) {
    const lines: string[] = [];
    const count = Math.floor(r() * 9);
    for (let j = 0; j < count; j++) lines.push(PIECES[Math.floor(r() * PIECES.length)](NAMES[Math.floor(r() * NAMES.length)]));
    const eol = r() < 0.2 ? '\n' : '\r\n';
    const tail = r() < 0.3 ? '' : r() < 0.5 ? eol : `${eol}${eol}body: not a header${eol}`;
    const text = lines.join(eol) + tail;
    const raw = Buffer.from(text, r() < 0.5 ? 'utf8' : 'latin1');
    const end = findBodyStart(raw, 0, raw.length);
    const fields = parseHeaders(raw, 0, end);
    for (const name of ['subject', 'from', 'date', 'x-spam', 'subj']) {
      const expected = fields.filter((h) => h.name === name).map((h) => h.value);
      assert.deepEqual(fieldValues(raw, 0, end, name), expected, JSON.stringify({ text, name }));
    }
  }
});

test('names the scan cannot compare octet by octet are left to parseHeaders', () => {
  assert.ok(scannableName('subject'));
  assert.ok(scannableName('x-original-to'));
  assert.ok(!scannableName('Subject'), 'upper case');
  assert.ok(!scannableName('a:b'), 'a colon');
  assert.ok(!scannableName('a b'), 'a space');
  assert.ok(!scannableName('件名'), 'not ASCII');
  assert.ok(!scannableName(''), 'empty');
});

test('a block of many lines without a colon is read once, not once per line (octets searched stay linear)', () => {
  // (9,000 lines: within MAX_HEADER_LINES, past which no field is read)
  const raw = Buffer.from(`X: x\r\n${'a\n'.repeat(9_000)}Subject: y\r\n\r\nbody`, 'latin1');
  // every octet indexOf looks at is counted: the scan may look at each a few times, never at the rest of the block
  // for every line (9,000 lines × the ~9,000 octets after each, as a colon searched to the block's end did)
  let searched = 0;
  const counting = Object.create(Buffer.prototype) as Buffer;
  counting.indexOf = function (this: Buffer, v: number, from: number) {
    const r = Buffer.prototype.indexOf.call(this, v, from);
    searched += (r < 0 ? this.length : r + 1) - from;
    return r;
  } as Buffer['indexOf'];
  Object.setPrototypeOf(raw, counting);
  const end = findBodyStart(raw, 0, raw.length);
  searched = 0;
  assert.deepEqual(fieldValues(raw, 0, end, 'subject'), ['y']);
  assert.deepEqual(fieldValues(raw, 0, end, 'x'), ['x']);
  assert.ok(searched < 4 * raw.length, `${searched} octets searched in a block of ${raw.length}`);
});
