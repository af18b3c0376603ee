// Quoted-printable decoding for IMAP SEARCH and JMAP body values (docs/security-review-7.md, finding 3). It was two
// regular-expression replaces with a callback per "=XX": a stranger's 19 MB quoted-printable text part held the
// main thread (every listener) for 5–10 s at each SEARCH BODY of the mailbox. Now two linear passes over the bytes.
// The old code gave the right octets, only slowly, so what is checked here is that the octets are the same as the
// two replaces' (which this file states as the definition) over random input; SEARCH over real sockets (smtplib,
// imaplib) on a Japanese quoted-printable message with soft line breaks is in hostile-mime.test.ts. The time is
// measured in the review, not asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTransfer } from '../../engine/mime/text-decode.js';

/** The definition: soft line breaks out first, then each =XX. */
function byReplace(b: Buffer): Buffer {
  const s = b.toString('latin1').replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(s, 'latin1');
}

test('quoted-printable: the octets of the two replaces, over 50,000 random inputs and the edges', () => {
  const alphabet = ['=', '\r', '\n', 'A', 'f', '0', '9', 'G', ' ', '=\r\n', '=\n', '=4', '1', 'é', '\x00', '\xff'];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const cases = ['', '=', '==', '=4', '=41', '==41', '=\r\n41', '=\r=\n41', '=\r\r\n', 'a=\n=\r\n=4=\r\n1', '=e3=81=82', '=E3=8'];
  for (let k = 0; k < 50_000; k++) {
    let s = '';
    for (let i = Math.floor(next() * 24); i > 0; i--) s += alphabet[Math.floor(next() * alphabet.length)];
    cases.push(s);
  }
  for (const c of cases) {
    const b = Buffer.from(c, 'latin1');
    assert.deepEqual(decodeTransfer(b, 'Quoted-Printable'), byReplace(b), JSON.stringify(c));
  }
});
