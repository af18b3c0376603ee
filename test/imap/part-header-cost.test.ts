// docs/security-review-7.md, left open 1, fixed after the review: SMTP bounds the lines and fields of a message's
// top-level header only; a MIME part's header may hold megabytes. The IMAP MIME parse (main thread, on
// every FETCH that needs the tree: BODYSTRUCTURE once, then each BODY[part] again) reads all of it, so one stranger's
// message of 20 MB held every listener of the server for seconds per FETCH (a Content-Type with 4 million
// parameters, or folded over 3 million lines). The parse now reads a part's field to the length SMTP gives a field
// (256 KiB), its header to MAX_HEADER_LINES lines, a Content-Type to MAX_PARAMS parameters: the part's BODYSTRUCTURE
// carries no megabytes of parameters. The message is stored and read back whole either way.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, type TestServer } from '../helpers/server.js';
import { PY_ARGS, runPython, strangerServer } from './stranger-imap.js';

const USER = 'hanako@example.test';
const PW = 'part header pw 1';

describe('a MIME part whose Content-Type holds megabytes of parameters', { timeout: 600_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await strangerServer(USER, PW);
  });
  after(async () => {
    await s?.stop();
  });

  it('is described in BODYSTRUCTURE without them', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = [
      'import imaplib, smtplib, sys, time, json',
      PY_ARGS,
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
    const r = await runPython(s, py, USER, PW, 500_000);
    assert.equal(r.code, 0, r.stderr.slice(-800));
    const out = JSON.parse(r.stdout) as { typ: string; size: number; start: string; mime: boolean };
    assert.equal(out.typ, 'OK');
    assert.ok(out.mime, 'the part header is stored and read back as sent');
    assert.match(out.start, /"TEXT" "PLAIN"/);
    assert.ok(out.size < 512 * 1024, `BODYSTRUCTURE is ${out.size} octets`);
  });
  it('reads a part field to 256 KiB and a part header to 10,000 lines; the parts are still read back whole', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = [
      'import imaplib, smtplib, sys, time, json',
      PY_ARGS,
      // a Content-Description folded over 1 MB (BODYSTRUCTURE echoes it), and a header of 15,000 lines whose type comes last
      'desc = b"Content-Type: text/plain\\r\\nContent-Description: start" + b"".join(b"\\r\\n d%07d" % i + b"x" * 990 for i in range(1000)) + b"\\r\\n\\r\\ndesc body\\r\\n"',
      'late = b"".join(b"X-Junk: %d\\r\\n" % i for i in range(15000)) + b"Content-Type: text/html\\r\\nContent-Description: late\\r\\n\\r\\nlate body\\r\\n"',
      'msg = (b"From: stranger@example.org\\r\\nTo: " + user.encode() + b"\\r\\nSubject: long part headers\\r\\nMIME-Version: 1.0\\r\\n"',
      '       b"Content-Type: multipart/mixed; boundary=zz\\r\\n\\r\\n--zz\\r\\nContent-Type: text/plain\\r\\n\\r\\nhello\\r\\n"',
      '       b"--zz\\r\\n" + desc + b"--zz\\r\\n" + late + b"--zz--\\r\\n")',
      's = smtplib.SMTP("127.0.0.1", smtp_port, timeout=120); s.sendmail("stranger@example.org", [user], msg); s.quit()',
      'imaplib._MAXLINE = 64 * 1024 * 1024',
      'c = imaplib.IMAP4("127.0.0.1", imap_port, timeout=300); c.login(user, pw)',
      'deadline = time.time() + 120',
      'while int(c.select("INBOX")[1][0]) < 2 and time.time() < deadline: time.sleep(0.3)',
      'n = c.select("INBOX")[1][0].decode()',
      'typ, data = c.fetch(n, "(BODYSTRUCTURE)")',
      'flat = b"".join(x if isinstance(x, bytes) else b"".join(x) for x in data).decode("latin1")',
      'b2 = c.fetch(n, "(BODY.PEEK[2])")[1][0][1]',
      'b3 = c.fetch(n, "(BODY.PEEK[3])")[1][0][1]',
      'm3 = c.fetch(n, "(BODY.PEEK[3.MIME])")[1][0][1]',
      'c.logout()',
      'print(json.dumps(dict(typ=typ, size=len(flat), desc=flat.count(" d0"), lastDesc="d0000999" in flat, late="late" in flat,',
      '  html="\\"TEXT\\" \\"HTML\\"" in flat, b2=b2 == b"desc body", b3=b3 == b"late body", m3=m3 == late[:late.index(b"\\r\\n\\r\\n") + 4])))',
    ].join('\n');
    const r = await runPython(s, py, USER, PW, 500_000);
    assert.equal(r.code, 0, r.stderr.slice(-800));
    const out = JSON.parse(r.stdout) as Record<string, string | number | boolean>;
    assert.equal(out.typ, 'OK');
    assert.ok(out.b2 && out.b3 && out.m3, `the parts are read back as sent: ${JSON.stringify(out)}`);
    // 256 KiB of the 1,000 lines of 1,000 octets and not the rest: the field is cut, not dropped
    assert.ok((out.desc as number) > 200 && (out.desc as number) < 300, `${out.desc} pieces of the description`);
    assert.equal(out.lastDesc, false);
    // the fields after the 10,000th line are not read: the part has the default type
    assert.equal(out.late, false);
    assert.equal(out.html, false);
    assert.ok((out.size as number) < 512 * 1024, `BODYSTRUCTURE is ${out.size} octets`);
  });
});
