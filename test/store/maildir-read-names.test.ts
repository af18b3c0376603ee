// Reads take a message's file name from the folder's cached listing (no index query per read): a name another
// program changed since, or this store's own renames and expunges, must never make a read fail or return
// another message. Japanese subjects, so a wrong file would show.
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

test('reads follow renames by another program and by the store itself, and fail cleanly for expunged mail', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-readnames-'));
  made.push(data);
  const store = new MaildirStore(data);
  const uids: number[] = [];
  for (let i = 1; i <= 4; i++) uids.push((await store.append(OWNER, 'INBOX', msg(i))).uid);
  await store.list(OWNER, 'INBOX'); // the listing (and the file names it caches) is made here
  const cur = path.join(maildirRoot(data, OWNER), 'cur');

  // another program (Dovecot, mutt) renames message 2's file: the cached name is stale
  const second = fs.readdirSync(cur).find((f) => fs.readFileSync(path.join(cur, f)).equals(msg(2)))!;
  fs.renameSync(path.join(cur, second), path.join(cur, second.replace(/:2,.*$/, ':2,FS')));
  assert.deepEqual(await store.read(OWNER, 'INBOX', uids[1]), msg(2));

  // this store renames message 3 (a flag) and expunges message 4, with no list() in between
  await store.updateFlags(OWNER, 'INBOX', [uids[2]], 'add', ['\\Seen']);
  assert.deepEqual(await store.read(OWNER, 'INBOX', uids[2]), msg(3));
  await store.expunge(OWNER, 'INBOX', [uids[3]]);
  await assert.rejects(store.read(OWNER, 'INBOX', uids[3]), (e: unknown) => e instanceof StoreError && e.code === 'NONEXISTENT');

  // another program removes message 1 behind our back after a fresh listing
  await store.list(OWNER, 'INBOX');
  const first = fs.readdirSync(cur).find((f) => fs.readFileSync(path.join(cur, f)).equals(msg(1)))!;
  fs.unlinkSync(path.join(cur, first));
  await assert.rejects(store.read(OWNER, 'INBOX', uids[0]), (e: unknown) => e instanceof StoreError && e.code === 'NONEXISTENT');
  assert.deepEqual(await store.read(OWNER, 'INBOX', uids[1]), msg(2));
  assert.deepEqual(await store.read(OWNER, 'INBOX', uids[2]), msg(3));
  await store.close();
});
