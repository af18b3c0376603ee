// Log retention ([log] keep_days, compress): the daily pass over <data_dir>/logs removes the daily files
// of days older than keep_days (today counts as one) and gzips those of past days (<name>.log.gz, written
// to a temporary name, fsynced, renamed, then the original removed). It touches only files named
// <service>-YYYYMMDD.log[.gz], never one a logger still has open, and is scheduled once a day after
// local midnight on an injectable clock.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { localDay } from './logger.js';

const DAILY = /^([a-z]+)-(\d{8})\.log(\.gz)?$/;

export interface RetentionResult {
  compressed: number;
  deleted: number;
  errors: { file: string; error: string }[];
}

/** The first day kept: keepDays days counting today, as YYYYMMDD. */
export function firstKeptDay(now: Date, keepDays: number): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (keepDays - 1), 12);
  return localDay(d);
}

export async function retentionPass(dir: string, o: { now: Date; keepDays: number; compress: boolean; openFiles?: string[] }): Promise<RetentionResult> {
  const result: RetentionResult = { compressed: 0, deleted: 0, errors: [] };
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return result;
  }
  const today = localDay(o.now);
  const first = o.keepDays > 0 ? firstKeptDay(o.now, o.keepDays) : '00000000';
  const open = new Set((o.openFiles ?? []).map((f) => path.resolve(f)));
  for (const name of names.sort()) {
    const m = DAILY.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    if (open.has(file)) continue;
    const day = m[2];
    try {
      if (day < first) {
        await fsp.unlink(file);
        result.deleted++;
      } else if (o.compress && !m[3] && day < today) {
        if (await gzipFile(file)) result.compressed++;
      }
    } catch (e) {
      result.errors.push({ file: name, error: (e as Error).message });
    }
  }
  return result;
}

/** file → file.gz (0600), durable before the original goes; false when a .gz is already there. */
async function gzipFile(file: string): Promise<boolean> {
  const gz = `${file}.gz`;
  if (fs.existsSync(gz)) {
    // a pass stopped after the rename: the .gz is whole, only the original is left to remove
    await fsp.unlink(file);
    return false;
  }
  const tmp = `${gz}.tmp-${process.pid}`;
  try {
    await pipeline(fs.createReadStream(file), zlib.createGzip({ level: 6 }), fs.createWriteStream(tmp, { mode: 0o600 }));
    const fh = await fsp.open(tmp, 'r');
    await fh.sync();
    await fh.close();
    await fsp.rename(tmp, gz);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => {});
    throw e;
  }
  await fsp.unlink(file);
  return true;
}

/** Milliseconds from `now` to 00:05 local time of the next day (the daily pass runs then). */
export function msToNextPass(now: Date): number {
  const next = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 0, 5, 0, 0);
  return Math.max(1000, next.getTime() - now.getTime());
}

export interface RetentionSchedule {
  stop(): void;
  /** The pass now (also what the timer runs). */
  runNow(): Promise<RetentionResult>;
}

/** Run the pass at start and then daily; `report` logs each result. */
export function scheduleRetention(o: {
  dir: string;
  keepDays: number;
  compress: boolean;
  now?: () => Date;
  openFiles?: () => string[];
  beforePass?: (today: string) => Promise<void>;
  report: (r: RetentionResult) => void;
}): RetentionSchedule {
  const now = o.now ?? (() => new Date());
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let running: Promise<RetentionResult> | null = null;
  const runNow = () =>
    (running ??= (async () => {
      const at = now();
      await o.beforePass?.(localDay(at));
      const r = await retentionPass(o.dir, { now: at, keepDays: o.keepDays, compress: o.compress, openFiles: o.openFiles?.() });
      o.report(r);
      return r;
    })().finally(() => (running = null)));
  const arm = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runNow()
        .catch(() => undefined)
        .finally(arm);
    }, msToNextPass(now()));
    timer.unref();
  };
  void runNow()
    .catch(() => undefined)
    .finally(arm);
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    runNow,
  };
}
