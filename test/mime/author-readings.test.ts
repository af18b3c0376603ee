// Security review 4: a logged-in user hid another author in From: from the author check. tegami decodes raw
// Japanese bytes in a header before parsing it, readers that take the bytes as ASCII do not: with
// `From: ESC$B<rooty@example.test>,ESC(B <alice@example.test>` the check saw alice (kanji for a name), while
// tegami's own IMAP ENVELOPE, nodemailer's parser behind mailauth's DMARC and Python's email package saw
// rooty@example.test first — a message from alice shown as the admin's, and signed d=example.test, so DMARC
// passed. A lone CR did the same for readers that break lines there. Over the real server: Python's smtplib
// submits, imaplib reads the ENVELOPE; the old code answered 250 and the ENVELOPE named rooty.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { asciiReadings, hasBareCr } from '../../engine/mime/author-readings.js';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const ESC = '\x1b';
const head = (s: string) => Buffer.from(s + '\r\n\r\n', 'latin1');
/** A name in raw ISO-2022-JP ("佐藤 花子"), as legacy mailers wrote it. */
const JIS_NAME = `${ESC}$B:4F#${ESC}(B ${ESC}$B2V;R${ESC}(B`;

test('the ASCII reading of raw Japanese bytes: the addresses a non-decoding reader sees', () => {
  assert.deepEqual(asciiReadings(head(`From: ${ESC}$B<rooty@example.test>,${ESC}(B <alice@example.test>`), 'from').sort(), ['alice@example.test', 'rooty@example.test']);
  assert.deepEqual(asciiReadings(head(`Sender: ${ESC}$B${ESC}(I<bad@evil.example>,${ESC}(B <alice@example.test>`), 'sender').sort(), ['alice@example.test', 'bad@evil.example']);
  // a Japanese name in any of the four charsets adds nothing beyond the real address
  for (const [name, cs] of [[JIS_NAME, 'iso-2022-jp'], ['\x8d\xb2\x93\xa1 \x89\xd4\x8eq', 'shift_jis'], ['\xba\xb4\xc6\xa3 \xb2\xd6\xbb\xd2', 'euc-jp'], ['\xe4\xbd\x90\xe8\x97\xa4', 'utf-8']]) {
    assert.deepEqual(asciiReadings(head(`From: ${name} <alice@example.test>`), 'from'), ['alice@example.test'], cs);
  }
  // plain ASCII fields are tegami's own parse alone
  assert.deepEqual(asciiReadings(head('From: "boss@example.test" <alice@example.test>'), 'from'), []);
  assert.equal(hasBareCr(head('Subject: x\rFrom: rooty@example.test\r\nFrom: alice@example.test')), true);
  assert.equal(hasBareCr(head('From: alice@example.test\r\nSubject: x')), false);
  assert.equal(hasBareCr(Buffer.from('From: alice@example.test\nSubject: x\n\n')), false);
});

let srv: TestServer;

before(async () => {
  srv = await startTestServer({
    listeners: ['submission', 'imap'],
    users: [
      { address: 'alice@example.test', password: 'alice-pass-123' },
      { address: 'rooty@example.test', password: 'rooty-pass-123' },
      { address: 'bobby@example.test', password: 'bobby-pass-123' },
    ],
    toml: '[spam]\nenabled = false',
  });
});

after(async () => {
  await srv?.stop();
});

const SCRIPT = String.raw`
import smtplib, imaplib, sys, json, time
sub, imap = int(sys.argv[1]), int(sys.argv[2])
ESC = b'\x1b'
JIS_NAME = ESC + b'$B:4F#' + ESC + b'(B ' + ESC + b'$B2V;R' + ESC + b'(B'
cases = {
  'jis-hidden': b'From: ' + ESC + b'$B<rooty@example.test>,' + ESC + b'(B <alice@example.test>',
  'kana-hidden': b'From: ' + ESC + b'$B' + ESC + b'(I<rooty@example.test>,' + ESC + b'(B <alice@example.test>',
  'bare-cr': b'Subject: x\rFrom: rooty@example.test\r\nFrom: alice@example.test',
  'jis-name': b'From: ' + JIS_NAME + b' <alice@example.test>',
  'comment-escape': b'From: (a \\) <rooty@example.test>) alice@example.test',
}
out = {}
for k, h in cases.items():
    s = smtplib.SMTP('127.0.0.1', sub)
    s.login('alice@example.test', 'alice-pass-123')
    msg = h + b'\r\nTo: bobby@example.test\r\nSubject: readings-' + k.encode() + b'\r\n\r\nPlease wire the money.\r\n'
    try:
        s.sendmail('alice@example.test', ['bobby@example.test'], msg)
        out[k] = [250, '']
    except smtplib.SMTPDataError as e:
        out[k] = [e.smtp_code, e.smtp_error.decode()]
    s.quit()
deadline = time.time() + 120
env = {}
while time.time() < deadline:
    m = imaplib.IMAP4('127.0.0.1', imap)
    m.login('bobby@example.test', 'bobby-pass-123')
    m.select('INBOX')
    for k in cases:
        if out[k][0] != 250 or k in env: continue
        typ, d = m.search(None, 'SUBJECT', 'readings-' + k)
        if d[0]:
            env[k] = repr(m.fetch(d[0].split()[-1], '(ENVELOPE)')[1])
    m.logout()
    if all(k in env for k in cases if out[k][0] == 250): break
    time.sleep(0.5)
print(json.dumps({'replies': out, 'envelopes': env}))
`;

test('a hidden author is refused at DATA, a raw Japanese name of his own still goes (smtplib, imaplib)', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const r = await run('python3', ['-c', SCRIPT, String(srv.ports.submission), String(srv.ports.imap)], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr);
  const { replies, envelopes } = JSON.parse(r.stdout) as { replies: Record<string, [number, string]>; envelopes: Record<string, string> };
  for (const k of ['jis-hidden', 'kana-hidden', 'bare-cr']) {
    assert.equal(replies[k][0], 550, `${k}: ${JSON.stringify(replies[k])} ${envelopes[k] ?? ''}`);
    assert.match(replies[k][1], /5\.7\.1/);
  }
  assert.match(replies['jis-hidden'][1], /rooty@example\.test/);
  assert.deepEqual(replies['jis-name'], [250, '']);
  // pure ASCII, alice's own: a quoted-pair in a comment, which the IMAP ENVELOPE read as the end of it
  assert.deepEqual(replies['comment-escape'], [250, '']);
  assert.match(envelopes['comment-escape'] ?? '', /"alice" "example\.test"/);
  // the raw JIS name goes out as RFC 2047 encoded-words (its bytes hold ";", which read as ASCII would end a group)
  assert.match(envelopes['jis-name'] ?? '', /ENVELOPE \(NIL "readings-jis-name" \(\("=\?ISO-2022-JP\?B\?[^"]+" NIL "alice" "example\.test"\)\)/, 'delivered to bobby, from alice');
  // (a display name may still say anything, as '"rooty@example.test" <alice@example.test>' may)
  assert.doesNotMatch(JSON.stringify(envelopes), /"rooty" "example\.test"/, 'no message shows the admin as its author');
});
