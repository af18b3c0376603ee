// Reading the shared mailbox store of `tegami serve` on PostgreSQL as a user does: Python's imaplib against a node's
// IMAP listener (the mail is no longer in the node's Maildir, so TestServer.waitForMessage cannot see it).
// It only reads (EXAMINE, BODY.PEEK): the flags of what it looks at stay as they were.
import { run, type TestServer } from '../../helpers/server.js';

const COUNT = `
import imaplib, sys
host, port, user, pw, folder, needle = sys.argv[1:7]
i = imaplib.IMAP4(host, int(port), timeout=30)
i.login(user, pw)
typ, data = i.select('"%s"' % folder, readonly=True)
if typ != 'OK':
    print('count 0'); i.logout(); sys.exit(0)
n = 0
if int(data[0]) > 0:
    typ, msgs = i.fetch('1:*', '(BODY.PEEK[])')
    for m in msgs:
        if isinstance(m, tuple) and needle.encode('utf-8') in m[1]:
            n += 1
print('count', n)
i.logout()
`;

/** How many messages in the folder hold `needle` (read over IMAP on `srv`); -1 when the login or the read failed. */
export async function countOverImap(srv: TestServer, user: string, pw: string, folder: string, needle: string): Promise<number> {
  const r = await run('python3', ['-c', COUNT, srv.host, String(srv.ports.imap), user, pw, folder, needle]);
  const m = /^count (\d+)$/m.exec(r.stdout);
  return r.code === 0 && m ? Number(m[1]) : -1;
}

/** Poll until the message is in the folder, read over IMAP on `srv` (generous deadline: the machine may be slow). */
export async function waitOverImap(srv: TestServer, user: string, pw: string, needle: string, folder = 'INBOX', ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if ((await countOverImap(srv, user, pw, folder, needle)) > 0) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${needle} in ${user}'s ${folder} over IMAP; log: ${srv.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** One SMTP transaction with Python's smtplib; with "probe" it stops after RCPT (RSET), sending nothing. */
const SEND = `
import smtplib, sys, json
host, port, rcpt, test_id, mode = sys.argv[1:6]
s = smtplib.SMTP(host, int(port), local_hostname='client.example.net', timeout=30)
s.ehlo('client.example.net')
s.mail('sender@example.net')
code, msg = s.rcpt(rcpt)
if code != 250 or mode == 'probe':
    print(json.dumps({"rcpt": code, "msg": msg.decode()}))
    s.rset()
else:
    body = ('From: sender@example.net\\r\\nTo: %s\\r\\nSubject: %s\\r\\nX-Test-Id: %s\\r\\n\\r\\nこんにちは、共有メールボックスから。\\r\\n' % (rcpt, test_id, test_id)).encode('utf-8')
    code, msg = s.data(body)
    print(json.dumps({"rcpt": 250, "data": code, "msg": msg.decode()}))
s.quit()
`;

/** Send one message to a node (its Subject and X-Test-Id are `testId`), or with "probe" only ask RCPT; the replies. */
export async function send(srv: TestServer, rcpt: string, testId: string, mode: 'send' | 'probe' = 'send'): Promise<{ rcpt: number; data?: number; msg: string }> {
  const r = await run('python3', ['-c', SEND, srv.host, String(srv.ports.smtp), rcpt, testId, mode]);
  if (r.code !== 0) throw new Error(`smtplib failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { rcpt: number; data?: number; msg: string };
}

/** Poll `check` every 200 ms until it holds, for at most `ms`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
