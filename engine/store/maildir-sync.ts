// Maildir → index synchronisation: new/ files get UIDs in delivery order and move to cur/ with ":2,";
// cur/ is re-read when its mtime moved, so renames (flags) and removals made behind our back are followed.
// It only reads and renames files in one folder and writes that folder's index rows.
import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FolderName } from './mailbox-store.js';
import type { IndexDb, NewMessage } from './index-db.js';
import { maildirName, parseMaildirName, sizeFromName } from './maildir-flags.js';
import { StoreError } from './store-error.js';
import { UNKNOWN_IDATE } from './maildir-idate.js';
import { inParallel } from '../util/in-parallel.js';

/** File operations in flight at once while a folder is read (the libuv pool has UV_THREADPOOL_SIZE = 32 threads). */
const SYNC_PARALLEL = 24;

/**
 * Bring the index in line with the folder on disk. new/ is always read (it is small): its files get UIDs in
 * name order (time order) and move to cur/ with ":2,". cur/ is re-read only when forced, when its mtime
 * differs from the one recorded at the last full read, or when that mtime is too recent to be trusted.
 */
export async function syncFolder(index: IndexDb, dirtyWindowMs: number, folder: FolderName, dir: string, force: boolean): Promise<void> {
  const fRow = index.folder(folder);
  const add: NewMessage[] = [];
  const newDir = path.join(dir, 'new');
  const curDir = path.join(dir, 'cur');
  let names: string[] = [];
  try {
    names = (await fsp.readdir(newDir)).filter((n) => !n.startsWith('.'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  // stat and move to cur/ many at once; UIDs still follow name (delivery) order
  const moved = await inParallel(names.sort(compareMaildirNames), async (name): Promise<NewMessage | null> => {
    const { base, info } = parseMaildirName(name);
    let st: fs.Stats;
    try {
      st = await fsp.stat(path.join(newDir, name));
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    const file = maildirName(base, info ?? '');
    try {
      await fsp.rename(path.join(newDir, name), path.join(curDir, file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return { base, file, size: sizeFromName(base) ?? st.size, idate: st.mtimeMs, letters: info ?? '' };
  }, SYNC_PARALLEL);
  for (const m of moved) if (m) add.push(m);
  if (add.length) index.apply(folder, { add }, { build: true });

  let curStat: fs.BigIntStats;
  try {
    curStat = await fsp.stat(curDir, { bigint: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreError('NONEXISTENT', `no folder ${folder}`);
    throw e;
  }
  const mtime = String(curStat.mtimeNs);
  const recent = Date.now() - Number(curStat.mtimeMs) < dirtyWindowMs;
  if (!force && !recent && mtime === fRow.cur_mtime && !add.length) return;

  // the names alone: readdir's entry types say what is a plain file without a stat per file
  const onDisk = new Map<string, string>();
  const plain = new Set<string>();
  for (const d of await fsp.readdir(curDir, { withFileTypes: true })) {
    if (d.name.startsWith('.') || d.isDirectory()) continue;
    const base = parseMaildirName(d.name).base;
    onDisk.set(base, d.name);
    if (d.isFile()) plain.add(d.name);
  }
  const remove: number[] = [];
  const flags: { uid: number; file: string; letters: string; keywords: string }[] = [];
  for (const row of index.bases(folder)) {
    const file = onDisk.get(row.base);
    if (file === undefined) remove.push(row.uid);
    else {
      if (file !== row.file) {
        const full = index.message(folder, row.uid)!;
        flags.push({ uid: row.uid, file, letters: parseMaildirName(file).info ?? '', keywords: full.keywords });
      }
      onDisk.delete(row.base);
    }
  }
  // Size from ",S=" and flags from ":2,", as Dovecot does for names it wrote; the date (the file's mtime) is
  // stat'ed when a command first asks for it (maildir-idate.ts). Names without a valid ",S=" (other delivery
  // agents) and entries readdir could not type as plain files (symlinks) are stat'ed here, as before.
  const found: NewMessage[] = [];
  const toStat: [string, string][] = [];
  for (const [base, file] of [...onDisk].sort((a, b) => compareMaildirNames(a[0], b[0]))) {
    const named = sizeFromName(base);
    if (named !== undefined && plain.has(file)) found.push({ base, file, size: named, idate: UNKNOWN_IDATE, letters: parseMaildirName(file).info ?? '' });
    else toStat.push([base, file]);
  }
  const stated = await inParallel(toStat, async ([base, file]): Promise<NewMessage | null> => {
    let st: fs.Stats;
    try {
      st = await fsp.stat(path.join(curDir, file));
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    return { base, file, size: sizeFromName(base) ?? st.size, idate: st.mtimeMs, letters: parseMaildirName(file).info ?? '' };
  }, SYNC_PARALLEL);
  for (const m of stated) if (m) found.push(m);
  // UIDs follow delivery order across both groups
  if (toStat.length) found.sort((a, b) => compareMaildirNames(a.base, b.base));
  index.apply(folder, { add: found, remove, flags, curMtime: mtime }, { build: true });
}

/**
 * Delivery order of two Maildir names: they start with the delivery second, and the usual unique part
 * carries the microsecond as "M<usec>" ("1700000000.M123456P42Q7.host"); compare those as numbers, then the rest.
 */
export function compareMaildirNames(a: string, b: string): number {
  const na = parseInt(a, 10);
  const nb = parseInt(b, 10);
  if (na !== nb && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  const ua = /^\d+\.[^.]*?M(\d+)/.exec(a);
  const ub = /^\d+\.[^.]*?M(\d+)/.exec(b);
  if (ua && ub && ua[1] !== ub[1]) return Number(ua[1]) - Number(ub[1]);
  return a < b ? -1 : a > b ? 1 : 0;
}
