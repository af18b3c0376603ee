// Large messages as files in the MaildirStore (maildir-files.ts): a staged file in the owner's tmp/ is moved into
// a folder's cur/ with its flags (in the name), internal date (mtime) and size, and indexed; only this owner's
// staged files are taken; a stored message opens for chunked reads that survive a flag rename; stale tmp/
// files are swept; the memory store behaves alike.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MaildirStore, StoreError } from '../../engine/store/maildir-store.js';
import { maildirRoot } from '../../engine/store/maildir.js';
import { MemoryStore } from '../../engine/store/memory-store.js';

const OWNER = 'mura@example.jp';
const made: string[] = [];
function tmpData(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-files-'));
  made.push(dir);
  return dir;
}
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

// 日本語の件名 (UTF-8) and a Shift_JIS-free 8-bit body: the store never looks inside
const message = Buffer.concat([Buffer.from('Subject: =?UTF-8?B?5pel5pys6Kqe44Gu5Lu25ZCN?=\r\n\r\n'), Buffer.from('本文'.repeat(50_000) + '\r\n')]);

async function readAll(h: { size: number; read(p: number, n: number): Promise<Buffer> }, chunk: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let p = 0; p < h.size; p += chunk) parts.push(await h.read(p, chunk));
  return Buffer.concat(parts);
}

test('Maildir: a staged file is moved into cur/ with flags, date and size, indexed, and read back in chunks', async () => {
  const data = tmpData();
  const store = new MaildirStore(data);
  await store.createFolder(OWNER, 'Archive');
  const root = maildirRoot(data, OWNER);
  const staged = await store.stagingPath(OWNER);
  assert.equal(path.dirname(staged), path.join(root, 'tmp'));
  fs.writeFileSync(staged, message);
  const date = Date.UTC(2024, 0, 5, 1, 0, 0);
  const r = await store.appendFile(OWNER, 'Archive', staged, { flags: ['\\Seen', '$Work'], internalDate: date });
  assert.equal(r.uid, 1);
  assert.ok(!fs.existsSync(staged), 'moved, not copied');
  const cur = fs.readdirSync(path.join(root, '.Archive', 'cur'));
  assert.equal(cur.length, 1);
  assert.match(cur[0], new RegExp(`,S=${message.length}:2,S$`));
  assert.equal(fs.statSync(path.join(root, '.Archive', 'cur', cur[0])).mtimeMs, date);
  const [info] = await store.list(OWNER, 'Archive');
  assert.deepEqual([info.uid, info.size, info.internalDate, info.flags.sort()], [1, message.length, date, ['$Work', '\\Seen']]);
  const h = await store.open(OWNER, 'Archive', 1);
  // a flag change renames the file: the open handle still reads it
  await store.updateFlags(OWNER, 'Archive', [1], 'add', ['\\Flagged']);
  assert.equal(h.size, message.length);
  assert.ok((await readAll(h, 65_536)).equals(message));
  assert.deepEqual(await h.read(message.length - 3, 100), message.subarray(message.length - 3));
  await h.close();
  const h2 = await store.open(OWNER, 'Archive', 1); // found again under its new name
  assert.ok((await readAll(h2, 1_000_000)).equals(message));
  await h2.close();
  await assert.rejects(store.open(OWNER, 'Archive', 99), (e) => e instanceof StoreError && e.code === 'NONEXISTENT');
  await store.close();
});

test("Maildir: appendFile takes only the owner's own staged files", async () => {
  const data = tmpData();
  const store = new MaildirStore(data);
  const elsewhere = path.join(data, 'outside.eml');
  fs.writeFileSync(elsewhere, message);
  await assert.rejects(store.appendFile(OWNER, 'INBOX', elsewhere), (e) => e instanceof StoreError && e.code === 'CANNOT');
  const other = await store.stagingPath('hanako@example.jp');
  fs.writeFileSync(other, message);
  await assert.rejects(store.appendFile(OWNER, 'INBOX', other), (e) => e instanceof StoreError && e.code === 'CANNOT');
  assert.ok(fs.existsSync(elsewhere) && fs.existsSync(other));
  assert.deepEqual(await store.list(OWNER, 'INBOX'), []);
  await store.close();
});

test('Maildir: files a dead writer left in tmp/ for more than 36 hours are swept, fresh ones kept', async () => {
  const data = tmpData();
  const root = maildirRoot(data, OWNER);
  fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  const old = path.join(root, 'tmp', 'old.eml');
  const fresh = path.join(root, 'tmp', 'fresh.eml');
  fs.writeFileSync(old, 'x');
  fs.writeFileSync(fresh, 'y');
  const t = (Date.now() - 37 * 3600_000) / 1000;
  fs.utimesSync(old, t, t);
  const store = new MaildirStore(data);
  await store.stagingPath(OWNER);
  assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), ['fresh.eml']);
  await store.close();
});

test('memory store: appendFile consumes the staged file; open reads in chunks', async () => {
  const store = new MemoryStore();
  const staged = await store.stagingPath(OWNER);
  fs.writeFileSync(staged, message);
  const r = await store.appendFile(OWNER, 'INBOX', staged, { flags: ['\\Seen'] });
  assert.ok(!fs.existsSync(staged));
  const h = await store.open(OWNER, 'INBOX', r.uid);
  assert.ok((await readAll(h, 4096)).equals(message));
  await assert.rejects(store.appendFile(OWNER, 'INBOX', path.join(os.tmpdir(), 'x.eml')));
  await store.close();
});
