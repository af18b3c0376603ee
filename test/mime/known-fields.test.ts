// engine/mime/known-fields.ts and the MimeNode that uses it: the fields ENVELOPE and BODYSTRUCTURE read, found
// in one pass without an object per header field, must be exactly what parseHeaders gives for those names — on
// ordinary blocks and on every odd line it handles (folding, a first line that starts with a space, lines without a
// colon, padding, no-break spaces and vertical tabs around names and values, CR without LF, LF alone, a field twice,
// names one letter off, latin1 and 8-bit octets, raw ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KNOWN, knownAt, scanKnown } from '../../engine/mime/known-fields.js';
import { findBodyStart, header, parseHeaders, parseMime, type MimeNode } from '../../engine/mime/mime-tree.js';

function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const JAPANESE = [
  Buffer.from('1b2442467c4b5c386c1b2842', 'hex'), // ISO-2022-JP 日本語
  Buffer.from('1b2442467c4b5c', 'hex'), // an unclosed run
  Buffer.from('93fa967b8cea', 'hex'), // Shift_JIS
  Buffer.from('c6fccbdcb8ec', 'hex'), // EUC-JP
  Buffer.from('日本語の件名', 'utf8'),
  Buffer.from('=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=', 'latin1'),
];

function nameForm(r: () => number, name: string): string {
  const forms = [name, name.toUpperCase(), name[0].toUpperCase() + name.slice(1), ` ${name}`, `${name} `, `\t${name}`,
    `\u00a0${name}`, `${name}\u00a0`, `\u000b${name}`, name.slice(0, -1), `${name}x`, `x${name}`];
  return forms[Math.floor(r() * forms.length)];
}

/** A header block of random lines over the known names and a few others, as latin1 octets. */
function block(r: () => number): Buffer {
  const names = [...KNOWN, 'received', 'x-spam', 'mime-version', 'dkim-signature'];
  const eol = r() < 0.2 ? '\n' : '\r\n';
  const parts: Buffer[] = [];
  const count = Math.floor(r() * 12);
  for (let j = 0; j < count; j++) {
    const name = nameForm(r, names[Math.floor(r() * names.length)]);
    const pad = [' ', '', '  ', '\t', ' \u00a0', '\u00a0', '\u000b'][Math.floor(r() * 7)];
    const value = Buffer.concat([
      Buffer.from(pad + ['plain value', 'a@example.jp', '"Q, R" <q@x>', 'text/plain; charset=iso-2022-jp', ''][Math.floor(r() * 5)], 'latin1'),
      r() < 0.4 ? JAPANESE[Math.floor(r() * JAPANESE.length)] : Buffer.alloc(0),
      Buffer.from(['', ' ', '\u00a0', '\t', '\r', ' caf\u00e9 \u00ff'][Math.floor(r() * 6)], 'latin1'),
    ]);
    const k = Math.floor(r() * 10);
    if (k === 0) parts.push(Buffer.from(`${name}:${eol}${r() < 0.5 ? ' ' : '\t'}`, 'latin1'), value, Buffer.from(eol));
    else if (k === 1) parts.push(Buffer.from(`${name}:`, 'latin1'), value, Buffer.from(`${eol}${[' ', '\t', '   '][Math.floor(r() * 3)]}${['cont', '', '\u00a0', 'x\ry'][Math.floor(r() * 4)]}${eol}`, 'latin1'));
    else if (k === 2) parts.push(Buffer.from(`no colon here${eol}${r() < 0.5 ? ' ' : '\t'}${name}:`, 'latin1'), value, Buffer.from(eol));
    else if (k === 3) parts.push(Buffer.from(`: colon first${eol}`, 'latin1'));
    else if (k === 4) parts.push(Buffer.from(`${name}:`, 'latin1'), value, Buffer.from(`${eol}${name}: second${eol}`, 'latin1'));
    else parts.push(Buffer.from(`${name}:`, 'latin1'), value, Buffer.from(eol));
  }
  if (r() < 0.1) parts.unshift(Buffer.from(` leading: space${eol}`, 'latin1'));
  const tail = r() < 0.2 ? '' : r() < 0.5 ? eol : `${eol}body: not a header${eol}`;
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
}

test('scanKnown is parseHeaders filtered to the known names, on 6,000 random header blocks', () => {
  const r = random(29);
  for (let k = 0; k < 6000; k++) {
    const raw = block(r);
    const end = findBodyStart(raw, 0, raw.length);
    const expected = parseHeaders(raw, 0, end).filter((h) => (KNOWN as readonly string[]).includes(h.name));
    const ids: number[] = [];
    const values: string[] = [];
    scanKnown(raw, 0, end, ids, values);
    assert.deepEqual(
      ids.map((id, i) => [KNOWN[id], values[i]]),
      expected.map((h) => [h.name, h.value]),
      JSON.stringify(raw.toString('latin1')),
    );
  }
});

test('scanKnown over a whole part returns where findBodyStart says its body starts, on 4,000 random ranges', () => {
  const r = random(37);
  for (let k = 0; k < 4000; k++) {
    const raw = Buffer.concat([block(r), Buffer.from(['', '\r\n', '\n', '\r', 'x\r\n\r\n'][Math.floor(r() * 5)], 'latin1'), block(r)]);
    // any range, including empty ones and ones that cut a line ending in two
    let s = Math.floor(r() * (raw.length + 1));
    // an empty range just before a line break too (findBodyStart looks past its end there)
    if (k % 10 === 0 && raw.indexOf(10) >= 0) s = raw.indexOf(10, s) >= 0 ? raw.indexOf(10, s) : raw.indexOf(10);
    const e = k % 10 === 0 ? s : s + Math.floor(r() * (raw.length - s + 1));
    const ids: number[] = [];
    const values: string[] = [];
    const bodyStart = findBodyStart(raw, s, e);
    assert.equal(scanKnown(raw, s, e, ids, values), bodyStart, JSON.stringify({ raw: raw.toString('latin1'), s, e }));
    const expected = parseHeaders(raw, s, bodyStart).filter((h) => (KNOWN as readonly string[]).includes(h.name));
    assert.deepEqual(ids.map((id, i) => [KNOWN[id], values[i]]), expected.map((h) => [h.name, h.value]));
    // past a line budget the blank line is searched for natively: the same body start, the fields read before it kept
    const budget = { left: k % 5 };
    const fewer: string[] = [];
    assert.equal(scanKnown(raw, s, e, [], fewer, budget), bodyStart, JSON.stringify({ raw: raw.toString('latin1'), s, e, left: k % 5 }));
    assert.ok(budget.left >= 0 && fewer.length <= values.length);
  }
});

test('knownAt finds a name whatever its case and padding, and nothing one letter off', () => {
  const at = (s: string) => knownAt(Buffer.from(s, 'latin1'), 0, s.length);
  assert.equal(KNOWN[at('Content-Transfer-Encoding')], 'content-transfer-encoding');
  assert.equal(KNOWN[at(' \u00a0SUBJECT\t')], 'subject');
  assert.equal(KNOWN[at('Cc')], 'cc');
  assert.equal(at('Subjec'), -1);
  assert.equal(at('Subjectx'), -1);
  assert.equal(at('Content-Typ\u00e9'), -1);
  assert.equal(at(''), -1);
  assert.equal(at('X-Spam'), -1);
});

function nodes(n: MimeNode, out: MimeNode[] = []): MimeNode[] {
  out.push(n);
  for (const c of n.children) nodes(c, out);
  if (n.message) nodes(n.message, out);
  return out;
}

test('every part of a parsed message answers field() as header(headers) does, and lists every field when asked', () => {
  const r = random(31);
  for (let k = 0; k < 400; k++) {
    const parts: Buffer[] = [];
    const n = 1 + Math.floor(r() * 3);
    for (let j = 0; j < n; j++) {
      const inner = r() < 0.3 ? Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), block(r), Buffer.from('\r\nbody\r\n')]) : Buffer.concat([block(r), Buffer.from('\r\npart\r\n')]);
      parts.push(Buffer.from('--b\r\n'), inner, Buffer.from('\r\n'));
    }
    const raw = Buffer.concat([block(r), Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n'), ...parts, Buffer.from('--b--\r\n')]);
    for (const node of nodes(parseMime(raw))) {
      assert.equal(node.bodyStart, findBodyStart(raw, node.start, node.end));
      const all = parseHeaders(raw, node.start, node.bodyStart);
      assert.deepEqual(node.headers, all);
      KNOWN.forEach((name, id) => assert.equal(node.field(id), header(all, name), `${name} in ${JSON.stringify(raw.toString('latin1'))}`));
      // what FETCH feeds SEARCH's columns (Feed.addKnown): the known ids and values, every occurrence in order
      const fed = node.ids.flatMap((id, i) => ((0b11100110 >>> id) & 1 ? [{ name: KNOWN[id], value: node.values[i] }] : [])); // subject, from, to, cc, bcc
      assert.deepEqual(fed, all.filter((h) => ['subject', 'from', 'to', 'cc', 'bcc'].includes(h.name)).map((h) => ({ name: h.name, value: h.value })));
    }
  }
});
