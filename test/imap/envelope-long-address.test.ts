// A stranger's message (smtplib on port 25) with a message/rfc822 part whose From: is one quoted name of megabytes:
// SMTP bounds the fields of the top-level header only, and the inner ENVELOPE that BODYSTRUCTURE carries read the
// name one character at a time into a string, in the main thread: 20 MB held every listener of the server for
// 2–7 s on the first FETCH BODYSTRUCTURE of a client (docs/security-review-7.md, finding 2). The address list is now
// scanned in slices, and a field is read to the length SMTP gives a header field (256 KiB); the address the cut
// falls in is left out. Here (imaplib, a 1 MB name): the inner From is NIL, its To and Subject are there, and the
// message itself is kept whole.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, type TestServer } from '../helpers/server.js';
import { PY_ARGS, runPython, strangerServer } from './stranger-imap.js';

const USER = 'hanako@example.test';
const PW = 'long address pw 1';

describe('an address field past 256 KiB in a message/rfc822 part', { timeout: 600_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await strangerServer(USER, PW);
  });
  after(async () => {
    await s?.stop();
  });

  it('is left out of the inner ENVELOPE; the rest of it and the message are read as sent', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = [
      'import imaplib, smtplib, sys, time, json',
      PY_ARGS,
      'inner = b"From: \\"" + b"n" * (1024 * 1024) + b"\\" <far@example.org>\\r\\nTo: near@example.org\\r\\nSubject: inner\\r\\n\\r\\ninner body\\r\\n"',
      'msg = (b"From: stranger@example.org\\r\\nTo: " + user.encode() + b"\\r\\nSubject: outer\\r\\nMIME-Version: 1.0\\r\\n"',
      '       b"Content-Type: multipart/mixed; boundary=zz\\r\\n\\r\\n--zz\\r\\nContent-Type: text/plain\\r\\n\\r\\nhello\\r\\n"',
      '       b"--zz\\r\\nContent-Type: message/rfc822\\r\\n\\r\\n" + inner + b"--zz--\\r\\n")',
      's = smtplib.SMTP("127.0.0.1", smtp_port, timeout=120); s.sendmail("stranger@example.org", [user], msg); s.quit()',
      'c = imaplib.IMAP4("127.0.0.1", imap_port, timeout=120); c.login(user, pw)',
      'deadline = time.time() + 120',
      'while int(c.select("INBOX")[1][0]) < 1 and time.time() < deadline: time.sleep(0.3)',
      'typ, data = c.fetch("1", "(BODYSTRUCTURE)")',
      'flat = b"".join(x if isinstance(x, bytes) else b"".join(x) for x in data)',
      'whole = c.fetch("1", "(BODY.PEEK[2])")[1][0][1]',
      'c.logout()',
      // the CRLF before a boundary belongs to the boundary, not to the part
      'print(json.dumps(dict(typ=typ, bs=flat.decode("latin1"), inner=whole == inner[:-2])))',
    ].join('\n');
    const r = await runPython(s, py, USER, PW, 300_000);
    assert.equal(r.code, 0, r.stderr.slice(-800));
    const out = JSON.parse(r.stdout) as { typ: string; bs: string; inner: boolean };
    assert.equal(out.typ, 'OK');
    assert.ok(out.inner, 'the message/rfc822 part is read back as sent');
    // the inner ENVELOPE: date, subject, from, sender, reply-to (the last two fall back to from), to, …
    assert.match(out.bs, /"MESSAGE" "RFC822" .*\(NIL "inner" NIL NIL NIL \(\(NIL NIL "near" "example\.org"\)\) NIL NIL NIL NIL\)/);
    assert.doesNotMatch(out.bs, /"far" "example\.org"/);
    assert.ok(out.bs.length < 64 * 1024, `BODYSTRUCTURE holds no megabyte name (${out.bs.length} octets)`);
  });
});
