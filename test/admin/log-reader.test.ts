// The logs page's reader: lists services and days (.log and .log.gz), pages through the lines containing a
// search text in file order, resumes later pages from where earlier ones started (same answers as reading
// from the start), reads gzipped days, cuts an endless line instead of holding it, and ignores what is
// appended after the file was listed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { logDays, MAX_LINE, readLogPage } from '../../engine/web/admin/log-reader.js';

describe('log reader', () => {
  let dir: string;
  const line = (i: number) => `2026-12-05T09:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:00.000Z INFO ${i % 3 === 0 ? 'queued' : 'connect'} sid=s${i} ip=192.0.2.${i % 250} 日本語`;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-logs-'));
    fs.writeFileSync(path.join(dir, 'smtp-20261205.log'), Array.from({ length: 1000 }, (_, i) => line(i) + '\n').join(''));
    fs.writeFileSync(path.join(dir, 'smtp-20261204.log.gz'), zlib.gzipSync(Array.from({ length: 500 }, (_, i) => line(i) + '\n').join('')));
    fs.writeFileSync(path.join(dir, 'delivery-20261205.log'), `short\n${'x'.repeat(MAX_LINE * 3)}\nafter the long line\nno newline at the end`);
    fs.writeFileSync(path.join(dir, 'not-a-log.txt'), 'x');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists services and days, newest first, .gz included', () => {
    const days = logDays(dir).map((d) => `${d.service}-${d.day}${d.gz ? '.gz' : ''}`);
    assert.deepEqual(days, ['delivery-20261205', 'smtp-20261205', 'smtp-20261204.gz']);
  });

  it('pages through matching lines; later pages agree with a read from the start', async () => {
    const d = logDays(dir).find((x) => x.service === 'smtp' && !x.gz)!;
    const all: string[] = [];
    for (let p = 1; ; p++) {
      const r = await readLogPage(d, 'queued', p, 25);
      all.push(...r.lines.map((l) => l.text));
      assert.ok(r.lines.every((l) => l.text.includes('queued')));
      if (!r.more) break;
    }
    const expected = Array.from({ length: 1000 }, (_, i) => line(i)).filter((l) => l.includes('queued'));
    assert.deepEqual(all, expected);
    // asked out of order (page 7 after the cache knows the starts), still the same
    const p7 = await readLogPage(d, 'queued', 7, 25);
    assert.deepEqual(p7.lines.map((l) => l.text), expected.slice(150, 175));
    assert.equal(p7.lines[0].n, 451, 'line numbers are the file\'s');
    const sid = await readLogPage(d, 'SID=S999', 1, 25);
    assert.deepEqual(sid.lines.map((l) => l.text), [line(999)], 'case-insensitive');
  });

  it('reads a gzipped day the same way', async () => {
    const d = logDays(dir).find((x) => x.gz)!;
    const r = await readLogPage(d, 'ip=192.0.2.7 ', 1, 10);
    assert.deepEqual(r.lines.map((l) => l.text), Array.from({ length: 500 }, (_, i) => line(i)).filter((l) => l.includes('ip=192.0.2.7 ')));
    const p2 = await readLogPage(d, '', 2, 100);
    assert.equal(p2.lines[0].n, 101);
    assert.equal(p2.more, true);
  });

  it('cuts an endless line to MAX_LINE and carries on with the next', async () => {
    const d = logDays(dir).find((x) => x.service === 'delivery')!;
    const r = await readLogPage(d, '', 1, 10);
    assert.deepEqual(r.lines.map((l) => [l.text.length, l.cut]), [[5, false], [MAX_LINE, true], [19, false], [21, false]]);
  });

  it('pages what the file held when listed, not what was appended since', async () => {
    const file = path.join(dir, 'imap-20261205.log');
    fs.writeFileSync(file, 'one\ntwo\n');
    const d = logDays(dir).find((x) => x.service === 'imap')!;
    fs.appendFileSync(file, 'three\n');
    const r = await readLogPage(d, '', 1, 10);
    assert.deepEqual(r.lines.map((l) => l.text), ['one', 'two']);
  });
});
