// LEFT OPEN (docs/security-review-7.md, left open 1), so marked todo: SMTP bounds the lines and fields of a
// message's top-level header only; a MIME part's header may hold megabytes. The IMAP MIME parse (main thread, on
// every FETCH that needs the tree: BODYSTRUCTURE once, then each BODY[part] again) reads all of it, so one stranger's
// message of 20 MB held every listener of the server for seconds per FETCH (a Content-Type with 4 million
// parameters, or folded over 3 million lines). A bound of the parse — a part's field read to the length SMTP gives a
// field (256 KiB) — makes this pass: the part's BODYSTRUCTURE then carries no megabytes of parameters. The message
// is stored and read back whole either way.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const USER = 'hanako@example.test';
const PW = 'part header pw 1';

describe('a MIME part whose Content-Type holds megabytes of parameters', { timeout: 600_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ listeners: ['smtp', 'imap'], toml: '[spam]\nenabled = false', users: [{ address: USER, password: PW }] });
  });
  after(async () => {
    await s?.stop();
  });

  it('is described in BODYSTRUCTURE without them', { todo: 'left open: the MIME parse reads a part header whole (docs/security-review-7.md)' }, async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = [
      'import imaplib, smtplib, sys, time, json',
      'smtp_port, imap_port, user, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]',
      'part = b"Content-Type: text/plain;" + b"".join(b"\\r\\n p%d=v;" % i for i in range(200000)) + b"\\r\\n\\r\\npart body\\r\\n"',
      'msg = (b"From: stranger@example.org\\r\\nTo: " + user.encode() + b"\\r\\nSubject: params\\r\\nMIME-Version: 1.0\\r\\n"',
      '       b"Content-Type: multipart/mixed; boundary=zz\\r\\n\\r\\n--zz\\r\\nContent-Type: text/plain\\r\\n\\r\\nhello\\r\\n"',
      '       b"--zz\\r\\n" + part + b"--zz--\\r\\n")',
      's = smtplib.SMTP("127.0.0.1", smtp_port, timeout=120); s.sendmail("stranger@example.org", [user], msg); s.quit()',
      'imaplib._MAXLINE = 64 * 1024 * 1024  # the old answer is one line of megabytes (imaplib refuses past 1 MB)',
      'c = imaplib.IMAP4("127.0.0.1", imap_port, timeout=300); c.login(user, pw)',
      'deadline = time.time() + 120',
      'while int(c.select("INBOX")[1][0]) < 1 and time.time() < deadline: time.sleep(0.3)',
      'typ, data = c.fetch("1", "(BODYSTRUCTURE)")',
      'flat = b"".join(x if isinstance(x, bytes) else b"".join(x) for x in data)',
      'mime = c.fetch("1", "(BODY.PEEK[2.MIME])")[1][0][1]',
      'c.logout()',
      'print(json.dumps(dict(typ=typ, size=len(flat), start=flat[:300].decode("latin1"), mime=mime == part[:part.index(b"\\r\\n\\r\\n") + 4])))',
    ].join('\n');
    const r = await run('python3', ['-c', py, String(s.ports.smtp), String(s.ports.imap), USER, PW], { timeoutMs: 500_000 });
    assert.equal(r.code, 0, r.stderr.slice(-800));
    const out = JSON.parse(r.stdout) as { typ: string; size: number; start: string; mime: boolean };
    assert.equal(out.typ, 'OK');
    assert.ok(out.mime, 'the part header is stored and read back as sent');
    assert.match(out.start, /"TEXT" "PLAIN"/);
    assert.ok(out.size < 512 * 1024, `BODYSTRUCTURE is ${out.size} octets`);
  });
});
