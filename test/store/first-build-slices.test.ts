// A folder's first build of many messages records them in one step and writes their index rows later; those rows
// were written in one transaction, which held every session of the node for half a second with 30,000 messages
// (security review 9, left open 3). They are now written SLICE_ROWS per transaction with a turn of the event loop
// between two. Checked without a clock: a second connection reads the row count once per turn (a chain of
// setImmediate), so each step it sees is the work done in one turn; the old code went from none to all in one.
// A second store (another process) that reads the folder half way writes the rest from the record, as it would
// after a crash between two slices, and lists what the first store lists.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { maildirRoot } from '../../engine/store/maildir.js';
import { INDEX_FILE } from '../../engine/store/maildir-users.js';
import { SLICE_ROWS } from '../../engine/store/index-build.js';
import type { MessageInfo } from '../../engine/store/mailbox-store.js';

const OWNER = 'hanako@example.jp';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const plain = (m: MessageInfo) => ({ uid: m.uid, size: m.size, flags: [...m.flags], modseq: m.modseq, key: m.key });

test("a first build's rows are written a slice per turn of the event loop, and a reader half way finishes them", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-build-slices-'));
  dirs.push(dataDir);
  const root = maildirRoot(dataDir, OWNER);
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(root, sub), { recursive: true });
  const n = 3 * SLICE_ROWS + 321;
  const subjects = ['=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=', '=?Shift_JIS?B?k/qWe4zq?=', '=?EUC-JP?B?xvzL3Ljs?=', '日本語'];
  for (let i = 0; i < n; i++) {
    const body = Buffer.from(`Subject: ${subjects[i % 4]} ${i}\r\n\r\nbody ${i}\r\n`);
    const base = `${1_700_000_000 + Math.floor(i / 3)}.M${i}P7.host,S=${body.length}`;
    fs.writeFileSync(path.join(root, 'cur', `${base}:2,${i % 3 ? 'S' : ''}`), body);
  }
  const store = new MaildirStore(dataDir);
  const st = await store.status(OWNER, 'INBOX'); // the first build: one record, no rows yet
  assert.equal(st.messages, n);
  const listed = (await store.list(OWNER, 'INBOX')).map(plain);

  const peek = new Database(path.join(root, INDEX_FILE), { readonly: true });
  const rows = peek.prepare<[], number>('SELECT count(*) FROM messages').pluck();
  assert.equal(rows.get(), 0, 'the rows are written after the SELECT that built the folder');
  // once per turn, as any other session's command would get one: the rows in the index then
  const seen: number[] = [];
  let fresh = null as MaildirStore | null;
  let freshList = null as Promise<MessageInfo[]> | null;
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`rows never all written; seen ${seen.join(',')}`)), 120_000);
    const turn = () => {
      const c = rows.get()!;
      if (c !== seen[seen.length - 1]) seen.push(c);
      // two slices in: another store (another process) reads the folder and must finish the rest from the record
      if (!fresh && c >= 2 * SLICE_ROWS) {
        fresh = new MaildirStore(dataDir);
        freshList = fresh.list(OWNER, 'INBOX');
      }
      if (c === n) {
        clearTimeout(deadline);
        resolve();
      } else setImmediate(turn);
    };
    setImmediate(turn); // the rows come 2 s after the build (the store's timer), a slice per turn
  });
  peek.close();
  assert.equal(seen[0], 0);
  for (let k = 1; k < seen.length; k++) {
    assert.ok(seen[k] - seen[k - 1] <= n - 2 * SLICE_ROWS, `one turn wrote ${seen[k] - seen[k - 1]} rows (seen ${seen.join(',')})`);
  }
  assert.ok(seen.includes(SLICE_ROWS) && seen.includes(2 * SLICE_ROWS), `a slice per turn until the other reader (seen ${seen.join(',')})`);
  assert.ok(fresh && freshList, 'the second store read the folder half way');
  assert.deepEqual((await freshList!).map(plain), listed, 'the rest written from the record: the same UIDs, sizes, flags, MODSEQs');
  const again = new MaildirStore(dataDir);
  assert.deepEqual((await again.list(OWNER, 'INBOX')).map(plain), listed);
  assert.deepEqual(await again.status(OWNER, 'INBOX'), st);
  await store.close();
  await fresh!.close();
  await again.close();
});
