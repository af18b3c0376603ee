// A part's `size` in JMAP's bodyStructure (engine/jmap/mail/body-parts.ts partSize, engine/mime/text-decode.ts
// decodedLength) is counted without decoding the part (docs/security-review-8.md, stop 30). The old way is the
// definition: decodeTransfer(…).length. On random base64 (line breaks, stray characters, padding in the middle,
// groups cut short) and quoted-printable (escapes, soft breaks of LF and CRLF, an "=" before a soft break, broken
// escapes, "=" at the very end) both give the same number; and a 3 MB part's size makes no buffer its size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyStructure } from '../../../engine/jmap/mail/body-parts.js';
import { decodedLength, decodeTransfer } from '../../../engine/mime/text-decode.js';
import { parseMime } from '../../../engine/mime/mime-tree.js';
import { quotedPrintable } from '../../helpers/quoted-printable.js';

/** A small deterministic generator (the cases are the same at every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const B64 = ['QUJD', 'REVG', 'R0g', 'SQ', 'a', '+/', '=', '==', '\r\n', '\n', ' ', '-', '_', '!', '\x00', '\xff', 'ZZZZ'];
const QP = ['A', 'b', ' ', '=41', '=4', '=g1', '=\r\n', '=\n', '==41', '=\r', '=', '\r\n', '\n', '=3D', '=e3=81=82', '\t', '=\r\n41', '=4\r\n1', '\xff'];

test('base64 and quoted-printable: the counted length is the decoded length, on random bodies', () => {
  const r = rng(20261206);
  for (const [enc, pieces] of [['base64', B64], ['quoted-printable', QP], ['BASE64 ', B64], ['8bit', QP], [undefined, QP]] as const) {
    for (let n = 0; n < 3000; n++) {
      let s = '';
      const len = Math.floor(r() * 40);
      for (let i = 0; i < len; i++) s += pieces[Math.floor(r() * pieces.length)];
      const body = Buffer.from(s, 'latin1');
      assert.equal(decodedLength(body, enc), decodeTransfer(body, enc).length, `${enc}: ${JSON.stringify(s)}`);
    }
  }
  // real encoders' output, Japanese included
  const text = Buffer.from('明日の会議は十時から。= =\r\nAgenda: item 1.\r\n'.repeat(500), 'utf8');
  assert.equal(decodedLength(Buffer.from(text.toString('base64').replace(/.{76}/g, '$&\r\n')), 'base64'), text.length);
  assert.equal(decodedLength(Buffer.from(quotedPrintable(text), 'latin1'), 'quoted-printable'), text.length);
});

test('a 3 MB part\'s size makes no buffer the size of the part (base64 and quoted-printable)', () => {
  const text = Buffer.alloc(3 << 20, 'あいう日本語 text\r\n');
  for (const [cte, body] of [['base64', text.toString('base64').replace(/.{76}/g, '$&\r\n')], ['quoted-printable', quotedPrintable(text)]]) {
    const raw = Buffer.from(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n${body}`, 'latin1');
    const root = parseMime(raw);
    const big: string[] = [];
    const { from, alloc, allocUnsafe } = Buffer;
    const note = (what: string, n: number) => n >= 1 << 20 && big.push(`${what}(${n})`);
    // every way a decode makes its output, watched while the structure is built
    Buffer.from = ((...a: Parameters<typeof from>) => {
      const b = (from as (...x: unknown[]) => Buffer)(...a);
      note('Buffer.from', b.length);
      return b;
    }) as typeof from;
    Buffer.alloc = ((n: number, ...rest: unknown[]) => (note('Buffer.alloc', n), (alloc as (...x: unknown[]) => Buffer)(n, ...rest))) as typeof alloc;
    Buffer.allocUnsafe = ((n: number) => (note('Buffer.allocUnsafe', n), allocUnsafe(n))) as typeof allocUnsafe;
    let size: number;
    try {
      size = bodyStructure(raw, root, () => 'blob').size;
    } finally {
      Buffer.from = from;
      Buffer.alloc = alloc;
      Buffer.allocUnsafe = allocUnsafe;
    }
    assert.equal(size, text.length, cte);
    assert.deepEqual(big, [], `${cte}: no part-sized buffer`);
  }
});
