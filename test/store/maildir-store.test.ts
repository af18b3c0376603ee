// MaildirStore against a real Maildir tree: UIDs stable and ascending, index rebuilt when lost, mail written
// into new/ by another thread appears, flags round-trip into file names, folders follow Maildir++.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MaildirStore, StoreError, INDEX_FILE } from '../../engine/store/maildir-store.js';
import { maildirRoot, writeMaildirMessage } from '../../engine/store/maildir.js';

const OWNER = 'mura@example.jp';
const here = path.dirname(fileURLToPath(import.meta.url));
const maildirModule = pathToFileURL(path.resolve(here, '../../engine/store/maildir.js')).href;

const made: string[] = [];
function tmpData(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-store-'));
  made.push(dir);
  return dir;
}
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});
const msg = (n: number) => Buffer.from(`From: a@example.org\r\nTo: ${OWNER}\r\nSubject: test ${n}\r\n\r\nbody ${n}\r\n`);

test('new mail gets ascending UIDs, moves to cur/ with :2, and keeps its UIDs', async () => {
  const data = tmpData();
  const root = maildirRoot(data, OWNER);
  const store = new MaildirStore(data);
  for (let i = 1; i <= 5; i++) await writeMaildirMessage(root, [msg(i)]);
  const first = await store.list(OWNER, 'INBOX');
  assert.deepEqual(first.map((m) => m.uid), [1, 2, 3, 4, 5]);
  assert.equal(fs.readdirSync(path.join(root, 'new')).length, 0);
  const cur = fs.readdirSync(path.join(root, 'cur'));
  assert.equal(cur.length, 5);
  for (const n of cur) assert.match(n, /:2,$/);
  // contents match their UIDs in delivery order
  for (const m of first) assert.match((await store.read(OWNER, 'INBOX', m.uid)).toString(), new RegExp(`Subject: test ${m.uid}\r\n`));
  assert.equal(first[0].size, msg(1).length);
  await writeMaildirMessage(root, [msg(6)]);
  const again = await store.list(OWNER, 'inbox');
  assert.deepEqual(again.map((m) => m.uid), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(again.slice(0, 5).map((m) => m.key), first.map((m) => m.key));
  const { uid } = await store.append(OWNER, 'INBOX', msg(7), { flags: ['\\Seen'] });
  assert.equal(uid, 7);
  const st = await store.status(OWNER, 'INBOX');
  assert.equal(st.messages, 7);
  assert.equal(st.unseen, 6);
  assert.equal(st.uidNext, 8);
  // a second store object (another process) sees the same UIDs
  const other = new MaildirStore(data);
  assert.deepEqual((await other.list(OWNER, 'INBOX')).map((m) => m.key), (await store.list(OWNER, 'INBOX')).map((m) => m.key));
  await other.close();
  await store.close();
});

test('the index is rebuilt from the Maildir when deleted, with a new UIDVALIDITY and flags from file names', async () => {
  const data = tmpData();
  const root = maildirRoot(data, OWNER);
  let store = new MaildirStore(data);
  for (let i = 1; i <= 4; i++) await store.append(OWNER, 'INBOX', msg(i));
  await store.updateFlags(OWNER, 'INBOX', [2], 'add', ['\\Seen', '\\Flagged']);
  const before = await store.status(OWNER, 'INBOX');
  const keys = (await store.list(OWNER, 'INBOX')).map((m) => m.key);
  await store.close();
  for (const f of fs.readdirSync(root)) if (f.startsWith(INDEX_FILE)) fs.unlinkSync(path.join(root, f));
  await new Promise((r) => setTimeout(r, 1100)); // UIDVALIDITY is in seconds
  store = new MaildirStore(data);
  const after = await store.status(OWNER, 'INBOX');
  assert.notEqual(after.uidValidity, before.uidValidity);
  const list = await store.list(OWNER, 'INBOX');
  assert.deepEqual(list.map((m) => m.uid), [1, 2, 3, 4]);
  assert.deepEqual(list.map((m) => m.key), keys, 'rebuilt in delivery order');
  assert.deepEqual(list[1].flags.sort(), ['\\Flagged', '\\Seen']);
  assert.equal(after.unseen, 3);
  // deleted again while the store has it open: the next listing rebuilds it too
  for (const f of fs.readdirSync(root)) if (f.startsWith(INDEX_FILE)) fs.unlinkSync(path.join(root, f));
  await new Promise((r) => setTimeout(r, 1100));
  const again = await store.status(OWNER, 'INBOX');
  assert.notEqual(again.uidValidity, after.uidValidity);
  assert.equal(again.messages, 4);
  assert.ok(fs.existsSync(path.join(root, INDEX_FILE)));
  await store.close();
});

test('messages written by writeMaildirMessage in another thread appear, and watch() fires without in-process events', async () => {
  const data = tmpData();
  const root = maildirRoot(data, OWNER);
  const store = new MaildirStore(data);
  await store.list(OWNER, 'INBOX');
  let fired = 0;
  const unwatch = store.watch(OWNER, 'INBOX', () => fired++);
  const worker = new Worker(
    `import { writeMaildirMessage } from ${JSON.stringify(maildirModule)};
     import { workerData, parentPort } from 'node:worker_threads';
     for (let i = 0; i < 20; i++) await writeMaildirMessage(workerData.root, [Buffer.from('Subject: w' + i + '\\r\\n\\r\\nx\\r\\n')]);
     parentPort.postMessage('done');`,
    { eval: true, workerData: { root } },
  );
  // list concurrently while the worker writes
  let seen = 0;
  let finished = false;
  const done = new Promise((r) => worker.once('message', r)).then(() => (finished = true));
  for (let i = 0; i < 200 && !finished; i++) {
    seen = (await store.list(OWNER, 'INBOX')).length;
    await new Promise((r) => setTimeout(r, 5));
  }
  await done;
  await worker.terminate();
  const list = await store.list(OWNER, 'INBOX');
  assert.equal(list.length, 20);
  assert.ok(seen <= 20);
  assert.deepEqual(list.map((m) => m.uid), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.equal(new Set(list.map((m) => m.key)).size, 20);
  for (const deadline = Date.now() + 30_000; fired === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
  assert.ok(fired > 0, 'fs.watch of new/ fired');
  unwatch();
  await store.close();
});

test('flags round-trip into Maildir file names; keywords stay in the index; CONDSTORE unchangedSince', async () => {
  const data = tmpData();
  const root = maildirRoot(data, OWNER);
  const store = new MaildirStore(data);
  const { uid } = await store.append(OWNER, 'INBOX', msg(1));
  const before = (await store.list(OWNER, 'INBOX'))[0];
  const r = await store.updateFlags(OWNER, 'INBOX', [uid], 'add', ['\\Seen', '\\Answered', '\\flagged', '$Junk', '\\Recent']);
  assert.deepEqual(r.failed, []);
  assert.deepEqual(r.updated[0].flags, ['\\Answered', '\\Flagged', '\\Seen', '$Junk']);
  assert.ok(r.updated[0].modseq > before.modseq);
  const file = fs.readdirSync(path.join(root, 'cur'))[0];
  assert.match(file, /:2,FRS$/);
  await store.updateFlags(OWNER, 'INBOX', [uid], 'remove', ['\\Answered']);
  assert.match(fs.readdirSync(path.join(root, 'cur'))[0], /:2,FS$/);
  await store.updateFlags(OWNER, 'INBOX', [uid], 'replace', ['\\Draft', '\\Deleted']);
  assert.match(fs.readdirSync(path.join(root, 'cur'))[0], /:2,DT$/);
  assert.deepEqual((await store.list(OWNER, 'INBOX'))[0].flags, ['\\Deleted', '\\Draft']);
  // another program (Dovecot, mutt) renames the file: the index follows
  const cur = fs.readdirSync(path.join(root, 'cur'))[0];
  fs.renameSync(path.join(root, 'cur', cur), path.join(root, 'cur', cur.replace(/:2,.*$/, ':2,S')));
  const ext = (await store.list(OWNER, 'INBOX'))[0];
  assert.deepEqual(ext.flags, ['\\Seen']);
  // unchangedSince older than the message's modseq fails
  const cond = await store.updateFlags(OWNER, 'INBOX', [uid], 'add', ['\\Flagged'], ext.modseq - 1);
  assert.deepEqual(cond.failed, [uid]);
  assert.equal(cond.updated.length, 0);
  const ok = await store.updateFlags(OWNER, 'INBOX', [uid], 'add', ['\\Flagged'], ext.modseq);
  assert.deepEqual(ok.failed, []);
  assert.deepEqual(ok.updated[0].flags, ['\\Flagged', '\\Seen']);
  await store.close();
});

test('files removed behind our back disappear; expunge removes files; read of a missing UID fails', async () => {
  const data = tmpData();
  const root = maildirRoot(data, OWNER);
  const store = new MaildirStore(data);
  for (let i = 1; i <= 3; i++) await store.append(OWNER, 'INBOX', msg(i));
  const list = await store.list(OWNER, 'INBOX');
  fs.unlinkSync(path.join(root, 'cur', fs.readdirSync(path.join(root, 'cur')).find((n) => n.startsWith(list[0].key))!));
  assert.deepEqual((await store.list(OWNER, 'INBOX')).map((m) => m.uid), [2, 3]);
  const hs = (await store.status(OWNER, 'INBOX')).highestModseq;
  await store.expunge(OWNER, 'INBOX', [3]);
  assert.deepEqual((await store.list(OWNER, 'INBOX')).map((m) => m.uid), [2]);
  assert.equal(fs.readdirSync(path.join(root, 'cur')).length, 1);
  assert.ok((await store.status(OWNER, 'INBOX')).highestModseq > hs);
  await assert.rejects(store.read(OWNER, 'INBOX', 3), (e: unknown) => e instanceof StoreError && e.code === 'NONEXISTENT');
  const { uid } = await store.append(OWNER, 'INBOX', msg(4));
  assert.equal(uid, 4, 'UIDs are never reused');
  await store.close();
});

test('Maildir++ folders: create, list, copy, rename with children, delete, subscriptions', async () => {
  const data = tmpData();
  const root = maildirRoot(data, OWNER);
  const store = new MaildirStore(data);
  await store.createFolder(OWNER, 'Spam');
  await store.createFolder(OWNER, 'a/b');
  await store.createFolder(OWNER, '日本語');
  assert.ok(fs.existsSync(path.join(root, '.Spam', 'cur')));
  assert.ok(fs.existsSync(path.join(root, '.a.b', 'new')));
  assert.ok(fs.existsSync(path.join(root, '.a.b', 'maildirfolder')));
  assert.ok(fs.existsSync(path.join(root, '.&ZeVnLIqe-')), 'non-ASCII names in modified UTF-7, as Dovecot stores them');
  assert.deepEqual(await store.listFolders(OWNER), ['INBOX', 'Spam', 'a/b', '日本語']);
  await assert.rejects(store.createFolder(OWNER, 'Spam'), (e: unknown) => e instanceof StoreError && e.code === 'ALREADYEXISTS');
  await assert.rejects(store.createFolder(OWNER, 'x.y'), (e: unknown) => e instanceof StoreError && e.code === 'CANNOT');
  await assert.rejects(store.list(OWNER, 'Nope'), (e: unknown) => e instanceof StoreError && e.code === 'NONEXISTENT');

  for (let i = 1; i <= 3; i++) await store.append(OWNER, 'INBOX', msg(i), { flags: i === 2 ? ['\\Seen', 'todo'] : [] });
  const c = await store.copy(OWNER, 'INBOX', [3, 2, 99], 'a/b');
  assert.deepEqual(c.mapping, [[2, 1], [3, 2]]);
  assert.equal(c.uidValidity, (await store.status(OWNER, 'a/b')).uidValidity);
  const copied = await store.list(OWNER, 'a/b');
  assert.deepEqual(copied[0].flags, ['\\Seen', 'todo']);
  assert.equal((await store.read(OWNER, 'a/b', 2)).toString(), msg(3).toString());

  const uv = (await store.status(OWNER, 'a/b')).uidValidity;
  await store.renameFolder(OWNER, 'a', 'z');
  assert.ok(!fs.existsSync(path.join(root, '.a.b')) && fs.existsSync(path.join(root, '.z.b')));
  const moved = await store.status(OWNER, 'z/b');
  assert.equal(moved.uidValidity, uv);
  assert.equal(moved.messages, 2);

  await store.renameFolder(OWNER, 'INBOX', 'Old');
  assert.equal((await store.status(OWNER, 'INBOX')).messages, 0);
  assert.equal((await store.status(OWNER, 'Old')).messages, 3);
  assert.equal((await store.append(OWNER, 'INBOX', msg(9))).uid, 4, 'INBOX keeps its UIDNEXT');

  await store.deleteFolder(OWNER, 'Spam');
  assert.ok(!fs.existsSync(path.join(root, '.Spam')));
  await assert.rejects(store.deleteFolder(OWNER, 'INBOX'), StoreError);
  await store.createFolder(OWNER, 'Spam');
  assert.equal((await store.status(OWNER, 'Spam')).messages, 0);

  await store.setSubscribed(OWNER, 'Spam', true);
  await store.setSubscribed(OWNER, 'Old', true);
  await store.setSubscribed(OWNER, 'Old', false);
  assert.deepEqual(await store.subscriptions(OWNER), ['Spam']);
  await store.close();
});

test('two store objects appending and listing concurrently never share a UID', async () => {
  const data = tmpData();
  const a = new MaildirStore(data);
  const b = new MaildirStore(data);
  const root = maildirRoot(data, OWNER);
  await a.list(OWNER, 'INBOX');
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < 30; i++) {
    jobs.push(a.append(OWNER, 'INBOX', msg(i)));
    jobs.push(b.append(OWNER, 'INBOX', msg(100 + i)));
    jobs.push(writeMaildirMessage(root, [msg(200 + i)]));
    jobs.push(a.list(OWNER, 'INBOX'), b.list(OWNER, 'INBOX'));
  }
  await Promise.all(jobs);
  const la = await a.list(OWNER, 'INBOX');
  const lb = await b.list(OWNER, 'INBOX');
  assert.equal(la.length, 90);
  assert.deepEqual(la.map((m) => m.uid), lb.map((m) => m.uid));
  assert.equal(new Set(la.map((m) => m.uid)).size, 90);
  assert.equal(fs.readdirSync(path.join(root, 'cur')).length, 90);
  await a.close();
  await b.close();
});

test('listing a 10,000-message folder again does not re-read every file', async (tc) => {
  const data = tmpData();
  const root = maildirRoot(data, OWNER);
  fs.mkdirSync(path.join(root, 'cur'), { recursive: true });
  fs.mkdirSync(path.join(root, 'new'), { recursive: true });
  fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  const body = msg(0);
  const t = Math.floor(Date.now() / 1000) - 100_000;
  for (let i = 0; i < 10_000; i++) fs.writeFileSync(path.join(root, 'cur', `${t + i}.M${i}P1.host,S=${body.length}:2,S`), body);
  // make cur/'s mtime old enough to be trusted
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(root, 'cur'), old, old);
  const store = new MaildirStore(data);
  // what touches the files is counted (the machine's speed cannot change it); the times are diagnostics
  const calls = { stat: tc.mock.method(fsp, 'stat'), readdir: tc.mock.method(fsp, 'readdir'), readFile: tc.mock.method(fsp, 'readFile'), readFileSync: tc.mock.method(fs, 'readFileSync') };
  const count = () => Object.values(calls).reduce((n, m) => n + m.mock.callCount(), 0);
  let t0 = performance.now();
  let c0 = count();
  const first = await store.list(OWNER, 'INBOX');
  const build = { ms: performance.now() - t0, calls: count() - c0 };
  assert.equal(first.length, 10_000);
  assert.equal(first[9999].uid, 10_000);
  t0 = performance.now();
  c0 = count();
  for (let i = 0; i < 5; i++) await store.list(OWNER, 'INBOX');
  const relist = { ms: (performance.now() - t0) / 5, calls: (count() - c0) / 5 };
  t0 = performance.now();
  c0 = count();
  await store.status(OWNER, 'INBOX');
  const status = { ms: performance.now() - t0, calls: count() - c0 };
  tc.diagnostic(`10k folder: index build ${build.ms.toFixed(0)} ms (${build.calls} file calls), list ${relist.ms.toFixed(1)} ms (${relist.calls}), status ${status.ms.toFixed(1)} ms (${status.calls})`);
  // names with ",S=" give size and flags: the first build reads directories, not every file (dates are stat'ed when asked)
  assert.ok(build.calls <= 10, `the first build reads the names, not every file (${build.calls} calls)`);
  assert.ok(relist.calls <= 10, `a re-list of an unchanged folder touches a few directories, not every file (${relist.calls} calls)`);
  assert.ok(status.calls <= 10, `status of an unchanged 10k folder touches a few directories, not every file (${status.calls} calls)`);
  await store.close();
});

test('a cached listing follows changes made through another store object, and callers get copies', async () => {
  const data = tmpData();
  const a = new MaildirStore(data);
  const b = new MaildirStore(data);
  for (let i = 1; i <= 3; i++) await a.append(OWNER, 'INBOX', msg(i));
  const first = await a.list(OWNER, 'INBOX');
  first[0].flags.push('\\Seen');
  assert.deepEqual((await a.list(OWNER, 'INBOX'))[0].flags, [], 'changing a returned listing changes nothing');
  await b.updateFlags(OWNER, 'INBOX', [2], 'add', ['\\Flagged']);
  assert.deepEqual((await a.list(OWNER, 'INBOX'))[1].flags, ['\\Flagged']);
  await b.expunge(OWNER, 'INBOX', [1]);
  assert.deepEqual((await a.list(OWNER, 'INBOX')).map((m) => m.uid), [2, 3]);
  await a.close();
  await b.close();
});
