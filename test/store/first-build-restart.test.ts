// A first build (engine/store/maildir-build.ts) then a restart: the UIDs a first store gave survive in a second store
// opened on the same data (another process, or after a restart), with files gone and come in between; names with
// odd bytes (not UTF-8, Japanese, spaces) and a base present twice (a rename caught half way) are listed once each,
// and every listed message can be read.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { maildirRoot } from '../../engine/store/maildir.js';
import { RANGE_LOG_MIN } from '../../engine/store/index-db.js';

const OWNER = 'hanako@example.jp';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('UIDs of a first build survive a restart with files gone and come; odd names and a base twice are listed once and read', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-first-build-restart-'));
  dirs.push(dataDir);
  const root = maildirRoot(dataDir, OWNER);
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(root, sub), { recursive: true });
  const cur = path.join(root, 'cur');
  const n = RANGE_LOG_MIN + 50;
  const t = 1_700_000_000;
  const put = (name: string | Buffer, i: number) => {
    const file = Buffer.isBuffer(name) ? Buffer.concat([Buffer.from(cur + '/'), name]) : path.join(cur, name);
    fs.writeFileSync(file, `Subject: m${i}\r\n\r\nbody ${i}\r\n`);
    fs.utimesSync(file, t + i, t + i);
  };
  for (let i = 0; i < n; i++) put(`${t + Math.floor(i / 4)}.M${i}P7.host:2,${i % 3 ? 'S' : ''}`, i);
  // odd names: Japanese, a space, and (where the file system allows) a byte that is not UTF-8
  put(`${t + 1000}.M1P7.日本語ホスト:2,S`, n);
  put(`${t + 1001}.M1P7.a host:2,`, n + 1);
  let latin = true;
  try {
    put(Buffer.from(`${t + 1002}.M1P7.h\xe9:2,`, 'latin1'), n + 2);
  } catch {
    latin = false;
  }
  // one base twice (a flag rename caught half way)
  put(`${t + 1003}.M1P7.twice:2,S`, n + 3);
  put(`${t + 1003}.M1P7.twice:2,RS`, n + 3);

  const first = new MaildirStore(dataDir);
  const list = await first.list(OWNER, 'INBOX');
  const bases = list.map((m) => m.key);
  assert.equal(new Set(bases).size, bases.length, 'each base once');
  assert.equal(bases.filter((b) => b.endsWith('.twice')).length, 1);
  assert.ok(bases.some((b) => b.includes('日本語ホスト')));
  assert.ok(bases.some((b) => b.includes('a host')));
  assert.ok(list.length >= n + 3);
  for (const m of list) {
    const text = (await first.read(OWNER, 'INBOX', m.uid).catch((e: Error) => Buffer.from(`unreadable ${e.message}`))).toString();
    assert.match(text, /^Subject: m\d+/, `uid ${m.uid} (${m.key}) readable${latin ? '' : ' (no latin1 name)'}`);
  }
  const validity = (await first.status(OWNER, 'INBOX')).uidValidity;
  await first.close();

  // between the two: one file goes, one comes
  const gone = list[5];
  const goneFile = fs.readdirSync(cur).find((f) => f.startsWith(gone.key))!;
  fs.unlinkSync(path.join(cur, goneFile));
  put(`${t + 2000}.M9P7.late:2,`, n + 9);

  const second = new MaildirStore(dataDir);
  const again = await second.list(OWNER, 'INBOX');
  const byKey = new Map(again.map((m) => [m.key, m.uid]));
  for (const m of list) {
    if (m.key === gone.key) assert.equal(byKey.has(m.key), false);
    else assert.equal(byKey.get(m.key), m.uid, `${m.key} keeps its UID`);
  }
  const late = again.find((m) => m.key.endsWith('.late'))!;
  assert.ok(late.uid > list[list.length - 1].uid, 'a new message takes a new UID');
  assert.equal((await second.status(OWNER, 'INBOX')).uidValidity, validity, 'the same UIDVALIDITY after the restart');
  await second.close();
});
