// Symbolic links in a Maildir (docs/security-review-7.md, left open 4). tegami never writes one; a link in cur/ or
// new/ was put there by someone else with write access to the tree, and following it served another account's file
// (or /dev/zero, a read without end) as a message of this mailbox. Now listings leave links out (and say so once in
// the log), message files are opened with O_NOFOLLOW, and a listed message replaced by a link after SELECT reads as
// gone: no byte of the link's target is sent over IMAP or POP3, and the sessions go on. imaplib and poplib against a
// real serve; the links are made by the same script.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const USER = 'hanako@example.test';
const OTHER = 'taro@example.test';
const PW = 'symlink password 12';
const msg = (to: string, s: string) => Buffer.from(`From: a@example.org\r\nTo: ${to}\r\nSubject: ${s}\r\n\r\n本文 ${s}\r\n`);

function maildir(s: TestServer, owner: string): string {
  const [local, domain] = owner.split('@');
  const root = path.join(s.dataDir, 'mail', domain, local, 'Maildir');
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(root, sub), { recursive: true });
  return root;
}

describe('symbolic links in a Maildir', { timeout: 600_000 }, () => {
  let s: TestServer;
  let cur = '';
  let secretFile = '';
  const names: string[] = [];
  before(async () => {
    s = await startTestServer({ listeners: ['imap', 'pop3'], users: [{ address: USER, password: PW }, { address: OTHER, password: PW }] });
    const root = maildir(s, USER);
    cur = path.join(root, 'cur');
    ['one', 'two'].forEach((w, i) => {
      const m = msg(USER, w);
      const name = `160000000${i + 1}.M${i + 1}P1.other,S=${m.length}:2,`;
      fs.writeFileSync(path.join(cur, name), m);
      names.push(name);
    });
    const secret = msg(OTHER, 'secret-of-taro');
    secretFile = path.join(maildir(s, OTHER), 'cur', `1600000009.M9P1.other,S=${secret.length}:2,`);
    fs.writeFileSync(secretFile, secret);
    // links there before the first listing: in cur/ to the other account's file and to /dev/zero, one in new/
    fs.symlinkSync(secretFile, path.join(cur, `1600000003.M3P1.other,S=${secret.length}:2,`));
    fs.symlinkSync('/dev/zero', path.join(cur, '1600000004.M4P1.other,S=10:2,'));
    fs.symlinkSync(secretFile, path.join(root, 'new', '1600000005.M5P1.other'));
  });
  after(async () => {
    await s?.stop();
  });

  it('lists no link, serves no byte of a link target, and answers a message replaced by a link as gone', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = [
      'import imaplib, poplib, os, sys, json',
      'port, pop_port, cur, user, other, pw, secret, two = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8]',
      'c = imaplib.IMAP4("127.0.0.1", port, timeout=60)',
      'c.login(user, pw)',
      'exists = int(c.select("INBOX")[1][0])',
      'typ, data = c.fetch("1:*", "(BODY.PEEK[])")',
      'first = [d[1].decode() for d in data if isinstance(d, tuple)]',
      // the listing is cached now: the second message is swapped for a link to the other account's file
      'os.symlink(secret, os.path.join(cur, "link.tmp"))',
      'os.rename(os.path.join(cur, "link.tmp"), os.path.join(cur, two))',
      'typ2, data2 = c.fetch("2", "(BODY.PEEK[])")',
      'after = repr(data2)',
      'noop = c.noop()[0]',
      'again = int(c.select("INBOX")[1][0])',
      'c.logout()',
      'p = poplib.POP3("127.0.0.1", pop_port, timeout=60)',
      'p.user(user); p.pass_(pw)',
      'count = p.stat()[0]',
      'pop = [b"\\r\\n".join(p.retr(i + 1)[1]).decode() for i in range(count)]',
      'p.quit()',
      'o = imaplib.IMAP4("127.0.0.1", port, timeout=60)',
      'o.login(other, pw); o.select("INBOX")',
      'own = o.fetch("1", "(BODY.PEEK[])")[1][0][1].decode()',
      'o.logout()',
      'print(json.dumps(dict(exists=exists, fetch=typ, first=first, fetch2=typ2, after=after, noop=noop, again=again, count=count, pop=pop, own=own)))',
    ].join('\n');
    const r = await run('python3', ['-c', py, String(s.ports.imap), String(s.ports.pop3), cur, USER, OTHER, PW, secretFile, names[1]], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, `the server did not answer: ${r.stderr.slice(-600)}`);
    const out = JSON.parse(r.stdout) as Record<string, unknown> & { first: string[]; pop: string[] };
    assert.equal(out.exists, 2, 'the two regular messages are listed, the three links are not');
    assert.equal(out.fetch, 'OK');
    assert.deepEqual(out.first, [msg(USER, 'one').toString('utf8'), msg(USER, 'two').toString('utf8')]);
    assert.equal(out.noop, 'OK', 'the session goes on');
    assert.ok(!String(out.after).includes('secret-of-taro'), `a message replaced by a link is not read through it: ${String(out.after)}`);
    assert.equal(out.again, 1, 'after SELECT again the replaced message is gone');
    assert.equal(out.count, 1);
    assert.deepEqual(out.pop.map((b) => b + '\r\n'), [msg(USER, 'one').toString('utf8')], 'POP3 lists and reads only the regular message');
    assert.equal(out.own + '', msg(OTHER, 'secret-of-taro').toString('utf8'), "the other account's file is untouched");
    assert.ok(fs.lstatSync(path.join(cur, '1600000004.M4P1.other,S=10:2,')).isSymbolicLink(), 'the links are left where they are');
    // the system log says once per link that it was left out
    const logs = path.join(s.dataDir, 'logs');
    const log = () => fs.readdirSync(logs).filter((f) => f.startsWith('system-')).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('');
    const deadline = Date.now() + 120_000;
    while (log().split('maildir-link-skipped').length - 1 < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const told = log().split('\n').filter((l) => l.includes('maildir-link-skipped'));
    assert.ok(told.some((l) => l.includes('1600000004.M4P1')) && told.some((l) => l.includes('1600000005.M5P1')), told.join('\n'));
    // the three links there at the start, and the one put in place of the second message: each told once
    assert.equal(told.length, 4, told.join('\n'));
  });
});
