// A ",S=" in another writer's Maildir name that lies about the file's size (docs/security-review-7.md, left open
// 1): the index is corrected when the file is first read, and now every IMAP session that has the folder
// selected sees the exact RFC822.SIZE too — told once by an unsolicited FETCH after its next command, used by
// every later FETCH, and given exact in the very response that read the message. Before, a session that had
// SELECTed kept the listed size, and a client fetching BODY[]<0.size> by it got a short copy until its next
// SELECT. Python's imaplib against a real serve.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const USER = 'hanako@example.test';
const PW = 'lying size pw 12';
const message = (s: string) => Buffer.from(`From: a@example.org\r\nTo: ${USER}\r\nSubject: ${s}\r\n\r\n本文 ${s}\r\n` + 'x'.repeat(300) + '\r\n');
// the sizes the names claim: two shorter than the file, one longer
const msgs = [message('read by POP3 first'), message('read by this session'), message('a name that claims more')];
const claimed = [7, 9, 999_999];

describe('a lying ",S=" once found out', { timeout: 600_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ listeners: ['imap'], users: [{ address: USER, password: PW }] });
    const [local, domain] = USER.split('@');
    const root = path.join(s.dataDir, 'mail', domain, local, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(root, sub), { recursive: true });
    msgs.forEach((m, i) => fs.writeFileSync(path.join(root, 'cur', `160000000${i + 1}.M${i + 1}P1.other-mda,S=${claimed[i]}:2,`), m));
  });
  after(async () => {
    await s?.stop();
  });

  it('reaches the session that SELECTed before: its sizes and partial fetches are exact', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = String.raw`
import imaplib, sys, json, re
port, user, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def sizes(c, which):
    typ, data = c.fetch(which, '(RFC822.SIZE)')
    return [int(re.search(rb'RFC822\.SIZE (\d+)', d).group(1)) for d in data]
def partial(c, n, size):
    typ, data = c.fetch(str(n), '(BODY.PEEK[]<0.%d>)' % size)
    return len(data[0][1])
out = {}
c = imaplib.IMAP4('127.0.0.1', port, timeout=120)
c.login(user, pw)
c.select('INBOX')
out['listed'] = sizes(c, '1:3')
# another client reads messages 1 and 3 whole without changing a flag (a POP3 RETR would set \Seen, and that
# change alone brought the session a new listing): the store finds the names' sizes wrong
o = imaplib.IMAP4('127.0.0.1', port, timeout=120)
o.login(user, pw)
o.select('INBOX', readonly=True)
out['other'] = [len(o.fetch(str(n), '(BODY.PEEK[])')[1][0][1]) for n in (1, 3)]
o.logout()
c.noop()
out['told'] = [d.decode() for d in (c.response('FETCH')[1] or []) if d]
out['after'] = sizes(c, '1:3')
out['partial1'] = partial(c, 1, out['after'][0])
# this session reads message 2 itself: the same response gives the size of what it sent
typ, data = c.fetch('2', '(BODY.PEEK[] RFC822.SIZE)')
# imaplib returns the command's own response (a literal, then its tail) and the unsolicited FETCH after it
out['same'] = [len(data[0][1]), int(re.search(rb'RFC822\.SIZE (\d+)', data[1]).group(1))]
out['told2'] = [d.decode() for d in data[2:] if isinstance(d, bytes)]
out['later2'] = sizes(c, '2')
out['partial2'] = partial(c, 2, out['later2'][0])
c.logout()
print(json.dumps(out))
`;
    const r = await run('python3', ['-c', py, String(s.ports.imap), USER, PW], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr.slice(-800));
    const out = JSON.parse(r.stdout) as {
      listed: number[]; other: number[]; told: string[]; after: number[]; partial1: number; same: number[]; told2: string[]; later2: number[]; partial2: number;
    };
    const real = msgs.map((m) => m.length);
    assert.deepEqual(out.listed, claimed, 'the first listing trusts the names (no stat)');
    assert.deepEqual(out.other, [real[0], real[2]], 'the other session gets the files whole');
    assert.deepEqual(out.after, [real[0], claimed[1], real[2]], 'later FETCHes of the session give the exact sizes');
    assert.equal(out.partial1, real[0], 'BODY[]<0.size> by the size now given is the whole message');
    // the open session is told once, with its flags (an unsolicited FETCH, RFC 3501 7.4.2)
    assert.ok(out.told.some((l) => /^1 \(FLAGS \([^)]*\) RFC822\.SIZE (\d+)\)$/.test(l) && l.includes(`RFC822.SIZE ${real[0]}`)), JSON.stringify(out.told));
    assert.ok(out.told.some((l) => l.startsWith('3 ') && l.includes(`RFC822.SIZE ${real[2]}`)), JSON.stringify(out.told));
    assert.deepEqual(out.same, [real[1], real[1]], 'RFC822.SIZE beside the bytes read is their length');
    assert.ok(out.told2.some((l) => l.startsWith('2 ') && l.includes(`RFC822.SIZE ${real[1]}`)), JSON.stringify(out.told2));
    assert.deepEqual(out.later2, [real[1]]);
    assert.equal(out.partial2, real[1]);
  });
});
