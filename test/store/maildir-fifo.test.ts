// A FIFO put in place of a listed message (by anything that writes the Maildir: another delivery agent, a
// process sharing the tree, a restore) after SELECT: the small-message read opened it with a blocking open(),
// so the next FETCH or RETR stopped the whole server (every listener, every user) until some process opened the
// FIFO for writing; a large message's open hung a libuv thread the same way (docs/security-review-7.md, finding
// 1). Now message files are opened non-blocking: the FIFO reads as empty, the other messages and other clients
// are answered. Python's imaplib and poplib against a real serve; mkfifo + rename from the same script.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const USER = 'hanako@example.test';
const OTHER = 'taro@example.test';
const PW = 'fifo password 12';
const small = (s: string) => Buffer.from(`From: a@example.org\r\nTo: ${USER}\r\nSubject: ${s}\r\n\r\n本文 ${s}\r\n`);
const large = Buffer.concat([Buffer.from(`From: a@example.org\r\nSubject: large\r\n\r\n`), Buffer.alloc(300 * 1024, 'l')]);

describe('a FIFO in place of a listed message', { timeout: 600_000 }, () => {
  let s: TestServer;
  let cur = '';
  const names: string[] = [];
  before(async () => {
    s = await startTestServer({ listeners: ['imap', 'pop3'], users: [{ address: USER, password: PW }, { address: OTHER, password: PW }] });
    const [local, domain] = USER.split('@');
    const root = path.join(s.dataDir, 'mail', domain, local, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(root, sub), { recursive: true });
    cur = path.join(root, 'cur');
    [small('one'), small('two'), large].forEach((m, i) => {
      const name = `160000000${i + 1}.M${i + 1}P1.other,S=${m.length}:2,`;
      fs.writeFileSync(path.join(cur, name), m);
      names.push(name);
    });
  });
  after(async () => {
    // the old code waits in open() for a writer: give it one, so the server can stop
    for (const n of fs.existsSync(cur) ? fs.readdirSync(cur) : []) {
      const p = path.join(cur, n);
      if (!fs.lstatSync(p).isFIFO()) continue;
      try {
        fs.closeSync(fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      } catch {
        /* no reader */
      }
    }
    await s?.stop();
  });

  it('FETCH and RETR answer, other clients too, and the other messages are read whole', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = [
      'import imaplib, poplib, os, sys, json',
      'port, pop_port, cur, user, other, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]',
      'small_name, large_name = sys.argv[7], sys.argv[8]',
      'c = imaplib.IMAP4("127.0.0.1", port, timeout=60)',
      'c.login(user, pw)',
      'c.select("INBOX")',
      // the listing is cached now: the files are swapped for FIFOs behind the server's back
      'for n in (small_name, large_name):',
      '    os.mkfifo(os.path.join(cur, "fifo.tmp"))',
      '    os.rename(os.path.join(cur, "fifo.tmp"), os.path.join(cur, n))',
      'typ, data = c.fetch("1:*", "(BODY.PEEK[])")',
      'bodies = [d[1].decode() for d in data if isinstance(d, tuple)]',
      'env = c.fetch("1:*", "(ENVELOPE)")[0]',
      'c.logout()',
      'o = imaplib.IMAP4("127.0.0.1", port, timeout=60)',
      'other_login = o.login(other, pw)[0]',
      'o.logout()',
      'p = poplib.POP3("127.0.0.1", pop_port, timeout=60)',
      'p.user(user); p.pass_(pw)',
      'two = b"\\r\\n".join(p.retr(2)[1]).decode()',
      'p.quit()',
      'print(json.dumps(dict(fetch=typ, bodies=bodies, env=env, other=other_login, two=two)))',
    ].join('\n');
    const r = await run('python3', ['-c', py, String(s.ports.imap), String(s.ports.pop3), cur, USER, OTHER, PW, names[0], names[2]], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, `the server did not answer: ${r.stderr.slice(-600)}`);
    const out = JSON.parse(r.stdout) as { fetch: string; bodies: string[]; env: string; other: string; two: string };
    assert.equal(out.fetch, 'OK');
    assert.equal(out.env, 'OK');
    assert.equal(out.other, 'OK', 'another user logs in meanwhile');
    assert.ok(out.bodies.includes(small('two').toString('utf8')), 'the regular message is read whole over IMAP');
    assert.equal(out.two + '\r\n', small('two').toString('utf8'), 'and over POP3');
    assert.ok(!out.bodies.some((b) => b.includes('one') || b.includes('lll')), 'nothing of the replaced files');
  });
});
