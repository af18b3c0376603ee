// readListedInto (POP3 RETR's read): the message's octets into the caller's buffer when the folder's cached
// listing names its file, and null — never another message's octets, never a short one — whenever it cannot be
// sure: another program renamed or removed the file, the file's size is not the recorded one, this store wrote
// the index since the listing, the account's Maildir went away, no room. read() then does it (and corrects).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MaildirStore, StoreError } from '../../engine/store/maildir-store.js';
import { maildirRoot } from '../../engine/store/maildir.js';

const OWNER = 'hanako@example.jp';
const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});
const msg = (n: number) => Buffer.from(`From: a@example.org\r\nTo: ${OWNER}\r\nSubject: =?UTF-8?B?${Buffer.from(`会議 ${n}`).toString('base64')}?=\r\n\r\n本文 ${n}\r\n`);

function into(store: MaildirStore, uid: number, size = 4096): Buffer | null {
  const buf = Buffer.alloc(size, 0x2a);
  const n = store.readInto(OWNER, 'INBOX', uid, buf, 7);
  return n === null ? null : buf.subarray(7, 7 + n);
}

test('readInto: the listed file read in place; null when renamed, removed, resized, stale, gone or without room', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-readinto-'));
  made.push(data);
  const store = new MaildirStore(data);
  const uids: number[] = [];
  for (let i = 1; i <= 5; i++) uids.push((await store.append(OWNER, 'inbox', msg(i))).uid);
  assert.equal(into(new MaildirStore(data), uids[0]), null, 'no open handle: read() opens it');
  await store.list(OWNER, 'INBOX');
  for (let i = 0; i < 5; i++) assert.deepEqual(into(store, uids[i]), msg(i + 1));
  assert.equal(into(store, uids[0], msg(1).length + 7), null, 'no room for one octet more');
  assert.deepEqual(into(store, uids[0], msg(1).length + 8), msg(1));
  assert.equal(into(store, 999), null, 'not listed');
  const cur = path.join(maildirRoot(data, OWNER), 'cur');
  const fileOf = (n: number) => fs.readdirSync(cur).find((f) => fs.readFileSync(path.join(cur, f)).equals(msg(n)))!;

  // another program renames message 2 (a flag) and removes message 3
  fs.renameSync(path.join(cur, fileOf(2)), path.join(cur, fileOf(2).replace(/:2,.*$/, ':2,F')));
  fs.unlinkSync(path.join(cur, fileOf(3)));
  assert.equal(into(store, uids[1]), null);
  assert.deepEqual(await store.read(OWNER, 'INBOX', uids[1]), msg(2));
  assert.equal(into(store, uids[2]), null);
  await assert.rejects(store.read(OWNER, 'INBOX', uids[2]), (e: unknown) => e instanceof StoreError && e.code === 'NONEXISTENT');

  // message 4's file grows and message 5's shrinks behind the index's back: never served at the recorded size
  await store.list(OWNER, 'INBOX');
  const longer = Buffer.concat([msg(4), Buffer.from('追記\r\n')]);
  fs.writeFileSync(path.join(cur, fileOf(4)), longer);
  const shorter = msg(5).subarray(0, 20);
  fs.writeFileSync(path.join(cur, fileOf(5)), shorter);
  assert.equal(into(store, uids[3]), null, 'longer than recorded');
  assert.equal(into(store, uids[4]), null, 'shorter than recorded');
  assert.deepEqual(await store.read(OWNER, 'INBOX', uids[3]), longer);
  assert.deepEqual(await store.read(OWNER, 'INBOX', uids[4]), shorter);
  // read() corrected the sizes; a new listing has them and the fast path serves them
  const sizes = new Map((await store.list(OWNER, 'INBOX')).map((m) => [m.uid, m.size]));
  assert.equal(sizes.get(uids[3]), longer.length);
  assert.deepEqual(into(store, uids[3]), longer);
  assert.deepEqual(into(store, uids[4]), shorter);

  // this store's own write (a flag renames the file): the listing is not used until the next list()
  await store.updateFlags(OWNER, 'INBOX', [uids[0]], 'add', ['\\Seen']);
  assert.equal(into(store, uids[0]), null);
  assert.deepEqual(await store.read(OWNER, 'INBOX', uids[0]), msg(1));
  await store.list(OWNER, 'INBOX');
  assert.deepEqual(into(store, uids[0]), msg(1));

  // the account's Maildir moved away (deleted): nothing is read from where it was
  fs.renameSync(maildirRoot(data, OWNER), maildirRoot(data, OWNER) + '.deleted');
  assert.equal(into(store, uids[0]), null);
  await store.close();
});
