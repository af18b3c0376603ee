// SEARCH BODY/TEXT reads at most SEARCH_TEXT_OCTETS (4 MiB) of a message's text parts (docs/security-review-7.md,
// left open 2): the decoding and NFKC fold ran over up to 20 MB per message in the main thread at every search, and a
// stranger's message held every listener for about a second. A word in the first 4 MiB is found (also in a
// quoted-printable part and in Japanese), one past it is not; the message itself is stored and read back whole.
// smtplib delivers, imaplib searches, against a real serve.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, type TestServer } from '../helpers/server.js';
import { PY_ARGS, runPython, strangerServer } from './stranger-imap.js';

const USER = 'hanako@example.test';
const PW = 'search budget pw 1';

describe('SEARCH BODY over a message of more than 4 MiB of text', { timeout: 600_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await strangerServer(USER, PW);
  });
  after(async () => {
    await s?.stop();
  });

  it('finds the words in the first 4 MiB, not those past it, and reads the message back whole', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = [
      'import imaplib, smtplib, sys, time, json',
      PY_ARGS,
      'filler = b"filler text line of the long message 0123456789\\r\\n" * 110000',
      'big = (b"From: stranger@example.org\\r\\nTo: " + user.encode() + b"\\r\\nSubject: big\\r\\nMIME-Version: 1.0\\r\\n"',
      '       b"Content-Type: multipart/mixed; boundary=zz\\r\\n\\r\\n--zz\\r\\nContent-Type: text/plain; charset=utf-8\\r\\n"',
      '       b"Content-Transfer-Encoding: quoted-printable\\r\\n\\r\\nearlyneedle =E6=97=A5=E6=9C=AC=E8=AA=9E=E3=81=A7=E3=81=99\\r\\n" + filler',
      '       + b"lateneedle\\r\\n--zz\\r\\nContent-Type: text/plain\\r\\n\\r\\nsecondpartneedle\\r\\n--zz--\\r\\n")',
      'small = b"From: a@example.org\\r\\nTo: " + user.encode() + b"\\r\\nSubject: small\\r\\n\\r\\nlateneedle secondpartneedle\\r\\n"',
      's = smtplib.SMTP("127.0.0.1", smtp_port, timeout=120)',
      's.sendmail("stranger@example.org", [user], big); s.sendmail("a@example.org", [user], small); s.quit()',
      'c = imaplib.IMAP4("127.0.0.1", imap_port, timeout=300); c.login(user, pw)',
      'deadline = time.time() + 120',
      'while int(c.select("INBOX")[1][0]) < 2 and time.time() < deadline: time.sleep(0.3)',
      'big_n = [n for n in (b"1", b"2") if b"big" in c.fetch(n, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1][0][1]][0].decode()',
      'found = {}',
      'for w in ("earlyneedle", "lateneedle", "secondpartneedle"): found[w] = c.search(None, "BODY", w)[1][0].decode().split()',
      'c.literal = "日本語".encode(); found["ja"] = c.search("UTF-8", "BODY")[1][0].decode().split()',
      'whole = c.fetch(big_n, "(BODY.PEEK[])")[1][0][1].endswith(big)',
      'c.logout()',
      'print(json.dumps(dict(big=big_n, found=found, whole=whole)))',
    ].join('\n');
    const r = await runPython(s, py, USER, PW, 500_000);
    assert.equal(r.code, 0, r.stderr.slice(-800));
    const out = JSON.parse(r.stdout) as { big: string; found: Record<string, string[]>; whole: boolean };
    const small = out.big === '1' ? '2' : '1';
    assert.ok(out.whole, 'the message is read back as sent (after the trace fields)');
    assert.deepEqual(out.found.earlyneedle, [out.big]);
    assert.deepEqual(out.found.ja, [out.big], 'Japanese in the quoted-printable start is found');
    // past the first 4 MiB of text: only the small message has them
    assert.deepEqual(out.found.lateneedle, [small]);
    assert.deepEqual(out.found.secondpartneedle, [small]);
  });
});
