// parseMessage (engine/spam/message.ts) reads a 7bit, 8bit or binary text part's bytes where they are, and
// decodeBytes (engine/mime/charset.ts) reads them into a string through a view, not a copy. Against the general
// definition: each text is decodeBytes of the part's bytes (its first part_scan_size), for random bytes, Latin-1
// and Japanese in all four charsets under every transfer-encoding label that means "as is" — and alike whether the
// message is a Buffer of its own or a view at an offset of a SharedArrayBuffer (how a worker reads it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { decodeBytes } from '../../engine/mime/charset.js';
import { parseMessage } from '../../engine/spam/message.js';
import { BUSINESS_JA, SPAM_JA, toIso2022jp } from './mail.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 0x100000000;
  };
}

/** The message's bytes at `offset` of a SharedArrayBuffer whose other bytes are 0xff. */
function shared(raw: Buffer, offset: number): Buffer {
  const sab = new SharedArrayBuffer(raw.length + offset + 7);
  const all = Buffer.from(sab);
  all.fill(0xff);
  raw.copy(all, offset);
  return Buffer.from(sab, offset, raw.length);
}

function mail(body: Buffer, charset: string, cte: string): Buffer {
  const head = `From: a@example.test\r\nSubject: t\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=${charset}\r\n${cte === '-' ? '' : `Content-Transfer-Encoding: ${cte}\r\n`}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

test('a text part read as is: decodeBytes of its bytes, from a Buffer and from a shared view alike', () => {
  const r = rng(100);
  const bodies: [Buffer, string][] = [
    [toIso2022jp(BUSINESS_JA), 'ISO-2022-JP'],
    [iconv.encode(SPAM_JA, 'cp932'), 'Shift_JIS'],
    [iconv.encode(BUSINESS_JA, 'euc-jp'), 'EUC-JP'],
    [Buffer.from(SPAM_JA + BUSINESS_JA, 'utf8'), 'UTF-8'],
    [iconv.encode(SPAM_JA, 'cp932'), 'iso-8859-1'], // Shift_JIS sent as Latin-1
    [Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e\r\n', 'latin1'), 'iso-8859-1'],
    [Buffer.from('plain ASCII text, nothing more\r\n'.repeat(50), 'latin1'), 'us-ascii'],
  ];
  for (let i = 0; i < 200; i++) {
    const b = Buffer.alloc(Math.floor(r() * 300));
    for (let k = 0; k < b.length; k++) b[k] = r() < 0.7 ? 0x20 + Math.floor(r() * 0x5f) : Math.floor(r() * 256);
    bodies.push([b, ['us-ascii', 'utf-8', 'shift_jis', 'euc-jp', 'iso-2022-jp', 'windows-1252', ''][i % 7]]);
  }
  let cases = 0;
  for (const [body, charset] of bodies) {
    for (const cte of ['-', '7bit', '8bit', 'binary', ' 8BIT ']) {
      for (const cap of [64 * 1024, 40, 7]) {
        const raw = mail(body, charset, cte);
        const plain = parseMessage(raw, { partScanBytes: cap });
        const label = `${charset} ${cte} cap ${cap}: ${JSON.stringify(body.toString('latin1').slice(0, 80))}`;
        if (cap >= body.length * 2) {
          assert.deepEqual(plain.texts, body.length ? [decodeBytes(body, charset || undefined).text] : [''], label);
          assert.equal(plain.mislabelled, decodeBytes(body, charset || undefined).mislabelled, label);
        }
        for (const offset of [0, 1, 13]) {
          const view = parseMessage(shared(raw, offset), { partScanBytes: cap });
          assert.deepEqual(view.texts, plain.texts, `${label} at offset ${offset}`);
          assert.deepEqual(view.parts, plain.parts, label);
          assert.equal(view.mislabelled, plain.mislabelled, label);
        }
        cases++;
      }
    }
  }
  assert.ok(cases > 3000);
});

test('decodeBytes of a Uint8Array view at an offset reads only its own bytes', () => {
  const sab = new SharedArrayBuffer(64);
  const all = new Uint8Array(sab);
  all.fill(0x41);
  const text = Buffer.from('日本語のテキスト', 'utf8');
  all.set(text, 5);
  assert.equal(decodeBytes(new Uint8Array(sab, 5, text.length), 'utf-8').text, '日本語のテキスト');
  assert.equal(decodeBytes(new Uint8Array(sab, 0, 5), 'us-ascii').text, 'AAAAA');
});
