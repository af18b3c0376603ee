// The account view of the MaildirStore (engine/store/maildir-account.ts, account-log.ts, account-index.ts):
// email ids that survive flag renames, moves and an IMAP-style copy+expunge, threads from Message-ID and
// References with the base subject, and one change history (created / updated / destroyed) for every change.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MaildirStore, INDEX_FILE } from '../../engine/store/maildir-store.js';
import { maildirRoot, writeMaildirMessage } from '../../engine/store/maildir.js';
import { emailIdOf, mailboxIdOf } from '../../engine/store/email-ids.js';
import { baseSubject, parseDate } from '../../engine/store/message-meta.js';

const OWNER = 'kana@example.jp';
const made: string[] = [];
function tmpData(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-account-'));
  made.push(dir);
  return dir;
}
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function mail(o: { id: string; subject: string; inReplyTo?: string; references?: string[] }): Buffer {
  const lines = [`From: Taro <taro@example.org>`, `To: ${OWNER}`, `Subject: ${o.subject}`, `Message-ID: <${o.id}>`, 'Date: Tue, 1 Jul 2025 10:52:37 +0900'];
  if (o.inReplyTo) lines.push(`In-Reply-To: <${o.inReplyTo}>`);
  if (o.references) lines.push(`References: ${o.references.map((r) => `<${r}>`).join(' ')}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\nbody\r\n');
}

test('emails get ids from their base names and threads from references with the base subject', async () => {
  const data = tmpData();
  const store = new MaildirStore(data);
  const root = maildirRoot(data, OWNER);
  await writeMaildirMessage(root, [mail({ id: 'a@x', subject: '会議の件' })]);
  // a reply whose parent arrives later: the parent joins the reply's thread
  await writeMaildirMessage(root, [mail({ id: 'c@x', subject: 'Re: 旅行', references: ['p@x'] })]);
  await writeMaildirMessage(root, [mail({ id: 'b@x', subject: 'ＲＥ： 会議の件', inReplyTo: 'a@x', references: ['a@x'] })]);
  await writeMaildirMessage(root, [mail({ id: 'p@x', subject: '旅行' })]);
  // same references, different subject: a new conversation
  await writeMaildirMessage(root, [mail({ id: 'd@x', subject: 'Re: 全然違う話', inReplyTo: 'a@x' })]);
  const st = await store.refreshAccount(OWNER);
  assert.ok(st.modseq > 0);
  const list = await store.list(OWNER, 'INBOX');
  const emails = await store.accountEmails(OWNER);
  assert.equal(emails.length, 5);
  const byMsgId = new Map(emails.map((e) => [e.meta!.messageId[0], e]));
  for (const m of list) assert.ok(emails.some((e) => e.id === emailIdOf(m.key)), 'id is the hash of the base name');
  assert.equal(byMsgId.get('b@x')!.threadId, byMsgId.get('a@x')!.threadId, 'a reply joins its parent');
  assert.equal(byMsgId.get('p@x')!.threadId, byMsgId.get('c@x')!.threadId, 'a parent arriving after its reply joins it');
  assert.notEqual(byMsgId.get('d@x')!.threadId, byMsgId.get('a@x')!.threadId, 'a changed subject starts a new thread');
  const members = await store.threadMembers(OWNER, [byMsgId.get('a@x')!.threadId!]);
  // members come in internal-date order, ties by id: a and b may be written within one millisecond, so compare as a set
  assert.deepEqual([...members.get(byMsgId.get('a@x')!.threadId!)!].sort(), [byMsgId.get('a@x')!.id, byMsgId.get('b@x')!.id].sort());
  assert.equal(byMsgId.get('a@x')!.meta!.subject, '会議の件');
  assert.equal(byMsgId.get('a@x')!.meta!.from, 'Taro');
  await store.close();
});

test('every change is in the history: created, updated, destroyed, with hidden \\Deleted mail and paging', async () => {
  const data = tmpData();
  const store = new MaildirStore(data);
  await store.createFolder(OWNER, 'Archive');
  const s0 = await store.refreshAccount(OWNER);
  const a = await store.append(OWNER, 'INBOX', mail({ id: '1@x', subject: 'one' }));
  const b = await store.append(OWNER, 'INBOX', mail({ id: '2@x', subject: 'two' }));
  const c = await store.append(OWNER, 'INBOX', mail({ id: '3@x', subject: 'three' }));
  const s1 = await store.refreshAccount(OWNER);
  const ids = Object.fromEntries((await store.list(OWNER, 'INBOX')).map((m) => [m.uid, emailIdOf(m.key)]));
  let ch = (await store.accountChanges(OWNER, 'Email', s0.types.Email, 100))!;
  assert.deepEqual(new Set(ch.created), new Set([ids[a.uid], ids[b.uid], ids[c.uid]]));
  assert.equal(ch.hasMore, false);
  assert.equal(ch.newModseq, s1.types.Email);

  await store.updateFlags(OWNER, 'INBOX', [a.uid], 'add', ['\\Seen']);
  await store.expunge(OWNER, 'INBOX', [b.uid]);
  await store.updateFlags(OWNER, 'INBOX', [c.uid], 'add', ['\\Deleted']);
  const d = await store.append(OWNER, 'INBOX', mail({ id: '4@x', subject: 'four' }));
  const dId = emailIdOf((await store.list(OWNER, 'INBOX')).find((m) => m.uid === d.uid)!.key);
  await store.expunge(OWNER, 'INBOX', [d.uid]);
  const s2 = await store.refreshAccount(OWNER);
  ch = (await store.accountChanges(OWNER, 'Email', s1.types.Email, 100))!;
  assert.deepEqual(ch.updated, [ids[a.uid]]);
  assert.deepEqual(new Set(ch.destroyed), new Set([ids[b.uid], ids[c.uid]]), '\\Deleted hides the email from the account');
  assert.ok(!ch.created.includes(dId) && !ch.destroyed.includes(dId), 'created and destroyed since: not reported');
  assert.equal(ch.newModseq, s2.types.Email);
  assert.deepEqual((await store.accountEmails(OWNER)).map((e) => e.id), [ids[a.uid]]);

  // flag and counts changes make the mailbox "updated", counts only
  const mb = (await store.accountChanges(OWNER, 'Mailbox', s1.types.Mailbox, 100))!;
  const inbox = (await store.accountFolders(OWNER)).find((f) => f.name === 'INBOX')!;
  assert.deepEqual(mb.updated, [mailboxIdOf(inbox.uidValidity)]);
  assert.equal(mb.countsOnly, true);
  assert.deepEqual(inbox.counts, { total: 1, unread: 0, threads: 1, unreadThreads: 0 });

  // paging from s0 one id at a time never reports something as updated before it was created
  let since = s0.types.Email;
  const seen = new Map<string, string>();
  for (let guard = 0; guard < 20; guard++) {
    const p = (await store.accountChanges(OWNER, 'Email', since, 1))!;
    assert.ok(p.created.length + p.updated.length + p.destroyed.length <= 1);
    for (const id of p.created) seen.set(id, 'created');
    for (const id of p.updated) assert.ok(seen.has(id), `${id} updated before created`);
    for (const id of p.destroyed) seen.set(id, 'destroyed');
    since = p.newModseq;
    if (!p.hasMore) break;
  }
  assert.equal(since, s2.types.Email);
  assert.equal(seen.get(ids[b.uid]), 'destroyed');
  await store.close();
});

test('a move and an IMAP-style copy + expunge keep the email id; the mailbox changes, the email stays', async () => {
  const data = tmpData();
  const store = new MaildirStore(data);
  await store.createFolder(OWNER, 'Archive');
  const a = await store.append(OWNER, 'INBOX', mail({ id: 'm1@x', subject: 'move me' }), { flags: ['\\Flagged'] });
  const b = await store.append(OWNER, 'INBOX', mail({ id: 'm2@x', subject: 'copy me' }));
  await store.refreshAccount(OWNER);
  const before = new Map((await store.accountEmails(OWNER)).map((e) => [e.meta!.messageId[0], e]));
  const s1 = await store.refreshAccount(OWNER);
  const moved = await store.move(OWNER, 'INBOX', [a.uid], 'Archive');
  assert.equal(moved.mapping.length, 1);
  const copied = await store.copy(OWNER, 'INBOX', [b.uid], 'Archive');
  const both = (await store.accountEmails(OWNER, [before.get('m2@x')!.id]))[0];
  assert.deepEqual(both.copies.map((c) => c.folder).sort(), ['Archive', 'INBOX'], 'after COPY one email is in two mailboxes');
  await store.expunge(OWNER, 'INBOX', [b.uid]);
  await store.refreshAccount(OWNER);
  const after = new Map((await store.accountEmails(OWNER)).map((e) => [e.meta!.messageId[0], e]));
  for (const k of ['m1@x', 'm2@x']) {
    assert.equal(after.get(k)!.id, before.get(k)!.id, `${k} keeps its id`);
    assert.equal(after.get(k)!.threadId, before.get(k)!.threadId);
    assert.deepEqual(after.get(k)!.copies.map((c) => c.folder), ['Archive']);
  }
  assert.equal(after.get('m1@x')!.copies[0].letters, 'F', 'flags travel with the file');
  const ch = (await store.accountChanges(OWNER, 'Email', s1.types.Email, 100))!;
  assert.deepEqual(ch.destroyed, [], 'never destroyed');
  assert.deepEqual(ch.created, []);
  assert.deepEqual(new Set(ch.updated), new Set([before.get('m1@x')!.id, before.get('m2@x')!.id]));
  // a copy of the copy back into a folder that already holds that name is a new email
  const again = await store.copy(OWNER, 'Archive', [copied.mapping[0][1]], 'INBOX');
  const c2 = await store.copy(OWNER, 'INBOX', [again.mapping[0][1]], 'Archive');
  assert.equal(c2.mapping.length, 1);
  await store.refreshAccount(OWNER);
  const archived = (await store.accountEmails(OWNER)).filter((e) => e.copies.some((c) => c.folder === 'Archive') && e.meta?.messageId[0] === 'm2@x');
  assert.equal(archived.length, 2, 'two distinct emails now carry that Message-ID');
  await store.close();
});

test('folders: created, renamed (id kept), subscribed and deleted are Mailbox changes; a lost index starts a new history', async () => {
  const data = tmpData();
  const store = new MaildirStore(data);
  const s0 = await store.refreshAccount(OWNER);
  await store.createFolder(OWNER, '仕事');
  const id = mailboxIdOf((await store.accountFolders(OWNER)).find((f) => f.name === '仕事')!.uidValidity);
  let ch = (await store.accountChanges(OWNER, 'Mailbox', s0.types.Mailbox, 100))!;
  assert.ok(ch.created.includes(id));
  const s1 = await store.refreshAccount(OWNER);
  await store.renameFolder(OWNER, '仕事', '業務/2025');
  await store.setSubscribed(OWNER, '業務/2025', true);
  const renamed = (await store.accountFolders(OWNER)).find((f) => f.name === '業務/2025')!;
  assert.equal(mailboxIdOf(renamed.uidValidity), id, 'a rename keeps the mailbox id');
  assert.equal(renamed.subscribed, true);
  ch = (await store.accountChanges(OWNER, 'Mailbox', s1.types.Mailbox, 100))!;
  assert.deepEqual(ch.updated, [id]);
  assert.equal(ch.countsOnly, false);
  await store.deleteFolder(OWNER, '業務/2025');
  ch = (await store.accountChanges(OWNER, 'Mailbox', s1.types.Mailbox, 100))!;
  assert.deepEqual(ch.destroyed, [id]);
  // a folder removed behind the index's back (another process) is destroyed at the next refresh
  await store.createFolder(OWNER, 'gone');
  const s2 = await store.refreshAccount(OWNER);
  const goneId = mailboxIdOf((await store.accountFolders(OWNER)).find((f) => f.name === 'gone')!.uidValidity);
  fs.rmSync(path.join(maildirRoot(data, OWNER), '.gone'), { recursive: true });
  await store.refreshAccount(OWNER);
  assert.deepEqual((await store.accountChanges(OWNER, 'Mailbox', s2.types.Mailbox, 100))!.destroyed, [goneId]);
  await store.close();
  fs.rmSync(path.join(maildirRoot(data, OWNER), INDEX_FILE));
  const fresh = new MaildirStore(data);
  const s3 = await fresh.refreshAccount(OWNER);
  assert.notEqual(s3.epoch, s2.epoch, 'a rebuilt index is a new history');
  await fresh.close();
});

test('destroyed rows beyond the kept number are trimmed and older states can no longer be answered', async () => {
  const data = tmpData();
  const store = new MaildirStore(data);
  const s0 = await store.refreshAccount(OWNER);
  for (let i = 0; i < 5; i++) {
    const r = await store.append(OWNER, 'INBOX', mail({ id: `t${i}@x`, subject: `t${i}` }));
    await store.refreshAccount(OWNER);
    await store.expunge(OWNER, 'INBOX', [r.uid]);
  }
  const s1 = await store.refreshAccount(OWNER);
  assert.ok(await store.accountChanges(OWNER, 'Email', s0.types.Email, 100));
  // trimming is the log's own job; reach it through a fresh handle on the same index
  const { IndexDb } = await import('../../engine/store/index-db.js');
  const idx = new IndexDb(path.join(maildirRoot(data, OWNER), INDEX_FILE));
  idx.log.trim(2);
  idx.close();
  assert.equal(await store.accountChanges(OWNER, 'Email', s0.types.Email, 100), null, 'cannot calculate from before the floor');
  assert.ok(await store.accountChanges(OWNER, 'Email', s1.types.Email, 100));
  await store.close();
});

test('base subjects and dates as mail writes them', () => {
  assert.equal(baseSubject('Re: Fwd: [ml:123] RE[2]: 会議'), '会議');
  assert.equal(baseSubject('ＲＥ：　転送: お知らせ (fwd)'), 'お知らせ');
  assert.deepEqual(parseDate('Tue, 1 Jul 2025 10:52:37 +0900'), { ms: Date.UTC(2025, 6, 1, 1, 52, 37), offset: 540 });
  assert.deepEqual(parseDate('1 Jul 25 10:52 JST (日本時間)'), { ms: Date.UTC(2025, 6, 1, 1, 52, 0), offset: 540 });
  assert.equal(parseDate('yesterday'), null);
});

test('an index written by an older tegami (no account view) is migrated in place: UIDs kept, email ids from base names', async () => {
  const data = tmpData();
  const root = maildirRoot(data, OWNER);
  await writeMaildirMessage(root, [mail({ id: 'old@x', subject: 'from before' })]);
  const first = new MaildirStore(data);
  const before = await first.list(OWNER, 'INBOX');
  await first.close();
  // make the index look like one from before the account view: no eid column content, version 0
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(path.join(root, INDEX_FILE));
  db.exec("UPDATE messages SET eid = ''");
  db.exec('DROP TABLE changes; DROP TABLE account; DROP TABLE meta');
  db.pragma('user_version = 0');
  db.close();
  const again = new MaildirStore(data);
  const after = await again.list(OWNER, 'INBOX');
  assert.deepEqual(after.map((m) => [m.uid, m.key]), before.map((m) => [m.uid, m.key]), 'UIDs and keys unchanged');
  await again.refreshAccount(OWNER);
  const [e] = await again.accountEmails(OWNER);
  assert.equal(e.id, emailIdOf(before[0].key));
  assert.equal(e.meta?.subject, 'from before');
  await again.close();
});

test("the account's email rows are read again after any change, by this store or by another one on the same data dir", async () => {
  const data = tmpData();
  const a = new MaildirStore(data);
  const b = new MaildirStore(data); // another connection to the same index, as another process would have
  const first = await a.append(OWNER, 'INBOX', mail({ id: 'one@x', subject: 'キャッシュ' }));
  await a.refreshAccount(OWNER);
  const flagsOf = async (s: MaildirStore) => (await s.accountEmails(OWNER)).map((e) => e.copies.map((c) => c.letters).join('|'));
  assert.deepEqual(await flagsOf(a), ['']);
  assert.deepEqual(await flagsOf(a), ['']); // answered from the rows already read
  await a.updateFlags(OWNER, 'INBOX', [first.uid], 'add', ['\\Seen']);
  assert.deepEqual(await flagsOf(a), ['S'], 'a change through this store');
  await b.refreshAccount(OWNER);
  await b.updateFlags(OWNER, 'INBOX', [first.uid], 'add', ['\\Flagged']);
  assert.deepEqual(await flagsOf(a), ['FS'], 'a change committed by another connection');
  await b.append(OWNER, 'INBOX', mail({ id: 'two@x', subject: '二通目' }));
  await b.refreshAccount(OWNER);
  assert.equal((await a.accountEmails(OWNER)).length, 2, 'an email added by another connection');
});
