// A folder's first index build of many messages: its listing is made from the rows just inserted (not read back
// from the index), so it must be what a fresh store reading the index answers — UIDs in delivery order, sizes
// from ",S=" or a stat, flags from ":2,", MODSEQs, dates, counts — and names other programs left beside
// (no size, a directory, a dot file, mail still in new/) are handled as in any sync.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { maildirRoot } from '../../engine/store/maildir.js';
import { RANGE_LOG_MIN } from '../../engine/store/index-db.js';
import type { MessageInfo } from '../../engine/store/mailbox-store.js';

const OWNER = 'hanako@example.jp';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const plain = (m: MessageInfo) => ({ uid: m.uid, size: m.size, flags: [...m.flags], internalDate: m.internalDate, modseq: m.modseq, key: m.key });

test('a first build lists what the index holds: the same as a fresh store reading it back', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-first-build-'));
  dirs.push(dataDir);
  const root = maildirRoot(dataDir, OWNER);
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(root, sub), { recursive: true });
  const n = RANGE_LOG_MIN + 300;
  const t = 1_700_000_000;
  const expected: { key: string; size: number; date: number; letters: string }[] = [];
  const subjects = ['=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=', '=?Shift_JIS?B?k/qWe4zq?=', '=?EUC-JP?B?xvzL3Ljs?=', '日本語'];
  // written out of delivery order (readdir order is not name order either); several per second, told apart by M<usec>
  const order = Array.from({ length: n }, (_, i) => (i * 7919) % n);
  for (const i of order) {
    const body = Buffer.from(`Subject: ${subjects[i % 4]} ${i}\r\n\r\n${'x'.repeat(i % 97)}\r\n`);
    const sec = t + Math.floor(i / 3);
    const letters = ['', 'S', 'FS', 'T', 'RS'][i % 5];
    // every 50th name carries no size (another delivery agent): stat'ed
    const base = i % 50 === 0 ? `${sec}.M${i}P9.other` : `${sec}.M${i}P9.host,S=${body.length}`;
    const file = path.join(root, 'cur', `${base}:2,${letters}`);
    fs.writeFileSync(file, body);
    fs.utimesSync(file, sec, sec);
    expected[i] = { key: base, size: body.length, date: sec * 1000, letters };
  }
  fs.mkdirSync(path.join(root, 'cur', 'not-a-message'));
  fs.writeFileSync(path.join(root, 'cur', '.hidden'), 'x');
  const built = new MaildirStore(dataDir);
  const st = await built.status(OWNER, 'INBOX');
  const list = await built.list(OWNER, 'INBOX');
  assert.equal(list.length, n);
  assert.deepEqual(list.map((m) => m.key), expected.map((e) => e.key), 'UIDs follow delivery order');
  assert.deepEqual(list.map((m) => m.uid), Array.from({ length: n }, (_, i) => i + 1));
  assert.deepEqual(list.map((m) => m.size), expected.map((e) => e.size));
  assert.deepEqual(list.map((m) => m.internalDate), expected.map((e) => e.date));
  const flagOf: Record<string, string[]> = { '': [], S: ['\\Seen'], FS: ['\\Flagged', '\\Seen'], T: ['\\Deleted'], RS: ['\\Answered', '\\Seen'] };
  assert.deepEqual(list.map((m) => m.flags), expected.map((e) => flagOf[e.letters]));
  const unseen = expected.filter((e) => !e.letters.includes('S')).length;
  assert.deepEqual([st.messages, st.unseen, st.uidNext], [n, unseen, n + 1]);
  assert.deepEqual(list.map((m) => m.modseq), Array.from({ length: n }, (_, i) => list[0].modseq + i), 'one MODSEQ per message, rising');
  assert.equal(st.highestModseq, list[n - 1].modseq);

  // a second store (another process) reads the index back: the same listing and counts
  const fresh = new MaildirStore(dataDir);
  assert.deepEqual((await fresh.list(OWNER, 'INBOX')).map(plain), list.map(plain));
  assert.deepEqual(await fresh.status(OWNER, 'INBOX'), st);

  // and the built listing is a listing like any other: a flag change and a message read go through it
  await built.updateFlags(OWNER, 'INBOX', [1], 'add', ['\\Flagged']);
  const again = await built.list(OWNER, 'INBOX');
  assert.ok(again[0].flags.includes('\\Flagged'));
  assert.ok(again[0].modseq > list[n - 1].modseq);
  assert.match((await built.read(OWNER, 'INBOX', 2)).toString(), /Subject: /);
  assert.deepEqual((await fresh.list(OWNER, 'INBOX')).map(plain), again.map(plain));
  await built.close();
  await fresh.close();
});
