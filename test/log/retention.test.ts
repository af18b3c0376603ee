// Log retention on a fake clock: a data dir with 120 days of daily files keeps 90 days after the daily
// pass (today included), the kept past days gzipped (and readable back), today's file and files a logger
// still has open untouched, other files never; the pass runs at start and then daily after local midnight
// (node:test mock.timers), and a server started on such a dir does the same.
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { localDay } from '../../engine/log/logger.js';
import { firstKeptDay, msToNextPass, retentionPass, scheduleRetention } from '../../engine/log/retention.js';
import { startTestServer } from '../helpers/server.js';

const NOW = new Date(2026, 2, 15, 9, 30); // 15 March 2026, local time (a DST change lies inside the 120 days)

function day(offset: number, from = NOW): string {
  return localDay(new Date(from.getFullYear(), from.getMonth(), from.getDate() - offset, 12));
}

/** logs/ with smtp and delivery files for `days` days up to `from`, and a file that is not a daily log. */
function fill(dir: string, days: number, from = NOW): void {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < days; i++) {
    for (const s of ['smtp', 'delivery']) fs.writeFileSync(path.join(dir, `${s}-${day(i, from)}.log`), `${s} line of ${day(i, from)}\n`.repeat(50));
  }
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'operator notes\n');
  fs.writeFileSync(path.join(dir, 'smtp-2025.log'), 'not a daily file\n');
}

const daysIn = (dir: string, s: string) =>
  fs
    .readdirSync(dir)
    .filter((n) => n.startsWith(`${s}-`) && /\d{8}\.log/.test(n))
    .sort();

describe('the daily pass', () => {
  it('120 days of logs → 90 kept, past days gzipped, today plain, other files untouched', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-ret-')), 'logs');
    fill(dir, 120);
    const r = await retentionPass(dir, { now: NOW, keepDays: 90, compress: true });
    assert.equal(r.deleted, 60);
    assert.equal(r.compressed, 2 * 89);
    assert.deepEqual(r.errors, []);
    for (const s of ['smtp', 'delivery']) {
      const kept = daysIn(dir, s);
      assert.equal(kept.length, 90);
      assert.equal(kept[0], `${s}-${day(89)}.log.gz`);
      assert.equal(kept.at(-1), `${s}-${day(0)}.log`, 'today stays as it is');
      assert.ok(kept.slice(0, -1).every((n) => n.endsWith('.log.gz')));
    }
    assert.equal(firstKeptDay(NOW, 90), day(89));
    const back = zlib.gunzipSync(fs.readFileSync(path.join(dir, `smtp-${day(1)}.log.gz`))).toString();
    assert.equal(back, `smtp line of ${day(1)}\n`.repeat(50));
    assert.ok(fs.existsSync(path.join(dir, 'notes.txt')) && fs.existsSync(path.join(dir, 'smtp-2025.log')));
    assert.equal(fs.statSync(path.join(dir, `smtp-${day(1)}.log.gz`)).mode & 0o777, 0o600);
    // a second pass the same day changes nothing
    assert.deepEqual(await retentionPass(dir, { now: NOW, keepDays: 90, compress: true }), { compressed: 0, deleted: 0, errors: [] });
  });

  it('never touches a file a logger still has open; keep_days = 0 keeps everything; compress = false keeps plain files', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-ret-')), 'logs');
    fill(dir, 10);
    const open = path.join(dir, `smtp-${day(1)}.log`);
    await retentionPass(dir, { now: NOW, keepDays: 0, compress: true, openFiles: [open] });
    assert.ok(fs.existsSync(open));
    assert.equal(daysIn(dir, 'smtp').length, 10);
    assert.equal(daysIn(dir, 'delivery').filter((n) => n.endsWith('.gz')).length, 9);
    const plain = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-ret-')), 'logs');
    fill(plain, 10);
    const r = await retentionPass(plain, { now: NOW, keepDays: 3, compress: false });
    assert.deepEqual(daysIn(plain, 'smtp'), [`smtp-${day(2)}.log`, `smtp-${day(1)}.log`, `smtp-${day(0)}.log`]);
    assert.equal(r.compressed, 0);
  });

  it('a pass that stopped after writing the .gz finishes by removing the original (no duplicate, no loss)', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-ret-')), 'logs');
    fill(dir, 3);
    const name = path.join(dir, `smtp-${day(1)}.log`);
    fs.writeFileSync(`${name}.gz`, zlib.gzipSync(fs.readFileSync(name)));
    await retentionPass(dir, { now: NOW, keepDays: 90, compress: true });
    assert.ok(!fs.existsSync(name));
    assert.equal(zlib.gunzipSync(fs.readFileSync(`${name}.gz`)).toString(), `smtp line of ${day(1)}\n`.repeat(50));
  });
});

describe('the schedule', () => {
  it('runs at start, then at 00:05 every day, on the clock it is given', async () => {
    mock.timers.enable({ apis: ['setTimeout'], now: NOW.getTime() });
    try {
      const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-ret-')), 'logs');
      fill(dir, 100);
      const runs: number[] = [];
      let clock = NOW;
      const s = scheduleRetention({ dir, keepDays: 90, compress: false, now: () => clock, report: (r) => runs.push(r.deleted) });
      await s.runNow(); // the start pass is this one (shared while it runs)
      assert.equal(runs.length, 1);
      assert.equal(daysIn(dir, 'smtp').length, 90);
      // the files of the next days appear; the day after, at 00:05, one more day goes
      fs.writeFileSync(path.join(dir, `smtp-${day(-1)}.log`), 'tomorrow\n');
      const wait = msToNextPass(NOW);
      assert.equal(wait, new Date(2026, 2, 16, 0, 5).getTime() - NOW.getTime());
      clock = new Date(NOW.getTime() + wait);
      mock.timers.tick(wait - 1);
      await new Promise((r) => setImmediate(r));
      assert.equal(runs.length, 1, 'not before 00:05');
      mock.timers.tick(1);
      for (let i = 0; i < 20 && runs.length < 2; i++) await new Promise((r) => setImmediate(r));
      await s.runNow();
      assert.ok(runs.length >= 2);
      assert.equal(daysIn(dir, 'smtp').length, 90);
      assert.equal(daysIn(dir, 'smtp')[0], `smtp-${day(88)}.log`);
      s.stop();
    } finally {
      mock.timers.reset();
    }
  });

  it('tegami serve runs the pass at start: 120 days of logs in the data dir, 90 kept', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-ret-srv-'));
    const logs = path.join(dir, 'data', 'logs');
    const today = new Date();
    fill(logs, 120, today);
    const srv = await startTestServer({ dataDir: path.join(dir, 'data') }); // keep_days defaults to 90
    try {
      const end = Date.now() + 30_000;
      const systemLog = () => fs.readFileSync(path.join(logs, `system-${localDay(today)}.log`), 'utf8');
      // the pass ends with its log line
      while (!/log-retention/.test(systemLog()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      assert.match(systemLog(), /INFO log-retention compressed=\d+ deleted=60 kept_days=90/);
      assert.equal(daysIn(logs, 'delivery').length, 90);
      assert.ok(daysIn(logs, 'delivery').slice(0, -1).every((n) => n.endsWith('.gz')));
    } finally {
      await srv.stop();
    }
  });
});
