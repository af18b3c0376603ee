// A large folder's first SELECT answers from its names before the index rows are written (engine/store/
// index-build.ts keeps the build as one record): Python's imaplib selects a 1,200-message Maildir whose names
// carry sizes or not and flags in any order or none, kills the server with SIGKILL right after its FETCH, and
// after a restart (one message delivered meanwhile) sees the same UIDVALIDITY, the same UID for every message,
// and the new one above them — the UIDs handed out are never reused or changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { maildirRoot, writeMaildirMessage } from '../../engine/store/maildir.js';
import { INDEX_FILE } from '../../engine/store/maildir-store.js';
import { hasCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const USER = 'kana@example.test';
const PW = 'kana-pass-1';
const N = 1200;
let srv: TestServer;
/** What each message must show, in UID order: size and flags. */
const expected: { size: number; flags: string[] }[] = [];

before(async () => {
  srv = await startTestServer({ listeners: ['imap'], users: [{ address: USER, password: PW }], toml: '[spam]\nenabled = false' });
  const cur = path.join(maildirRoot(srv.dataDir, USER), 'cur');
  fs.mkdirSync(cur, { recursive: true });
  const t = 1_700_000_000;
  const subjects = ['=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=', '=?Shift_JIS?B?k/qWe4zq?=', '=?EUC-JP?B?xvzL3Ljs?=', '日本語'];
  // written in another order than delivery order
  for (let k = 0; k < N; k++) {
    const i = (k * 7919) % N;
    const body = Buffer.from(`From: a@example.jp\r\nSubject: ${subjects[i % 4]} ${i}\r\n\r\n${'本文'.repeat(i % 50)}\r\n`);
    const sec = t + i;
    let base = `${sec}.M${i}P7.host,S=${body.length}`;
    let info = ':2,S';
    let flags = ['\\Seen'];
    if (i % 5 === 0) base = `${sec}.M${i}P7.other-mda`; // no size in the name: stat'ed
    if (i % 7 === 0) [info, flags] = [':2,aS', ['\\Seen']]; // a Dovecot keyword letter beside \Seen
    if (i % 11 === 0) [info, flags] = [':2,TFR', ['\\Answered', '\\Flagged', '\\Deleted']]; // letters out of order
    if (i % 13 === 0) [info, flags] = ['', []]; // no info at all
    if (i % 17 === 0) base = `${sec}.M${i}P7.日本のホスト,S=${body.length}`;
    const file = path.join(cur, base + info);
    fs.writeFileSync(file, body);
    expected[i] = { size: body.length, flags };
  }
  fs.writeFileSync(path.join(cur, '.hidden'), 'not mail');
  fs.mkdirSync(path.join(cur, 'a-directory'));
});

after(async () => {
  await srv?.stop('SIGKILL');
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

/** SELECT INBOX and FETCH every message's UID, FLAGS and RFC822.SIZE; then kill `killPid` (0: none) at once. */
const SCRIPT = `
import imaplib, json, os, re, signal, sys
port, user, pw, kill = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
m = imaplib.IMAP4('127.0.0.1', port, timeout=60)
m.login(user, pw)
typ, data = m.select('INBOX')
uv = int(m.untagged_responses['UIDVALIDITY'][0])
un = int(m.untagged_responses['UIDNEXT'][0])
typ, rows = m.fetch('1:*', '(UID FLAGS RFC822.SIZE)')
if kill:
    os.kill(kill, signal.SIGKILL)
out = []
for r in rows:
    s = r.decode()
    out.append({'uid': int(re.search(r'UID (\\d+)', s).group(1)), 'size': int(re.search(r'RFC822.SIZE (\\d+)', s).group(1)),
                'flags': [f for f in re.search(r'FLAGS \\(([^)]*)\\)', s).group(1).split() if f != '\\\\Recent']})
print(json.dumps({'uidvalidity': uv, 'uidnext': un, 'exists': int(data[0]), 'messages': out}))
`;

type Seen = { uidvalidity: number; uidnext: number; exists: number; messages: { uid: number; size: number; flags: string[] }[] };

async function look(kill: number): Promise<Seen> {
  const r = await run('python3', ['-c', SCRIPT, String(srv.ports.imap), USER, PW, String(kill)], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `imaplib: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Seen;
}

const sorted = (f: string[]) => [...f].sort();

test('a first SELECT answered before the index rows are written keeps its UIDs across kill -9', { skip: !hasCommand('python3') }, async (t) => {
  const first = await look(srv.proc.pid!);
  await new Promise((r) => (srv.proc.exitCode !== null || srv.proc.signalCode ? r(null) : srv.proc.once('exit', r)));
  assert.equal(first.exists, N);
  assert.equal(first.uidnext, N + 1);
  assert.deepEqual(first.messages.map((m) => m.uid), Array.from({ length: N }, (_, i) => i + 1), 'UIDs in delivery order');
  assert.deepEqual(first.messages.map((m) => m.size), expected.map((e) => e.size), 'sizes from the names, or stat');
  assert.deepEqual(first.messages.map((m) => sorted(m.flags)), expected.map((e) => sorted(e.flags)));

  // whether the rows were written before the kill depends on timing: said, not asserted
  const db = new Database(path.join(maildirRoot(srv.dataDir, USER), INDEX_FILE), { readonly: true });
  const waiting = (db.prepare('SELECT count(*) AS n FROM builds').get() as { n: number }).n;
  db.close();
  t.diagnostic(`first-build records left by the kill: ${waiting}`);

  // mail delivered while the server is down, then the restart
  await writeMaildirMessage(maildirRoot(srv.dataDir, USER), [Buffer.from('From: b@example.jp\r\nSubject: after\r\n\r\nafter the crash\r\n')]);
  await srv.restart();
  const again = await look(0);
  assert.equal(again.uidvalidity, first.uidvalidity, 'the same UIDVALIDITY');
  assert.deepEqual(again.messages.slice(0, N), first.messages, 'every UID names the message it named before');
  assert.equal(again.messages[N].uid, N + 1, 'new mail above the UIDs handed out');
  assert.equal(again.uidnext, N + 2);

  const after = new Database(path.join(maildirRoot(srv.dataDir, USER), INDEX_FILE), { readonly: true });
  assert.equal((after.prepare('SELECT count(*) AS n FROM builds').get() as { n: number }).n, 0, 'the record became rows');
  assert.equal((after.prepare("SELECT count(*) AS n FROM messages WHERE folder = 'INBOX'").get() as { n: number }).n, N + 1);
  after.close();
});
