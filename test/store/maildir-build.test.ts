// A folder's first build read in columns (engine/store/maildir-build.ts, build-columns.ts): from one readdir, without
// a base name or row object per message, it must find what a sync that parses every name finds — the message files
// in delivery order (the comparison's order, with ties, odd names and a base read twice), sizes from ",S=" or a stat,
// dates only where stat'ed, \Seen from ":2," — and leave out what is not a message (dot files, directories, a name
// whose file went away). Its record is the old encoder's bytes, so indexes written by either version read the same.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BuildColumns } from '../../engine/store/build-columns.js';
import { decodeBuild, encodeBuild, encodeColumns } from '../../engine/store/build-record.js';
import { readFirstBuild } from '../../engine/store/maildir-build.js';
import { parseMaildirName, sizeFromName } from '../../engine/store/maildir-flags.js';
import { UNKNOWN_IDATE } from '../../engine/store/maildir-idate.js';
import { compareMaildirNames, usecOf } from '../../engine/store/maildir-order.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** What a sync that parses every name finds in cur/: the message files in delivery order, sized and dated. */
function expectedOf(cur: string): { file: string; size: number; idate: number }[] {
  const entries = fs.readdirSync(cur, { withFileTypes: true }).filter((d) => !d.name.startsWith('.') && !d.isDirectory());
  const byBase = new Map<string, string>();
  // of two names with one base, the later one in readdir's order counts (the rename caught half way)
  for (const d of entries) byBase.set(parseMaildirName(d.name).base, d.name);
  const files = [...byBase.values()].sort((a, b) => compareMaildirNames(parseMaildirName(a).base, parseMaildirName(b).base));
  const out: { file: string; size: number; idate: number }[] = [];
  for (const file of files) {
    const base = parseMaildirName(file).base;
    const st = fs.statSync(path.join(cur, file));
    if (!st.isFile()) continue;
    const named = sizeFromName(base);
    out.push({ file, size: named ?? st.size, idate: named === undefined ? st.mtimeMs : UNKNOWN_IDATE });
  }
  return out;
}

function columnsOf(c: BuildColumns): { file: string; size: number; idate: number }[] {
  return c.files.map((file, i) => ({ file, size: c.sizes[i], idate: c.idate(i) }));
}

test('the columns of a first build are what a sync parsing every name finds, for usual and odd names', async () => {
  const r = random(11);
  const kinds: ((i: number) => string)[] = [
    (i) => `${1_700_000_000 + Math.floor(r() * 5000)}.M${Math.floor(r() * 999_999)}P${i}.host,S=${10 + (i % 50)}`,
    (i) => `${1_700_000_000 + Math.floor(r() * 5000)}.M${Math.floor(r() * 999_999)}P${i}.ホスト,S=${10 + (i % 50)}:2,${['', 'S', 'FRS', 'aT', 'DS'][i % 5]}`,
    (i) => `${1_700_000_000 + Math.floor(r() * 3)}.M${Math.floor(r() * 3)}P${i}.tie,S=${10 + (i % 50)}:2,S`, // equal keys: the comparison
    (i) => `${1_700_000_000 + i}.${i}_1.qmail-host:2,`, // no M<usec>, no size: stat'ed
    (i) => `${1_700_000_000 + i}.P${i}.host,S=${10 + (i % 50)}:2,M5`, // an "M5" only in the info: no microsecond
    (i) => `${1_700_000_000 + i}.M${i}P1.host,S=12x:2,S`, // a malformed size: stat'ed
    (i) => `${1_700_000_000 + i}.M${i}P1.host:1,S=99`, // experimental info: base before ":"
  ];
  for (const mix of [[0], [0, 1], [0, 2], [1, 3, 4], [0, 1, 2, 3, 4, 5, 6]]) {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-maildir-build-'));
    dirs.push(data);
    const cur = path.join(data, 'cur');
    fs.mkdirSync(cur);
    const names = new Set<string>();
    for (let i = 0; i < 1500; i++) names.add(kinds[mix[i % mix.length]](i));
    let k = 0;
    for (const name of names) {
      fs.writeFileSync(path.join(cur, name), 'x'.repeat(10 + (k % 50)));
      fs.utimesSync(path.join(cur, name), 1_700_000_000 + k, 1_700_000_000 + k);
      k++;
    }
    // beside the mail: a dot file, a directory (named like a message too), one base read twice (the rename caught half way)
    fs.writeFileSync(path.join(cur, '.hidden,S=1'), 'x');
    fs.mkdirSync(path.join(cur, 'not-a-message'));
    fs.mkdirSync(path.join(cur, '1700000001.M1P1.dir,S=5:2,S'));
    fs.writeFileSync(path.join(cur, '1700000002.M2P2.twice,S=3:2,'), 'abc');
    fs.writeFileSync(path.join(cur, '1700000002.M2P2.twice,S=3:2,S'), 'abc');
    const got = await readFirstBuild(cur);
    const expected = expectedOf(cur);
    assert.deepEqual(columnsOf(got), expected, `kinds ${mix.join(',')}`);
    assert.equal(got.files.filter((f) => f.includes('.twice,')).length, 1, 'one base, one message');
    const unseen = expected.filter((m) => !(parseMaildirName(m.file).info ?? '').includes('S'));
    assert.equal(got.unseen, unseen.length);
    assert.equal(got.firstUnseen, unseen.length ? expected.indexOf(unseen[0]) + 1 : 0);
    // each message as a row: the base and letters its name gives
    for (let i = 0; i < got.length; i += 97) {
      const { base, info } = parseMaildirName(got.files[i]);
      assert.deepEqual(got.message(i), { base, file: got.files[i], size: got.sizes[i], idate: got.idate(i), letters: info ?? '' });
    }
    // the record: the old encoder's bytes, read back to the same messages
    const rows = got.messages();
    const old = encodeBuild(rows)!;
    const now = encodeColumns(got)!;
    assert.ok(now.blob.equals(old.blob) && now.count === old.count && now.crc === old.crc, 'same record bytes as before');
    assert.deepEqual(decodeBuild(now.blob, now.count, now.crc)!.map((m) => ({ ...m, idate: Math.round(m.idate) })), rows.map((m) => ({ ...m, idate: Math.round(m.idate) })));
  }
});

test('an empty cur/ and one of only non-messages give an empty build', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-maildir-build-'));
  dirs.push(data);
  const cur = path.join(data, 'cur');
  fs.mkdirSync(cur);
  assert.equal((await readFirstBuild(cur)).length, 0);
  fs.mkdirSync(path.join(cur, 'sub'));
  fs.writeFileSync(path.join(cur, '.x'), '');
  const c = await readFirstBuild(cur);
  assert.deepEqual([c.length, c.unseen, c.firstUnseen], [0, 0, 0]);
});

test('a size and a microsecond read within a whole file name are those of its base', () => {
  const r = random(5);
  const parts = ['1700000000', '.', 'M', '12', 'P', ',S=', '34', ',W=', '5x', ':', '2', ',', 'S', 'M7', '日本', '', '.'];
  for (let n = 0; n < 20000; n++) {
    let name = '';
    const len = 1 + Math.floor(r() * 12);
    for (let j = 0; j < len; j++) name += parts[Math.floor(r() * parts.length)];
    const { base } = parseMaildirName(name);
    const end = base.length;
    assert.equal(sizeFromName(name, end), sizeFromName(base), name);
    assert.ok(Object.is(usecOf(name, end), usecOf(base)), name);
  }
});

test('columns made from rows (new/, a decoded record) keep their sizes and known dates', () => {
  const add = [
    { base: '1700000000.M1P1.a,S=5', file: '1700000000.M1P1.a,S=5:2,S', size: 5, idate: UNKNOWN_IDATE, letters: 'S' },
    { base: '1700000001.M2P1.b', file: '1700000001.M2P1.b:2,', size: 77, idate: 1_700_000_001_234, letters: '' },
  ];
  const c = BuildColumns.of(add);
  assert.deepEqual(c.messages(), add);
  assert.deepEqual([c.unseen, c.firstUnseen], [1, 2]);
  assert.ok(encodeColumns(c)!.blob.equals(encodeBuild(add)!.blob));
});
