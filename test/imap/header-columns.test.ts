// SEARCH's HEADER keys answered from per-mailbox columns of decoded, folded values (engine/imap/header-columns.ts,
// search-columns.ts): the same answers as decoding each message's field and comparing, for Japanese subjects in
// every charset, and still right after messages come and go (another session, or files moved in the Maildir by
// another process) once a column was made.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import iconv from 'iconv-lite';
import { Feed, HeaderColumn, makeColumn } from '../../engine/imap/header-columns.js';
import { decodeHeaderValue, fold, foldedHeaderValue } from '../../engine/mime/text-decode.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { mail, RawClient, startHarness, USER, type Harness } from './harness.js';

/** A small deterministic generator (the tables below are the same on every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PIECES = ['a', 'b', 'ab', 'ba', '日本', '語', '本語', 'x y', '', '\u0000', 'é', 'ｱ'];

function randomValues(r: () => number): string[] {
  const n = Math.floor(r() * 3); // 0: the field is missing
  return Array.from({ length: n }, () => Array.from({ length: Math.floor(r() * 4) }, () => PIECES[Math.floor(r() * PIECES.length)]).join(''));
}

test('a column answers each key as the values compared one by one do, across values and messages', async () => {
  const r = rng(7);
  const n = 400;
  const uids = Array.from({ length: n }, (_, i) => i * 3 + 1);
  const values = new Map(uids.map((u) => [u, randomValues(r)]));
  const { column, complete } = await makeColumn(uids, undefined, (uid) => values.get(uid)!);
  assert.equal(complete, true);
  const keys = ['', 'a', 'b', 'ab', 'bab', 'aa', '日本語', '本', 'x y', 'y', 'é', 'ｱa', 'zz'];
  for (const key of keys) {
    const hits = column.hits(key);
    for (let k = 0; k < n; k++) {
      const vs = values.get(uids[k])!;
      const want = vs.length > 0 && (key === '' || vs.some((v) => v.includes(key)));
      // a naive search over the joined text (no per-message bound) would find "ab" across "…a" + "b…"
      assert.equal(hits[k] === 1, want, `key ${JSON.stringify(key)}, message ${k}: ${JSON.stringify(vs)}`);
    }
  }
  for (let k = 0; k < n; k++) {
    const vs = values.get(uids[k])!;
    if (!vs.includes('\u0000') && !vs.some((v) => v.includes('\u0000'))) assert.deepEqual(column.valuesAt(k), vs);
  }
});

test('a column carried over to other UIDs reads only the new messages and equals one made afresh; an unreadable message is skipped, not kept', async () => {
  const r = rng(11);
  const all = new Map(Array.from({ length: 300 }, (_, i) => [i + 1, randomValues(r)]));
  const first = [...all.keys()].filter((u) => u <= 200);
  const old = (await makeColumn(first, undefined, (u) => all.get(u)!)).column;
  // 50 expunged, 100 arrived
  const now = [...all.keys()].filter((u) => (u > 200 || u % 4 !== 0) && u !== 7);
  const read: number[] = [];
  const carried = await makeColumn(now, old, async (u) => {
    read.push(u);
    return all.get(u)!;
  });
  assert.deepEqual(read, now.filter((u) => u > 200));
  const fresh = (await makeColumn(now, undefined, (u) => all.get(u)!)).column;
  assert.deepEqual([...carried.column.uids], [...fresh.uids]);
  assert.equal(carried.column.text, fresh.text);
  assert.deepEqual([...carried.column.starts], [...fresh.starts]);
  assert.deepEqual([...carried.column.has], [...fresh.has]);
  const gone = await makeColumn([1, 2, 3], undefined, (u) => (u === 2 ? null : u === 3 ? 'x' : ['x']));
  assert.equal(gone.complete, false);
  assert.deepEqual([...gone.skipped], [0, 1, 0]);
  assert.deepEqual([...gone.column.hits('x')], [1, 0, 1]);
  assert.ok(gone.column instanceof HeaderColumn);
});

test('a feed gives each fed message its values of a field (none, one, several), in or out of UID order, until taken', () => {
  for (const order of [
    [1, 2, 5, 9],
    [9, 1, 5, 2],
  ]) {
    const f = new Feed();
    const headers = new Map<number, { name: string; value: string }[]>([
      [1, [{ name: 'subject', value: 'one' }, { name: 'from', value: 'a@x' }]],
      [2, [{ name: 'from', value: 'b@x' }]],
      [5, [{ name: 'subject', value: 'first' }, { name: 'x-subject', value: 'no' }, { name: 'subject', value: 'second' }, { name: 'subject', value: 'third' }]],
      [9, []],
    ]);
    for (const uid of order) f.add(uid, headers.get(uid)!);
    assert.equal(f.ascending, order[0] === 1);
    const subject = f.lookup(0)!;
    assert.deepEqual([1, 2, 3, 5, 9, 10].map(subject), ['one', null, undefined, ['first', 'second', 'third'], null, undefined]);
    // asked again from the start
    assert.deepEqual(subject(1), 'one');
    assert.deepEqual([1, 2, 5, 9].map(f.lookup(1)!), ['a@x', 'b@x', null, null]);
    assert.equal(f.take(0), false);
    assert.equal(f.lookup(0), null);
    f.add(11, [{ name: 'subject', value: 'late' }]);
    assert.equal(f.lookup(1)!(11), null);
    for (const k of [1, 2, 3]) f.take(k);
    assert.equal(f.take(4), true);
  }
  // a message with values too long to keep is not fed: a column reads it from its header block or file
  const big = new Feed();
  assert.equal(big.add(3, [{ name: 'subject', value: 'x'.repeat(70_000) }]), false);
  assert.equal(big.lookup(0)!(3), undefined);
  assert.equal(big.chars, 0);
});

test('SEARCH after FETCH fed the fields out of order: two Subject fields, encoded words, a field missing', async () => {
  await h.store.createFolder(USER, 'Fed');
  const msgs = [
    mail(['From: a@example.test', `Subject: ${words('UTF-8', '一つ目')}`, 'Subject: second NEEDLE', '', 'x']),
    mail(['From: b@example.test', '', 'no subject']),
    mail(['From: c@example.test', `Subject: ${words('Shift_JIS', '針の')} needle`, '', 'y']),
  ];
  for (const m of msgs) await h.store.append(USER, 'Fed', m);
  const d = await RawClient.connect(h.plain.port);
  try {
    await d.login();
    await d.cmd('SELECT Fed');
    assert.match((await d.cmd('FETCH 3,1,2 (ENVELOPE)')).status, /^OK/);
    const q = async (s: string) => (await d.cmd(`SEARCH ${s}`)).lines.find((l) => l.startsWith('* SEARCH'))!.slice(8).trim();
    assert.equal(await q('SUBJECT needle'), '1 3');
    assert.equal(await q(`CHARSET UTF-8 SUBJECT ${lit('一つ')}`), '1');
    assert.equal(await q(`CHARSET UTF-8 SUBJECT ${lit('針')}`), '3');
    assert.equal(await q('NOT SUBJECT ""'), '2');
    assert.equal(await q('FROM b@'), '2');
  } finally {
    d.close();
  }
});

test('foldedHeaderValue is fold(decodeHeaderValue()) on latin1 values: ASCII, encoded words, raw 8-bit, JIS escapes', () => {
  const r = rng(3);
  const atoms = ['Ab', 'Z', ' ', '=?', '?=', '=?UTF-8?B?5pel5pys?=', '=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=', '\x1b$B', 'F|', '\x1b(B', '\xe9', '\xff', 'ｱ', 'İ'];
  for (let n = 0; n < 5000; n++) {
    const v = Array.from({ length: Math.floor(r() * 6) }, () => atoms[Math.floor(r() * atoms.length)]).join('');
    const latin1 = Buffer.from(v, 'utf8').toString('latin1');
    assert.equal(foldedHeaderValue(latin1), fold(decodeHeaderValue(latin1)), JSON.stringify(latin1));
  }
});

let h: Harness;
let c: RawClient;
let maildir: string;

const words = (cs: string, text: string) => `=?${cs}?B?${iconv.encode(text, cs).toString('base64')}?=`;
// 日本語 in ISO-2022-JP (iconv-lite cannot encode it): ESC $ B F | K \ 8 l ESC ( B
const JIS = Buffer.from('1b2442467c4b5c386c1b2842', 'hex');
const lit = (s: string) => `{${Buffer.byteLength(s)}+}\r\n${s}`;

async function find(q: string): Promise<string> {
  const r = await c.cmd(`SEARCH ${q}`);
  assert.match(r.status, /^OK/, `${q}: ${r.status}`);
  return r.lines.find((l) => l.startsWith('* SEARCH'))!.slice(8).trim();
}

before(async () => {
  h = await startHarness({ store: (dataDir) => new MaildirStore(dataDir) });
  maildir = path.join(h.dir, 'data', 'mail', 'example.test', 'taro', 'Maildir');
  const subjects = [
    Buffer.from(`Subject: =?ISO-2022-JP?B?${JIS.toString('base64')}?= kenmei`),
    Buffer.concat([Buffer.from('Subject: raw '), JIS]), // raw ISO-2022-JP, no encoded word
    Buffer.from(`Subject: ${words('Shift_JIS', '日本語の見積')}`),
    Buffer.from(`Subject: ${words('EUC-JP', '日本語の請求')}`),
    Buffer.from(`Subject: ${words('UTF-8', '日本語の報告')}`),
    Buffer.from('Subject: Plain ASCII needle'),
    Buffer.from('Subject: folded\r\n  needle over two lines'),
  ];
  for (let i = 0; i < subjects.length; i++) {
    await h.store.append(USER, 'INBOX', Buffer.concat([Buffer.from(`From: p${i}@example.test\r\n`), subjects[i], Buffer.from(`\r\nX-N: ${i}\r\n\r\nbody ${i}\r\n`)]));
  }
  c = await RawClient.connect(h.plain.port);
  await c.login();
  await c.cmd('SELECT INBOX');
});
after(async () => {
  c.close();
  await h.close();
});

test('SEARCH SUBJECT from columns: Japanese in four charsets and raw ISO-2022-JP, folded lines, NOT and OR with other keys', async () => {
  for (let round = 0; round < 2; round++) {
    // round 0 makes the columns (from the files), round 1 answers from them
    assert.equal(await find(`CHARSET UTF-8 SUBJECT ${lit('日本語')}`), '1 2 3 4 5', `round ${round}`);
    assert.equal(await find(`CHARSET UTF-8 SUBJECT ${lit('見積')}`), '3');
    assert.equal(await find('SUBJECT NEEDLE'), '6 7');
    assert.equal(await find('SUBJECT "needle over"'), '7');
    assert.equal(await find('NOT SUBJECT needle'), '1 2 3 4 5');
    assert.equal(await find('OR SUBJECT kenmei HEADER X-N 6'), '1 7');
    assert.equal(await find('SUBJECT needle HEADER X-N 5'), '6');
    assert.equal(await find('HEADER X-Missing ""'), '');
    assert.equal(await find('HEADER X-N ""'), '1 2 3 4 5 6 7');
    assert.equal(await find(`CHARSET ISO-2022-JP SUBJECT {${JIS.length}}\r\n${JIS.toString('latin1')}`), '1 2 3 4 5');
  }
  // after FETCH kept the header blocks: another field's column is made from them
  await c.cmd('FETCH 1:* (ENVELOPE)');
  assert.equal(await find('FROM p3@'), '4');
});

test('after a column was made, messages from another session and files moved by another process are searched; expunged ones are not', async () => {
  assert.equal(await find(`CHARSET UTF-8 SUBJECT ${lit('日本語')}`), '1 2 3 4 5');
  // another session delivers one (Shift_JIS), another process drops a file into new/ (EUC-JP) and removes one
  await h.store.append(USER, 'INBOX', mail(['From: late@example.test', `Subject: ${words('Shift_JIS', '追加の日本語')}`, '', 'late']));
  fs.writeFileSync(path.join(maildir, 'new', `${Math.floor(Date.now() / 1000)}.M1P1.other`), mail(['From: other@example.test', `Subject: ${words('EUC-JP', '外から日本語')}`, '', 'dropped']));
  const cur = fs.readdirSync(path.join(maildir, 'cur')).sort();
  const victim = cur.find((f) => fs.readFileSync(path.join(maildir, 'cur', f), 'latin1').includes('X-N: 2'))!;
  fs.unlinkSync(path.join(maildir, 'cur', victim));
  const noop = await c.cmd('NOOP');
  assert.ok(noop.lines.some((l) => /^\* 3 EXPUNGE/.test(l)), noop.lines.join('\n'));
  assert.ok(noop.lines.some((l) => /^\* 8 EXISTS/.test(l)), noop.lines.join('\n'));
  const hits = await find(`CHARSET UTF-8 SUBJECT ${lit('日本語')}`);
  // 1, 2, 4, 5 (sequence numbers after message 3 went: 1 2 3 4), then the two new ones (7 and 8)
  assert.equal(hits, '1 2 3 4 7 8');
  assert.equal(await find(`CHARSET UTF-8 SUBJECT ${lit('外から')}`), '8');
  assert.equal(await find(`CHARSET UTF-8 SUBJECT ${lit('追加')}`), '7');
  assert.equal(await find('SUBJECT kenmei'), '1');
});
