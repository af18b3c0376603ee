// Issue 10 #3 over real sockets: an HTML message whose link text is 400 KB of "a.a.a.…" (the host pattern of the old
// HTML check needed about a quarter of an hour for it) must hold up neither another delivery (swaks sends both) nor,
// when a user moves it into Spam over IMAP and the filter learns it, another IMAP session (Python's imaplib).
// Deadlines are generous (60 s): the old code blew through them by an order of magnitude and more.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startTestServer, requireCommand, run, type TestServer } from '../helpers/server.js';

const ALICE = 'alice@example.test';
const BOB = 'robert@example.test';
const PASSWORD = 'correct horse battery';

function hostileMessage(to: string, subject: string): Buffer {
  const link = 'a.'.repeat(200_000);
  return Buffer.from(
    [
      'From: Promo <promo@sender.example>',
      `To: ${to}`,
      `Subject: ${subject}`,
      `Message-ID: <${subject.replace(/\W/g, '')}@sender.example>`,
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset=utf-8',
      '',
      `<html><body><p>Offer</p><a href="http://example.com/">${link}</a><p>end</p></body></html>`,
      '',
    ].join('\r\n'),
  );
}

const plainMessage = (to: string, subject: string) =>
  Buffer.from(`From: friend@sender.example\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@sender.example>\r\n\r\nHello.\r\n`);

async function swaks(srv: TestServer, to: string, raw: Buffer): Promise<void> {
  const file = path.join(srv.dir, `msg-${Math.random().toString(36).slice(2)}.eml`);
  fs.writeFileSync(file, raw);
  const r = await run('swaks', ['--server', `127.0.0.1:${srv.ports.smtp}`, '--from', 'promo@sender.example', '--to', to, '--data', `@${file}`, '--timeout', '120'], { timeoutMs: 150_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\n -> \.\n<- {2}250 /);
}

/** Session A moves UID 1 of INBOX into Spam while session B, started after, asks NOOP; both replies are printed. */
const MOVE_AND_NOOP = `
import imaplib, sys, threading, time
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
a = imaplib.IMAP4(host, port, timeout=120); a.login(user, password); a.select('INBOX')
b = imaplib.IMAP4(host, port, timeout=120); b.login(user, password)
res = {}
def move():
    try: res['move'] = a.uid('MOVE', '1', 'Spam')[0]
    except Exception as e: res['move'] = 'error ' + str(e)
t = threading.Thread(target=move); t.start()
time.sleep(0.3)
b.sock.settimeout(60)
try:
    print('noop', b.noop()[0], flush=True)
except Exception as e:
    print('noop error', e, flush=True); sys.exit(1)
t.join(120)
print('move', res.get('move'), flush=True)
`;

const APPEND = `
import imaplib, sys, time
host, port, user, password, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
m = imaplib.IMAP4(host, port, timeout=60); m.login(user, password)
print(m.append('INBOX', None, imaplib.Time2Internaldate(time.time()), open(path, 'rb').read())[0], flush=True)
`;

describe('a message whose HTML would take a quadratic scanner minutes', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({
      listeners: ['smtp', 'imap'],
      users: [
        { address: ALICE, password: PASSWORD },
        { address: BOB, password: PASSWORD },
      ],
      // one worker thread: a task stuck in it would hold up every other delivery
      toml: '[queue]\nworkers = 1\n[imap]\nallow_insecure_auth = true',
    });
  });
  after(async () => {
    await srv?.stop();
  });

  it('holds up no other delivery: swaks sends it, then a plain message; both land', { timeout: 300_000 }, async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    await swaks(srv, BOB, hostileMessage(BOB, 'hostile-smtp'));
    await swaks(srv, BOB, plainMessage(BOB, 'plain-after'));
    const deadline = Date.now() + 60_000;
    const landed = () => [...srv.maildir(BOB, 'INBOX'), ...srv.maildir(BOB, 'Spam')].map((f) => fs.readFileSync(f, 'latin1'));
    while (!landed().some((m) => m.includes('Subject: plain-after'))) {
      assert.ok(Date.now() < deadline, `the plain message was not delivered within 60 s: ${srv.output().slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    while (!landed().some((m) => m.includes('Subject: hostile-smtp'))) {
      assert.ok(Date.now() < deadline, 'the hostile message was not delivered within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it('moving it into Spam over IMAP learns it in the worker pool while another session gets NOOP answered', { timeout: 300_000 }, async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const file = path.join(srv.dir, 'hostile-imap.eml');
    fs.writeFileSync(file, hostileMessage(ALICE, 'hostile-imap'));
    const appended = await run('python3', ['-c', APPEND, '127.0.0.1', String(srv.ports.imap), ALICE, PASSWORD, file], { timeoutMs: 90_000 });
    assert.equal(appended.stdout.trim(), 'OK', appended.stderr);

    const r = await run('python3', ['-c', MOVE_AND_NOOP, '127.0.0.1', String(srv.ports.imap), ALICE, PASSWORD], { timeoutMs: 200_000 });
    assert.match(r.stdout, /^noop OK$/m, `NOOP in the other session was not answered within 60 s: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^move OK$/m, r.stdout + r.stderr);
    assert.equal(srv.maildir(ALICE, 'Spam').length, 1);

    // learnt as spam for alice (the MOVE reply waits for the learning)
    const db = new Database(path.join(srv.dataDir, 'bayes.db'), { readonly: true });
    try {
      const row = db.prepare("SELECT count(*) AS n FROM learnt WHERE owner = ? AND kind = 'spam'").get(ALICE) as { n: number };
      assert.equal(row.n, 1);
    } finally {
      db.close();
    }
    assert.doesNotMatch(srv.output(), /learn\.error/);
  });
});
