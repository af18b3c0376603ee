// End to end through the real `tegami serve`: mail accepted over SMTP is delivered by the workers into the
// Maildir and becomes visible over POP3 (how soon is a diagnostic); poplib then reads it and deletes it. Flags
// set over IMAP (imaplib) are seen by POP3's next session, and what POP3 reads and deletes is seen over IMAP.
// Each test has its own mailbox, so one that fails half-way leaves nothing behind for the next.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import nodemailer from 'nodemailer';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient, have, run } from './harness.js';

const PASS = 'alice-pass-1';
const ALICE = 'alice@example.test';
const CAROL = 'carol@example.test';
let srv: TestServer;

before(async () => {
  srv = await startTestServer({
    listeners: ['smtp', 'pop3', 'imap'],
    users: [
      { address: ALICE, password: PASS },
      { address: CAROL, password: PASS },
    ],
  });
});
after(async () => {
  await srv.stop();
  fs.rmSync(srv.dir, { recursive: true, force: true });
});

/** Poll over POP3 until the maildrop holds `n` messages (generous: the machine may be busy); the count seen. */
async function popUntil(address: string, n: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await popCount(srv.ports.pop3, address);
    if (count >= n || Date.now() > deadline) return count;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function popCount(port: number, address: string): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    // APOP: a cheap login (no password hash to verify), so polling measures delivery, not scrypt
    const stamp = /<[^>]+>/.exec((await c.line())!)![0];
    const ok = await c.cmd(`APOP ${address} ${crypto.createHash('md5').update(stamp + PASS).digest('hex')}`);
    assert.match(ok!, /^\+OK/);
    const stat = (await c.cmd('STAT'))!;
    await c.cmd('QUIT');
    return Number(stat.split(' ')[1]);
  } finally {
    c.close();
  }
}

test('mail delivered over SMTP shows in POP3, and poplib reads and deletes it', async (t) => {
  const ADDRESS = ALICE;
  assert.equal(await popCount(srv.ports.pop3, ADDRESS), 0);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: srv.ports.smtp, secure: false, ignoreTLS: true });
  const t0 = Date.now();
  await transport.sendMail({ from: 'bob@example.org', to: ADDRESS, subject: 'e2e pop3', text: 'hello over POP3\n.dot line\n' });
  const accepted = Date.now();
  const n = await popUntil(ADDRESS, 1);
  const visible = Date.now() - accepted;
  t.diagnostic(`SMTP accept ${accepted - t0} ms, visible over POP3 ${visible} ms after the 250`);
  assert.equal(n, 1);
  if (!(await have('python3'))) return;
  const r = await run('python3', ['-c', `
import poplib, json
p = poplib.POP3('127.0.0.1', ${srv.ports.pop3}, timeout=10)
p.user('${ADDRESS}'); p.pass_('${PASS}')
lines = [l.decode() for l in p.retr(1)[1]]
p.dele(1); p.quit()
print(json.dumps(lines))`]);
  assert.equal(r.code, 0, r.stderr);
  const lines = JSON.parse(r.stdout) as string[];
  assert.ok(lines.includes('Subject: e2e pop3'));
  assert.ok(lines.includes('.dot line'));
  assert.equal(await popCount(srv.ports.pop3, ADDRESS), 0);
  assert.equal(srv.maildir(ADDRESS).length, 0, 'the file is gone from the Maildir');
});

test('IMAP and POP3 on the same mailbox: \\Deleted over IMAP hides mail from POP3; POP3 RETR and DELE show over IMAP', async (t) => {
  if (!(await have('python3'))) return t.skip('python3 not installed');
  const ADDRESS = CAROL;
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: srv.ports.smtp, secure: false, ignoreTLS: true });
  for (let i = 1; i <= 3; i++) await transport.sendMail({ from: 'bob@example.org', to: ADDRESS, subject: `cross ${i}`, text: `body ${i}\n` });
  assert.equal(await popUntil(ADDRESS, 3), 3, 'the three messages are delivered');
  const r = await run('python3', ['-c', `
import imaplib, poplib, json, re
def pop():
    p = poplib.POP3('127.0.0.1', ${srv.ports.pop3}, timeout=10)
    p.user('${ADDRESS}'); p.pass_('${PASS}')
    return p
def subjects(p):
    out = []
    for i in range(1, p.stat()[0] + 1):
        out.append([l.decode() for l in p.top(i, 0)[1] if l.startswith(b'Subject:')][0])
    return out
i = imaplib.IMAP4('127.0.0.1', ${srv.ports.imap})
i.login('${ADDRESS}', '${PASS}')
i.select('INBOX')
uids = i.uid('SEARCH', None, 'SUBJECT', '"cross 1"')[1][0].split()
i.uid('STORE', uids[0], '+FLAGS', '(\\\\Deleted)')
p = pop(); before = subjects(p)
p.retr(1)
p.dele(2)
p.quit()
i.noop()
typ, data = i.uid('SEARCH', None, 'SEEN')
seen_uids = data[0].split()
def subject_of(u):
    for item in i.uid('FETCH', u, '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')[1]:
        if isinstance(item, tuple): return item[1].decode().strip()
seen = [subject_of(u) for u in seen_uids]
typ, data = i.uid('SEARCH', None, 'ALL')
left = len(data[0].split())
i.logout()
print(json.dumps(dict(before=before, seen=seen, left=left)))
`]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { before: string[]; seen: string[]; left: number };
  assert.deepEqual(out.before, ['Subject: cross 2', 'Subject: cross 3'], 'the message flagged \\Deleted over IMAP is not offered by POP3');
  assert.deepEqual(out.seen, ['Subject: cross 2'], 'POP3 RETR set \\Seen, visible over IMAP');
  assert.equal(out.left, 2, 'POP3 DELE+QUIT removed cross 3; cross 1 (\\Deleted, not expunged) remains for IMAP');
});
