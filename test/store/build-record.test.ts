// A folder's first build kept as one record (engine/store/build-record.ts, index-build.ts): packed and checked
// byte for byte; a process killed after handing out the build's UIDs and before writing its rows leaves a record
// the next process turns into the same rows; a record that fails any check (truncated, a flipped byte, a count,
// UIDs beyond the folder's) is never used: the folder gets a new UIDVALIDITY and is read again; and a second
// store on the same index (another process) meets a record of the first's without losing or doubling a message.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { decodeBuild, encodeBuild } from '../../engine/store/build-record.js';
import { RANGE_LOG_MIN } from '../../engine/store/index-db.js';
import { INDEX_FILE, MaildirStore } from '../../engine/store/maildir-store.js';
import { maildirRoot, writeMaildirMessage } from '../../engine/store/maildir.js';
import { UNKNOWN_IDATE } from '../../engine/store/maildir-idate.js';

const OWNER = 'hanako@example.jp';
const N = RANGE_LOG_MIN + 20;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-build-record-'));
  dirs.push(d);
  return d;
}

/** A data dir whose INBOX holds N messages in cur/: sizes in the names or not, flags or none, Japanese host parts. */
function maildir(): string {
  const data = tmp();
  const cur = path.join(maildirRoot(data, OWNER), 'cur');
  fs.mkdirSync(cur, { recursive: true });
  for (let i = 0; i < N; i++) {
    const body = Buffer.from(`Subject: ${i}\r\n\r\n${'あ'.repeat(i % 30)}\r\n`);
    const host = i % 9 === 0 ? '日本のホスト' : 'host';
    const base = i % 10 === 0 ? `${1_700_000_000 + i}.M${i}P3.${host}` : `${1_700_000_000 + i}.M${i}P3.${host},S=${body.length}`;
    fs.writeFileSync(path.join(cur, base + ['', ':2,', ':2,S', ':2,FRS', ':2,aT'][i % 5]), body);
  }
  return data;
}

const plain = (l: { uid: number; key: string; size: number; flags: string[] }[]) => l.map((m) => ({ uid: m.uid, key: m.key, size: m.size, flags: [...m.flags] }));

/** In another process: list INBOX (the first build), print what it handed out, and die by SIGKILL at once. */
function buildAndDie(data: string): { uidValidity: number; list: { uid: number; key: string; size: number; flags: string[] }[] } {
  const store = new URL('../../engine/store/maildir-store.js', import.meta.url).href;
  const script = `
    const { MaildirStore } = await import(${JSON.stringify(store)});
    const s = new MaildirStore(${JSON.stringify(data)});
    const st = await s.status(${JSON.stringify(OWNER)}, 'INBOX');
    const list = await s.list(${JSON.stringify(OWNER)}, 'INBOX');
    process.stdout.write(JSON.stringify({ uidValidity: st.uidValidity, list: list.map((m) => ({ uid: m.uid, key: m.key, size: m.size, flags: m.flags })) }) + '\\n', () => process.kill(process.pid, 'SIGKILL'));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  return JSON.parse(r.stdout);
}

function index(data: string): Database.Database {
  return new Database(path.join(maildirRoot(data, OWNER), INDEX_FILE));
}

test('a record packs names, sizes and dates and gives back exactly what was packed', () => {
  const add = [
    { base: '1700000000.M1P1.host,S=12', file: '1700000000.M1P1.host,S=12:2,FS', size: 12, idate: UNKNOWN_IDATE, letters: 'FS' },
    { base: '1700000001.M2P1.日本', file: '1700000001.M2P1.日本', size: 345, idate: 1_700_000_001_000, letters: '' },
    { base: '1700000002.M3P1.host,S=7', file: '1700000002.M3P1.host,S=7:2,', size: 9, idate: 1_600_000_000_123, letters: '' },
  ];
  const enc = encodeBuild(add)!;
  assert.deepEqual(decodeBuild(enc.blob, enc.count, enc.crc), add);
  assert.equal(encodeBuild([{ ...add[0], keywords: '$Work' }]), null, 'keywords are not recorded: rows instead');
});

test('a record that fails any check is refused whole', () => {
  const add = Array.from({ length: 5 }, (_, i) => ({ base: `17000000${i}0.M${i}P1.h,S=${10 + i}`, file: `17000000${i}0.M${i}P1.h,S=${10 + i}:2,S`, size: 10 + i, idate: UNKNOWN_IDATE, letters: 'S' }));
  const { blob, count, crc } = encodeBuild(add)!;
  const withCrc = (b: Buffer) => [b, count, zlib.crc32(b)] as const;
  const text = blob.toString();
  const cases: [string, unknown, unknown, unknown][] = [
    ['truncated', blob.subarray(0, blob.length - 9), count, crc],
    ['truncated, CRC of the rest', ...withCrc(blob.subarray(0, blob.length - 9))],
    ['one bit flipped', Buffer.from(blob.map((b, i) => (i === 20 ? b ^ 4 : b))), count, crc],
    ['count one more', blob, count + 1, crc],
    ['CRC off by one', blob, count, crc + 1],
    ['not bytes', text, count, crc],
    ['a base twice', ...withCrc(Buffer.from(text.replace(add[1].file, add[0].file)))],
    ['an empty name', ...withCrc(Buffer.from(text.replace(add[2].file, '')))],
    ['a dot file', ...withCrc(Buffer.from(text.replace(add[2].file, '.x,S=1')))],
    ['a name alone without S=', ...withCrc(Buffer.from(text.replace(add[2].file, '1700000020.M2P1.h')))],
    ['a size that is not digits', ...withCrc(Buffer.from(text.replace(add[2].file, `${add[2].file}/1e3/5`)))],
    ['a missing date', ...withCrc(Buffer.from(text.replace(add[2].file, `${add[2].file}/12`)))],
    ['nothing', ...withCrc(Buffer.alloc(0))],
  ];
  for (const [what, b, n, c] of cases) assert.equal(decodeBuild(b, n, c), null, what);
});

test('killed after handing out a first build\'s UIDs and before writing its rows: the next process writes the same rows', async () => {
  const data = maildir();
  const died = buildAndDie(data);
  assert.equal(died.list.length, N);
  const db = index(data);
  assert.equal((db.prepare('SELECT count(*) AS n FROM builds').get() as { n: number }).n, 1, 'the kill came between the answer and the rows');
  assert.equal((db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n, 0);
  db.close();
  // mail arrives while nothing runs
  await writeMaildirMessage(maildirRoot(data, OWNER), [Buffer.from('Subject: later\r\n\r\nlater\r\n')]);
  const store = new MaildirStore(data);
  const st = await store.status(OWNER, 'INBOX');
  const list = await store.list(OWNER, 'INBOX');
  assert.equal(st.uidValidity, died.uidValidity);
  assert.deepEqual(plain(list.slice(0, N)), died.list, 'every UID names the same message');
  assert.equal(list[N].uid, N + 1);
  assert.equal(st.uidNext, N + 2);
  const after = index(data);
  assert.equal((after.prepare('SELECT count(*) AS n FROM builds').get() as { n: number }).n, 0);
  assert.equal((after.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n, N + 1);
  after.close();
  // the account view (JMAP) sees every email once
  await store.refreshAccount(OWNER);
  assert.equal((await store.accountEmails(OWNER)).length, list.filter((m) => !m.flags.includes('\\Deleted')).length);
  await store.close();
});

test('a damaged record is never used: the folder gets a new UIDVALIDITY and is read again', async () => {
  const crashed = maildir();
  const died = buildAndDie(crashed);
  const damage: [string, (db: Database.Database) => void][] = [
    ['truncated names', (db) => db.prepare('UPDATE builds SET names = substr(names, 1, length(names) / 2)').run()],
    ['a flipped byte', (db) => {
      const b = (db.prepare('SELECT names FROM builds').get() as { names: Buffer }).names;
      b[100] ^= 1;
      db.prepare('UPDATE builds SET names = ?').run(b);
    }],
    ['a count that differs', (db) => db.prepare('UPDATE builds SET count = count - 1').run()],
    ['UIDs beyond the folder\'s UIDNEXT', (db) => db.prepare('UPDATE builds SET uid0 = 7').run()],
    ['a row already in the folder', (db) => db.prepare("INSERT INTO messages (folder, uid, base, file, size, idate, letters, modseq, eid) VALUES ('INBOX', 3, 'x', 'x:2,', 1, 0, '', 1, 'Mx')").run()],
  ];
  for (const [what, hurt] of damage) {
    const data = tmp();
    fs.cpSync(crashed, data, { recursive: true });
    const db = index(data);
    hurt(db);
    db.close();
    const store = new MaildirStore(data);
    const st = await store.status(OWNER, 'INBOX');
    const list = await store.list(OWNER, 'INBOX');
    assert.ok(st.uidValidity > died.uidValidity, `${what}: a new UIDVALIDITY`);
    assert.deepEqual(list.map((m) => m.key), died.list.map((m) => m.key), `${what}: every message, in delivery order`);
    assert.deepEqual(list.map((m) => m.uid), died.list.map((m) => m.uid));
    assert.deepEqual(plain(list).map((m) => [m.size, m.flags]), died.list.map((m) => [m.size, m.flags]));
    await store.close();
    const again = new MaildirStore(data);
    assert.equal((await again.status(OWNER, 'INBOX')).uidValidity, st.uidValidity, `${what}: rebuilt once, then kept`);
    assert.deepEqual(plain(await again.list(OWNER, 'INBOX')), plain(list));
    await again.close();
  }
});

test('another store on the same index meets a record it did not write: no message lost or doubled', async () => {
  const data = maildir();
  const a = new MaildirStore(data);
  const b = new MaildirStore(data);
  const built = await a.list(OWNER, 'INBOX');
  // b delivers at once (its write turns a's record into rows first), then both list
  const { uid } = await b.append(OWNER, 'INBOX', Buffer.from('Subject: from b\r\n\r\nb\r\n'));
  assert.equal(uid, N + 1);
  const fromA = await a.list(OWNER, 'INBOX');
  const fromB = await b.list(OWNER, 'INBOX');
  assert.deepEqual(plain(fromA.slice(0, N)), plain(built));
  assert.deepEqual(plain(fromB), plain(fromA));
  // a flag change through a, read back through b
  await a.updateFlags(OWNER, 'INBOX', [2], 'add', ['\\Flagged']);
  assert.ok((await b.list(OWNER, 'INBOX'))[1].flags.includes('\\Flagged'));
  await a.close(); // a's own copy of the record is gone with it: nothing is written twice
  await b.close();
  const db = index(data);
  assert.equal((db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n, N + 1);
  assert.equal((db.prepare('SELECT count(*) AS n FROM builds').get() as { n: number }).n, 0);
  db.close();
});
