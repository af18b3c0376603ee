// Maildir file names that are not valid UTF-8 (another delivery agent's, or a copy from another system): readdir
// gives them as U+FFFD, so a name without ",S=" was silently left out and one with it was counted in EXISTS but
// could not be read ("no message with UID 1 in INBOX"). Now the sync renames such a file to an ASCII name (bytes
// of 0x80 and above as %HH, the rest kept): files made here with Buffer paths in cur/ (with and without ",S=")
// and new/ are read whole over IMAPS (Python's imaplib) and POP3S (poplib), with their flags.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { asciiName } from '../../engine/store/maildir-names-ascii.js';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const USER = 'hanako@example.test';
const PW = 'names ascii password 1';
const body = (s: string) => Buffer.from(`From: a@example.org\r\nTo: ${USER}\r\nSubject: ${s}\r\n\r\n本文 ${s}\r\n`);
const msgs = [body('no size in the name'), body('a size in the name'), body('from new')];

describe('asciiName', () => {
  it('escapes bytes of 0x80 and above and "%", keeps the rest', () => {
    assert.equal(asciiName(Buffer.from([0x31, 0x2e, 0x4d, 0xff, 0x25, 0x3a, 0x32, 0x2c, 0x53])), '1.M%FF%25:2,S');
    assert.equal(asciiName(Buffer.from('1600000001.M1P1.host,S=12:2,', 'latin1')), '1600000001.M1P1.host,S=12:2,');
  });
});

describe('names that are not valid UTF-8 over IMAP and POP3', { timeout: 600_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ listeners: ['imaps', 'pop3s'], users: [{ address: USER, password: PW }] });
    const [local, domain] = USER.split('@');
    const root = path.join(s.dataDir, 'mail', domain, local, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(root, sub), { recursive: true });
    const at = (sub: string, name: Buffer) => Buffer.concat([Buffer.from(path.join(root, sub) + path.sep), name]);
    fs.writeFileSync(at('cur', Buffer.concat([Buffer.from('1600000001.M1P1.other'), Buffer.from([0xff, 0xfe]), Buffer.from(':2,S')])), msgs[0]);
    fs.writeFileSync(at('cur', Buffer.concat([Buffer.from('1600000002.M2P1.'), Buffer.from([0x83, 0x65]) /* テ in Shift_JIS */, Buffer.from(`,S=${msgs[1].length}:2,F`)])), msgs[1]);
    fs.writeFileSync(at('new', Buffer.concat([Buffer.from('1600000003.M3P1.'), Buffer.from([0xe9])])), msgs[2]);
  });
  after(async () => {
    await s?.stop();
  });

  it('IMAP lists and reads all three with their flags; POP3 retrieves them; the names on disk are ASCII', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = [
      'import imaplib, poplib, ssl, json, sys',
      'ctx = ssl._create_unverified_context()',
      'c = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ctx)',
      'c.login(sys.argv[3], sys.argv[4])',
      'n = int(c.select("INBOX")[1][0])',
      'typ, data = c.fetch("1:*", "(FLAGS BODY.PEEK[])")',
      'imap = [[d[0].decode(), d[1].decode()] for d in data if isinstance(d, tuple)]',
      'c.logout()',
      'p = poplib.POP3_SSL("127.0.0.1", int(sys.argv[2]), context=ctx)',
      'p.user(sys.argv[3]); p.pass_(sys.argv[4])',
      'count = p.stat()[0]',
      'pop = [b"\\r\\n".join(p.retr(i)[1]).decode() for i in range(1, count + 1)]',
      'p.quit()',
      'print(json.dumps(dict(n=n, imap=imap, pop=pop)))',
    ].join('\n');
    const r = await run('python3', ['-c', py, String(s.ports.imaps), String(s.ports.pop3s), USER, PW]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { n: number; imap: [string, string][]; pop: string[] };
    assert.equal(out.n, 3, 'EXISTS counts all three');
    // new/ is taken in first (as for any name): its message has the first UID
    const want = [msgs[2], msgs[0], msgs[1]].map((m) => m.toString('utf8'));
    assert.deepEqual(out.imap.map(([, b]) => b), want, 'each read whole over IMAP');
    assert.match(out.imap[1][0], /FLAGS \(\\Seen \\Recent\)/);
    assert.match(out.imap[2][0], /FLAGS \(\\Flagged \\Recent\)/);
    assert.deepEqual(out.pop.map((m) => m + '\r\n'), want, 'each retrieved whole over POP3');
    const names = s.maildir(USER).map((f) => path.basename(f)).sort();
    assert.deepEqual(names.map((n) => n.replace(/:2,.*$/, '')), ['1600000001.M1P1.other%FF%FE', `1600000002.M2P1.%83e,S=${msgs[1].length}`, '1600000003.M3P1.%E9']);
  });
});
