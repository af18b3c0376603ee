// The Maildir tree that MaildirStore writes is one Dovecot can serve, and the reverse: Dovecot (started
// privately on a copy of the tree) sees our folders, messages and system flags over IMAP; the flags and
// expunges it makes there are then seen by a MaildirStore opened on its copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { maildirRoot } from '../../engine/store/maildir.js';
import { haveDovecot, startDovecot } from '../../bench/dovecot.js';
import { run } from '../pop3/harness.js';

const OWNER = 'mura@example.jp';
const PASSWORD = 'dove-pass-1';

test('Dovecot reads the tree MaildirStore wrote, and MaildirStore reads what Dovecot changed', async (t) => {
  if (!haveDovecot()) {
    if (process.env.CI) throw new Error('dovecot is not installed (dovecot-imapd, dovecot-pop3d in .ci/apt-packages)');
    return t.skip('dovecot not installed');
  }
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-dovecompat-'));
  const store = new MaildirStore(data);
  const m = (s: string) => Buffer.from(`From: a@example.org\r\nTo: ${OWNER}\r\nSubject: ${s}\r\n\r\nbody of ${s}\r\n`);
  await store.append(OWNER, 'INBOX', m('one'), { flags: ['\\Seen'] });
  await store.append(OWNER, 'INBOX', m('two'), { flags: ['\\Flagged', '\\Answered'] });
  await store.append(OWNER, 'INBOX', m('three'));
  for (const f of ['Spam', 'Archive/2024', '日本語']) await store.createFolder(OWNER, f);
  await store.append(OWNER, 'Spam', m('spam'), { flags: ['\\Seen'] });
  await store.append(OWNER, 'Archive/2024', m('old'));
  await store.close();

  const dove = await startDovecot({ sourceMaildir: maildirRoot(data, OWNER), user: OWNER, password: PASSWORD });
  try {
    const r = await run('python3', ['-c', `
import imaplib, json, re
c = imaplib.IMAP4('127.0.0.1', ${dove.imapPort})
c.login('${OWNER}', '${PASSWORD}')
names = sorted(l.decode().rsplit(' ', 1)[1].strip('"') for l in c.list()[1])
c.select('INBOX')
msgs = []
for item in c.fetch('1:*', '(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')[1]:
    if isinstance(item, tuple):
        flags = re.search(r'FLAGS \\(([^)]*)\\)', item[0].decode()).group(1)
        msgs.append([item[1].decode().strip(), sorted(f for f in flags.split() if f != '\\Recent')])
spam = c.status('Spam', '(MESSAGES UNSEEN)')[1][0].decode()
arch = c.status('Archive.2024', '(MESSAGES)')[1][0].decode()
c.store('3', '+FLAGS', '(\\\\Flagged \\\\Seen)')
c.store('1', '+FLAGS', '(\\\\Deleted)')
c.expunge()
c.logout()
print(json.dumps(dict(names=names, msgs=msgs, spam=spam, arch=arch)))
`]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { names: string[]; msgs: [string, string[]][]; spam: string; arch: string };
    // Dovecot also lists the implied parent "Archive" (no directory of its own)
    assert.deepEqual(out.names, ['&ZeVnLIqe-', 'Archive', 'Archive.2024', 'INBOX', 'Spam']);
    assert.deepEqual(out.msgs, [
      ['Subject: one', ['\\Seen']],
      ['Subject: two', ['\\Answered', '\\Flagged']],
      ['Subject: three', []],
    ]);
    assert.match(out.spam, /MESSAGES 1 UNSEEN 0/);
    assert.match(out.arch, /MESSAGES 1/);

    // our store on Dovecot's copy: the expunge and the new flags are there
    const theirs = new MaildirStore(dove.dir);
    const list = await theirs.list(OWNER, 'INBOX');
    assert.equal(list.length, 2);
    const subjects = await Promise.all(list.map(async (x) => /Subject: (\w+)/.exec((await theirs.read(OWNER, 'INBOX', x.uid)).toString())![1]));
    assert.deepEqual(subjects, ['two', 'three']);
    assert.deepEqual(list[1].flags, ['\\Flagged', '\\Seen']);
    assert.deepEqual(await theirs.listFolders(OWNER), ['INBOX', 'Archive/2024', 'Spam', '日本語']);
    await theirs.close();
  } finally {
    await dove.stop();
    fs.rmSync(dove.dir, { recursive: true, force: true });
    fs.rmSync(data, { recursive: true, force: true });
  }
});
