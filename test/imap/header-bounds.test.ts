// The bounds every reader of a stored message's header applies (engine/mime/header-lines.ts: MAX_HEADER_LINES lines,
// a value to FIELD_READ_OCTETS octets), now for the top-level header too (docs/security-review-7.md, stop 29): the
// parse (parseHeaders) and SEARCH's byte readers of header blocks (fieldValues, headerMatcher) answer the same past
// the bounds; JMAP's raw and text forms read a field to where the parse stopped; Sieve sees the bounded header, and its
// editheader keeps every octet past the bounds. The socket-level test is append-huge-header.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerMatcher } from '../../engine/imap/mime/header-match.js';
import { fieldValues } from '../../engine/mime/header-scan.js';
import { findBodyStart, parseHeaders } from '../../engine/mime/mime-tree.js';
import { FIELD_READ_OCTETS, MAX_HEADER_LINES } from '../../engine/mime/header-lines.js';
import { rawValue, textValue } from '../../engine/jmap/mail/header-forms.js';
import { applyHeaderEdits, runScriptText, sieveMessage } from '../../engine/sieve/index.js';

const many = (n: number) => Array.from({ length: n }, (_, i) => `X-Filler: ${i}\r\n`).join('');
const fold = (octets: number) => `X-Big: ${'b'.repeat(60)}\r\n${` ${'c'.repeat(70)}\r\n`.repeat(Math.ceil(octets / 73))}`;
const MESSAGES = {
  lines: Buffer.from(`Subject: many lines\r\nX-Early: early\r\n${many(MAX_HEADER_LINES + 2000)}X-Late: late\r\n\r\nbody\r\n`, 'latin1'),
  folded: Buffer.from(`Subject: folded\r\n${fold(600_000)}X-After: after\r\n\r\nbody\r\n`, 'latin1'),
  long: Buffer.from(`Subject: one long line\r\nX-Big: ${'L'.repeat(700_000)}\r\nX-After: after\r\n\r\nbody\r\n`, 'latin1'),
  within: Buffer.from(`Subject: within\r\n${many(MAX_HEADER_LINES - 3)}X-Late: late\r\n\r\nbody\r\n`, 'latin1'),
};

test('parseHeaders reads within the bounds, and fieldValues gives what it gives for every name', () => {
  for (const [what, raw] of Object.entries(MESSAGES)) {
    const end = findBodyStart(raw, 0, raw.length);
    const fields = parseHeaders(raw, 0, end);
    let lines = 0;
    for (const f of fields) lines += raw.subarray(f.start, f.end).toString('latin1').split('\n').length - 1;
    assert.ok(lines <= MAX_HEADER_LINES, `${what}: ${lines} lines read`);
    for (const f of fields) assert.ok(f.value.length <= FIELD_READ_OCTETS, `${what}: ${f.name} ${f.value.length}`);
    for (const name of ['subject', 'x-early', 'x-late', 'x-big', 'x-after', 'x-filler']) {
      const parsed = fields.filter((f) => f.name === name).map((f) => f.value);
      assert.deepEqual(fieldValues(raw, 0, end, name), parsed, `${what}: ${name}`);
    }
  }
  // SEARCH's match on the bytes: what the parse read, no more
  const long = MESSAGES.long.toString('latin1');
  const matches = (raw: Buffer, name: string, needle: string) => headerMatcher(name, needle)(raw, 0, findBodyStart(raw, 0, raw.length));
  assert.equal(matches(MESSAGES.long, 'x-big', 'l'.repeat(1000)), true);
  assert.equal(matches(Buffer.from(long.replace(/L\r\n/, 'Ltail\r\n'), 'latin1'), 'x-big', 'tail'), false, 'past FIELD_READ_OCTETS');
  assert.equal(matches(MESSAGES.lines, 'x-early', 'early'), true);
  assert.equal(matches(MESSAGES.lines, 'x-late', 'late'), false, 'past the lines');
  assert.equal(matches(MESSAGES.within, 'x-late', 'late'), true);
  const names = (raw: Buffer) => new Set(parseHeaders(raw, 0, findBodyStart(raw, 0, raw.length)).map((f) => f.name));
  assert.ok(names(MESSAGES.lines).has('x-early') && !names(MESSAGES.lines).has('x-late'), 'a field past the lines is not read');
  assert.ok(names(MESSAGES.within).has('x-late'), 'a header within the bounds is read whole');
  assert.ok(names(MESSAGES.long).has('x-after'), 'one long line is one line: the field after it is read');
});

test('JMAP\'s raw and text forms of a field past FIELD_READ_OCTETS stop where the parse stopped', () => {
  for (const raw of [MESSAGES.folded, MESSAGES.long]) {
    const big = parseHeaders(raw, 0, findBodyStart(raw, 0, raw.length)).find((f) => f.name === 'x-big')!;
    assert.ok(big.end - big.start > 600_000, 'the field is as long as written');
    const r = rawValue(raw, big);
    const t = textValue(raw, big);
    assert.ok(r.length > FIELD_READ_OCTETS - 100 && r.length < 2 * FIELD_READ_OCTETS, `raw ${r.length}`);
    assert.ok(t.length > FIELD_READ_OCTETS - 100 && t.length < 2 * FIELD_READ_OCTETS, `text ${t.length}`);
  }
});

test('Sieve sees the bounded header, and editheader keeps every octet past the bounds', () => {
  const env = { from: 'a@example.org', to: 'hanako@example.test' };
  const msg = sieveMessage(MESSAGES.lines, env);
  assert.ok(msg.headers.length <= MAX_HEADER_LINES);
  const script = 'require ["fileinto", "editheader"]; if header :is "X-Late" "late" { fileinto "Late"; } ' +
    'elsif header :is "X-Early" "early" { fileinto "Early"; } addheader :last "X-Added" "yes"; deleteheader :index 1 "X-Filler";';
  const r = runScriptText(script, msg);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.actions.map((a) => (a.type === 'fileinto' ? a.mailbox : a.type)), ['Early'], 'X-Early is read, X-Late (past the lines) is not');
  const big = sieveMessage(MESSAGES.folded, env).headers.find((h) => h.name === 'x-big')!;
  assert.ok(big.value.length <= FIELD_READ_OCTETS);
  // the edits: the first filler is gone, the lines past the bounds stay as they were, the new field comes after
  // them and before the blank line, and the body is untouched
  const out = applyHeaderEdits(MESSAGES.lines, r.headerEdits).toString('latin1');
  const want = MESSAGES.lines.toString('latin1').replace('X-Filler: 0\r\n', '').replace('X-Late: late\r\n\r\n', 'X-Late: late\r\nX-Added: yes\r\n\r\n');
  assert.ok(out === want, `${out.length} octets for ${want.length}: ${out.slice(-60)}`);
});
