// Quoted-printable decoding for IMAP SEARCH and JMAP body values (docs/security-review-7.md, finding 3). It was two
// regular-expression replaces with a callback per "=XX": a stranger's 19 MB quoted-printable text part held the
// main thread (every listener) for 5–10 s at each SEARCH BODY of the mailbox. Now two linear passes over the bytes.
// The old code gave the right octets, only slowly, so what is checked here is that the octets are the same as the
// two replaces' (which this file states as the definition) over random input, and SEARCH over real sockets
// (smtplib, imaplib) on a Japanese quoted-printable message with soft line breaks. The time is measured in the
// review, not asserted.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTransfer } from '../../engine/imap/mime/text-decode.js';
import { requireCommand, type TestServer } from '../helpers/server.js';
import { PY_ARGS, runPython, strangerServer } from './stranger-imap.js';

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

describe('SEARCH BODY in a quoted-printable Japanese part', { timeout: 600_000 }, () => {
  const USER = 'hanako@example.test';
  const PW = 'search qp password 1';
  let s: TestServer;
  before(async () => {
    s = await strangerServer(USER, PW);
  });
  after(async () => {
    await s?.stop();
  });

  it('finds words across soft line breaks, and not what is not there', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = [
      'import imaplib, smtplib, sys, time, json, quopri',
      PY_ARGS,
      'text = ("前置き " * 20000 + "会議は火曜日です meeting-on-tuesday\\n").encode("utf-8")',
      'body = quopri.encodestring(text).replace(b"\\n", b"\\r\\n")',
      'msg = (b"From: stranger@example.org\\r\\nTo: " + user.encode() + b"\\r\\nSubject: qp\\r\\nMIME-Version: 1.0\\r\\n"',
      '       b"Content-Type: text/plain; charset=utf-8\\r\\nContent-Transfer-Encoding: quoted-printable\\r\\n\\r\\n" + body)',
      's = smtplib.SMTP("127.0.0.1", smtp_port, timeout=120); s.sendmail("stranger@example.org", [user], msg); s.quit()',
      'c = imaplib.IMAP4("127.0.0.1", imap_port, timeout=120); c.login(user, pw)',
      'deadline = time.time() + 120',
      'while int(c.select("INBOX")[1][0]) < 1 and time.time() < deadline: time.sleep(0.3)',
      'def search(word):',
      '    c.literal = word.encode("utf-8")',
      '    return c.search("UTF-8", "BODY").__getitem__(1)[0].decode()',
      'out = dict(ja=search("火曜日です"), en=search("MEETING-ON-TUESDAY"), none=search("水曜日"), soft=b"=\\r\\n" in body)',
      'c.logout()',
      'print(json.dumps(out))',
    ].join('\n');
    const r = await runPython(s, py, USER, PW, 300_000);
    assert.equal(r.code, 0, r.stderr.slice(-800));
    assert.deepEqual(JSON.parse(r.stdout), { ja: '1', en: '1', none: '', soft: true });
  });
});
