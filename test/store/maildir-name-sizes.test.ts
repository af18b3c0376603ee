// A folder indexed from its file names: sizes come from Maildir++ ",S=" (a name whose S= disagrees with the file
// proves no stat was made), names without a valid S= are stat'ed, flags come from ":2,", and INTERNALDATE (the
// file's mtime) is exact though it is stat'ed only when asked. Checked over IMAP with Python's imaplib.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { maildirRoot } from '../../engine/store/maildir.js';
import { startHarness, USER, PASS, type Harness } from '../imap/harness.js';
import { run } from '../pop3/harness.js';
import { hasCommand } from '../helpers/server.js';

let h: Harness;
const body = (s: string) => Buffer.from(`From: a@example.org\r\nTo: ${USER}\r\nSubject: ${s}\r\n\r\n本文 ${s}\r\n`);
const msgs = {
  exact: body('exact'),
  plain: body('no size in the name'),
  malformed: body('malformed size'),
  lying: body('a name that lies about its size, longer than it says'),
  big: body('digits beyond any size'),
};
// 2021-03-04 05:06:07 UTC and one day later per message
const DATE = Date.UTC(2021, 2, 4, 5, 6, 7);

before(async () => {
  h = await startHarness({ store: (d) => new MaildirStore(d) });
  const cur = path.join(maildirRoot(h.config.data_dir, USER), 'cur');
  fs.mkdirSync(cur, { recursive: true });
  const names = [
    `1600000001.M1P1.host,S=${msgs.exact.length}:2,S`,
    `1600000002.M2P1.other-mda:2,`,
    `1600000003.M3P1.host,S=12x:2,F`,
    `1600000004.M4P1.host,S=7:2,`,
    `1600000005.M5P1.host,S=1234567890123456789:2,R`,
  ];
  Object.values(msgs).forEach((m, i) => {
    const file = path.join(cur, names[i]);
    fs.writeFileSync(file, m);
    fs.utimesSync(file, (DATE + i * 86_400_000) / 1000, (DATE + i * 86_400_000) / 1000);
  });
});
after(async () => {
  await h?.close();
});

const python = `
import imaplib, json, sys
port = int(sys.argv[1])
def session():
    c = imaplib.IMAP4('127.0.0.1', port)
    c.login(sys.argv[2], sys.argv[3])
    c.select('INBOX')
    return c
out = {}
c = session()
out['first'] = [l.decode() for l in c.fetch('1:*', '(UID FLAGS RFC822.SIZE INTERNALDATE)')[1]]
typ, data = c.fetch('4', '(BODY.PEEK[])')
out['lying_body'] = len(data[0][1])
c.logout()
c = session()
out['again'] = [l.decode() for l in c.fetch('1:*', '(RFC822.SIZE)')[1]]
out['larger'] = c.search(None, 'LARGER', '20')[1][0].decode()
out['since'] = c.search(None, 'SINCE', '06-Mar-2021')[1][0].decode()
c.logout()
print(json.dumps(out))
`;

test('first SELECT takes sizes from ",S=", stats names without a valid one, and dates stay exact', { skip: !hasCommand('python3') && 'python3 missing' }, async () => {
  const r = await run('python3', ['-c', python, String(h.plain.port), USER, PASS]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { first: string[]; lying_body: number; again: string[]; larger: string; since: string };
  const size = (line: string) => Number(/RFC822\.SIZE (\d+)/.exec(line)?.[1]);
  const [exact, plain, malformed, lying, big] = out.first;
  assert.equal(size(exact), msgs.exact.length, 'S= that agrees with the file');
  assert.match(exact, /FLAGS \(\\Seen \\Recent\)/);
  assert.match(exact, /INTERNALDATE "04-Mar-2021 05:06:07 \+0000"/, 'the date is the file mtime, stat\'ed when asked');
  assert.equal(size(plain), msgs.plain.length, 'no S=: the size comes from a stat');
  assert.match(plain, /INTERNALDATE "05-Mar-2021 05:06:07 \+0000"/);
  assert.equal(size(malformed), msgs.malformed.length, 'a malformed S= is not trusted: stat');
  assert.match(malformed, /FLAGS \(\\Flagged \\Recent\)/);
  assert.equal(size(big), msgs.big.length, 'an S= with more digits than any size is malformed: stat');
  assert.match(big, /FLAGS \(\\Answered \\Recent\)/);
  // a name's S= is trusted as Dovecot trusts names it wrote: the answer shows the file was not stat'ed...
  assert.equal(size(lying), 7, 'the first listing takes the size from the name, without a stat');
  assert.match(lying, /INTERNALDATE "07-Mar-2021 05:06:07 \+0000"/);
  // ...but the body sent is the whole file, and once it was read the size is corrected for every later session
  assert.equal(out.lying_body, msgs.lying.length);
  assert.equal(size(out.again[3]), msgs.lying.length, 'after the body was read, RFC822.SIZE is exact');
  assert.deepEqual(out.again.slice(0, 3).map(size), [msgs.exact.length, msgs.plain.length, msgs.malformed.length]);
  // SEARCH on sizes and dates answers from the same values
  assert.deepEqual(out.larger.split(' ').map(Number), [1, 2, 3, 4, 5].filter((i) => Object.values(msgs)[i - 1].length > 20));
  assert.equal(out.since, '3 4 5', 'SINCE uses the stat\'ed mtimes');
});

test('dates found later are written to the index: a new store object answers the same without the files\' mtimes', async () => {
  // a fresh store over the same tree after the IMAP session above read every date
  const store = new MaildirStore(h.config.data_dir);
  const cur = path.join(maildirRoot(h.config.data_dir, USER), 'cur');
  for (const f of fs.readdirSync(cur)) fs.utimesSync(path.join(cur, f), new Date(), new Date());
  const list = await store.list(USER, 'INBOX');
  assert.deepEqual(list.map((m) => m.internalDate), [0, 1, 2, 3, 4].map((i) => DATE + i * 86_400_000));
  await store.close();
});
