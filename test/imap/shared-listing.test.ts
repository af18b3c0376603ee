// Sessions on one mailbox share one message list (engine/imap/shared-listing.ts): two views of a folder hold the
// same listing object, a flag change by one reaches the other as a FETCH and both share the new listing, and a
// session that may not announce an EXPUNGE yet keeps a private copy until it may. Over both stores.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { MailboxView } from '../../engine/imap/mailbox-view.js';
import { sharedMailbox } from '../../engine/imap/shared-listing.js';
import type { LazyInfos, MailboxStore } from '../../engine/store/mailbox-store.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { MemoryStore } from '../../engine/store/memory-store.js';
import { maildirRoot } from '../../engine/store/maildir.js';
import { RANGE_LOG_MIN } from '../../engine/store/index-db.js';

const OWNER = 'hanako@example.test';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const msg = (subject: string) => Buffer.from(`From: a@example.test\r\nSubject: ${subject}\r\n\r\nbody\r\n`);
const opts = { allowExpunge: true, withUid: false, withModseq: false };

const stores: [string, () => MailboxStore][] = [
  ['memory', () => new MemoryStore()],
  [
    'maildir',
    () => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-shared-'));
      dirs.push(d);
      return new MaildirStore(d);
    },
  ],
];

for (const [kind, make] of stores) {
  test(`${kind}: two sessions on one mailbox share one listing; a flag change by one shows in the other`, async () => {
    const store = make();
    for (const s of ['一通目', 'second', 'third']) await store.append(OWNER, 'INBOX', msg(s));
    let bTold = 0;
    const a = await MailboxView.open(store, OWNER, 'INBOX', false, () => {});
    const b = await MailboxView.open(store, OWNER, 'INBOX', false, () => bTold++);
    assert.equal(a.view, b.view, 'one listing object for both sessions');
    assert.equal(a.infoOf(a.uids[1]), b.infoOf(b.uids[1]), 'one MessageInfo object per message');
    assert.equal(sharedMailbox(store, OWNER, 'INBOX').sessions, 2);

    // session a stores \Flagged on message 2, as STORE does
    const r = await store.updateFlags(OWNER, 'INBOX', [a.uids[1]], 'add', ['\\Flagged']);
    a.applyUpdated(r.updated);
    assert.ok(bTold > 0, 'b was told of the change');
    assert.deepEqual(await a.update(opts), [], 'no echo of its own change to a');
    assert.deepEqual(await b.update(opts), ['* 2 FETCH (FLAGS (\\Flagged))']);
    assert.equal(a.view, b.view, 'both share the new listing');
    assert.deepEqual(b.infoOf(b.uids[1])!.flags, ['\\Flagged']);
    assert.equal(a.infoOf(a.uids[0]), b.infoOf(b.uids[0]), 'unchanged messages keep their object');

    // an expunge b may not announce yet (inside FETCH): b keeps a private copy with the message, then rejoins
    await store.expunge(OWNER, 'INBOX', [a.uids[0]]);
    a.removeUids([a.uids[0]]);
    assert.deepEqual(await b.update({ ...opts, allowExpunge: false }), []);
    assert.equal(b.exists, 3, 'b still has the expunged message');
    assert.notEqual(a.view, b.view);
    assert.deepEqual(await b.update(opts), ['* 1 EXPUNGE']);
    assert.deepEqual(await a.update(opts), []);
    assert.equal(a.view, b.view, 'shared again once b was told');

    a.close();
    b.close();
    assert.equal(sharedMailbox(store, OWNER, 'INBOX').sessions, 0, 'the last close releases the mailbox');
  });
}

test('maildir: a first build of many messages is listed without an info per message until one is read, and behaves as any listing', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-shared-first-'));
  dirs.push(dataDir);
  const root = maildirRoot(dataDir, OWNER);
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(root, sub), { recursive: true });
  const n = RANGE_LOG_MIN + 200;
  const letters = ['', 'S', 'FS', '', 'RS'];
  for (let i = 0; i < n; i++) {
    const body = msg(i % 7 === 0 ? `日本語 ${i}` : `message ${i}`);
    const sec = 1_700_000_000 + Math.floor(i / 4);
    const file = path.join(root, 'cur', `${sec}.M${i}P7.host,S=${body.length}:2,${letters[i % 5]}`);
    fs.writeFileSync(file, body);
    fs.utimesSync(file, sec, sec);
  }
  const store = new MaildirStore(dataDir);
  let bTold = 0;
  const a = await MailboxView.open(store, OWNER, 'INBOX', false, () => {});
  const lazy = a.view.infos;
  assert.ok(!Array.isArray(lazy), 'the first build is listed lazily');
  const b = await MailboxView.open(store, OWNER, 'INBOX', false, () => bTold++);
  assert.equal(a.exists, n);
  assert.deepEqual(a.uids, Array.from({ length: n }, (_, i) => i + 1));
  // what SELECT reports: the first message without \Seen is the first; no keywords
  assert.deepEqual(a.flagSummary(), { keywords: new Set(), firstUnseen: 1 });
  // each info is made once and shared: both sessions and repeated reads get the same object
  assert.equal(a.infoAt(5), a.infoAt(5));
  assert.equal(a.infoOf(a.uids[4]), b.infoOf(b.uids[4]), 'one MessageInfo object per message');
  // the same as list() answers, message by message (its copies: equal values)
  const listed = await store.list(OWNER, 'INBOX');
  const plain = (m: { uid: number; size: number; flags: readonly string[]; modseq: number; key: string; internalDate: number }) => ({ uid: m.uid, size: m.size, flags: [...m.flags], modseq: m.modseq, key: m.key, internalDate: m.internalDate });
  for (let seq = 1; seq <= n; seq += 97) assert.deepEqual(plain(a.infoAt(seq)), plain(listed[seq - 1]), `message ${seq}`);
  assert.deepEqual(plain(a.infoAt(n)), plain(listed[n - 1]));
  assert.equal(a.infoAt(2).flags[0], '\\Seen');
  // a flag change by a reaches b as a FETCH, with no echo to a; both share the new listing
  const r = await store.updateFlags(OWNER, 'INBOX', [a.uids[3]], 'add', ['\\Flagged']);
  a.applyUpdated(r.updated);
  assert.ok(bTold > 0, 'b was told of the change');
  assert.deepEqual(await a.update(opts), []);
  assert.deepEqual(await b.update(opts), ['* 4 FETCH (FLAGS (\\Flagged))']);
  assert.equal(a.view, b.view, 'both share the new listing');
  assert.equal(a.infoOf(a.uids[0]), b.infoOf(b.uids[0]));
  assert.deepEqual(a.flagSummary(), { keywords: new Set(), firstUnseen: 1 });
  // the messages read as the listing says
  assert.match((await store.read(OWNER, 'INBOX', a.uids[7])).toString(), /Subject: 日本語 7/);
  a.close();
  b.close();
});

test('maildir: SELECT\'s first unseen of a first build comes from the build, and equals the walk over the messages', async () => {
  for (const unseenAt of [777, -1]) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-shared-unseen-'));
    dirs.push(dataDir);
    const root = maildirRoot(dataDir, OWNER);
    for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(root, sub), { recursive: true });
    const n = RANGE_LOG_MIN + 10;
    for (let i = 0; i < n; i++) {
      const body = msg(`message ${i}`);
      const sec = 1_700_000_000 + i;
      const file = path.join(root, 'cur', `${sec}.M${i}P7.host,S=${body.length}:2,${i === unseenAt ? 'F' : i % 2 ? 'S' : 'RS'}`);
      fs.writeFileSync(file, body);
      fs.utimesSync(file, sec, sec);
    }
    const store = new MaildirStore(dataDir);
    const a = await MailboxView.open(store, OWNER, 'INBOX', false, () => {});
    const lazy = a.view.infos as LazyInfos;
    assert.equal(lazy.firstUnseenPlain, unseenAt + 1, 'known from the build');
    const expected = { keywords: new Set(), firstUnseen: unseenAt + 1 };
    assert.deepEqual(a.flagSummary(), expected);
    // the messages' own flags, read one by one, say the same
    let walked = 0;
    for (let seq = 1; seq <= n && !walked; seq++) if (!a.infoAt(seq).flags.includes('\\Seen')) walked = seq;
    assert.equal(walked, unseenAt + 1);
    a.close();
  }
});
