// Lines that start like a multipart delimiter but are not one ("--bx" under boundary "b"): the IMAP MIME parse looked
// at every one, in the main thread, at each FETCH that needs the tree (no cache for BODY[part]) and again at every
// nesting level. A stranger's 20 MB of them held every listener of the server 0.6 s a FETCH at one level and 3.9–5.1 s
// nested 30 deep (docs/security-review-7.md, finding 4). Now one multipart looks at no more than 4 × MAX_PARTS
// (20,000) places where its delimiter's text is found; past them the rest belongs to the last part. Over real
// sockets (smtplib on port 25, imaplib): 25,000 such lines before the second part leave one part; a message of
// 4,000 real parts is still split into all of them; both are stored and read back whole.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, type TestServer } from '../helpers/server.js';
import { PY_ARGS, runPython, strangerServer } from './stranger-imap.js';

const USER = 'hanako@example.test';
const PW = 'delimiters pw 123';

describe('multipart delimiters the parse looks at', { timeout: 600_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await strangerServer(USER, PW);
  });
  after(async () => {
    await s?.stop();
  });

  it('stop after 20,000 in one multipart; 4,000 real parts are all found', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = [
      'import imaplib, smtplib, sys, time, json, hashlib',
      PY_ARGS,
      'def mail(subject, ctype, body):',
      '    return (b"From: stranger@example.org\\r\\nTo: " + user.encode() + b"\\r\\nSubject: " + subject + b"\\r\\nMIME-Version: 1.0\\r\\n"',
      '            b"Content-Type: multipart/mixed; boundary=" + ctype + b"\\r\\n\\r\\n" + body)',
      'near = mail(b"near", b"b", b"--b\\r\\n\\r\\nfirst\\r\\n" + b"--bx\\r\\n" * 25000 + b"--b\\r\\n\\r\\nsecond\\r\\n--b--\\r\\n")',
      'many = mail(b"many", b"c", b"".join(b"--c\\r\\n\\r\\n%d\\r\\n" % i for i in range(4000)) + b"--c--\\r\\n")',
      's = smtplib.SMTP("127.0.0.1", smtp_port, timeout=120)',
      'for m in (near, many): s.sendmail("stranger@example.org", [user], m)',
      's.quit()',
      'c = imaplib.IMAP4("127.0.0.1", imap_port, timeout=120); c.login(user, pw)',
      'deadline = time.time() + 120',
      'while int(c.select("INBOX")[1][0]) < 2 and time.time() < deadline: time.sleep(0.3)',
      'out = {}',
      'for subject, sent in (("near", near), ("many", many)):',
      '    n = c.search(None, "SUBJECT", subject)[1][0].decode()',
      '    bs = c.fetch(n, "(BODYSTRUCTURE)")[1][0].decode("latin1")',
      '    whole = c.fetch(n, "(BODY.PEEK[TEXT])")[1][0][1]',
      '    second = c.fetch(n, "(BODY.PEEK[2])")[1][0]',
      '    out[subject] = dict(parts=bs.count("(\\"TEXT\\" \\"PLAIN\\""), text=whole == sent[sent.index(b"\\r\\n\\r\\n") + 4:],',
      '                        second=second[1].decode() if isinstance(second, tuple) else None)',
      'c.logout()',
      'print(json.dumps(out))',
    ].join('\n');
    const r = await runPython(s, py, USER, PW, 300_000);
    assert.equal(r.code, 0, r.stderr.slice(-800));
    const out = JSON.parse(r.stdout) as Record<string, { parts: number; text: boolean; second: string | null }>;
    assert.deepEqual(out.near, { parts: 1, text: true, second: null }, 'the second part is past the 20,000 places looked at');
    assert.deepEqual(out.many, { parts: 4000, text: true, second: '1' });
  });
});
