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
  const moved = await inParallel(inDeliveryOrder(names, (n) => n), async (name): Promise<NewMessage | null> => {
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

  // the names alone: readdir's entry types say what is a plain file without a stat per file; each name parsed once
  const onDisk = new Map<string, DiskName>();
  for (const d of await fsp.readdir(curDir, { withFileTypes: true })) {
    const file = d.name;
    if (file.startsWith('.') || d.isDirectory()) continue;
    const { base, info } = parseMaildirName(file);
    onDisk.set(base, { base, file, letters: info ?? '', plain: d.isFile() });
  }
  const remove: number[] = [];
  const flags: { uid: number; file: string; letters: string; keywords: string }[] = [];
  // a folder that never had a message (UIDNEXT 1: its first build) has no rows to compare with
  if (index.folder(folder).uidnext !== 1) {
    for (const row of index.bases(folder)) {
      const d = onDisk.get(row.base);
      if (d === undefined) remove.push(row.uid);
      else {
        if (d.file !== row.file) {
          const full = index.message(folder, row.uid)!;
          flags.push({ uid: row.uid, file: d.file, letters: d.letters, keywords: full.keywords });
        }
        onDisk.delete(row.base);
      }
    }
  }
  // Size from ",S=" and flags from ":2,", as Dovecot does for names it wrote; the date (the file's mtime) is
  // stat'ed when a command first asks for it (maildir-idate.ts). Names without a valid ",S=" (other delivery
  // agents) and entries readdir could not type as plain files (symlinks) are stat'ed here, as before.
  const found: NewMessage[] = [];
  const toStat: DiskName[] = [];
  for (const d of inDeliveryOrder([...onDisk.values()], (x) => x.base)) {
    const named = d.plain ? sizeFromName(d.base) : undefined;
    if (named !== undefined) found.push({ base: d.base, file: d.file, size: named, idate: UNKNOWN_IDATE, letters: d.letters });
    else toStat.push(d);
  }
  const stated = await inParallel(toStat, async ({ base, file, letters }): Promise<NewMessage | null> => {
    let st: fs.Stats;
    try {
      st = await fsp.stat(path.join(curDir, file));
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    return { base, file, size: sizeFromName(base) ?? st.size, idate: st.mtimeMs, letters };
  }, SYNC_PARALLEL);
  for (const m of stated) if (m) found.push(m);
  // UIDs follow delivery order across both groups
  if (toStat.length) found.splice(0, found.length, ...inDeliveryOrder(found, (m) => m.base));
  index.apply(folder, { add: found, remove, flags, curMtime: mtime }, { build: true });
}

/** A name read from cur/: its base, info letters, and whether readdir typed it as a plain file. */
interface DiskName {
  base: string;
  file: string;
  letters: string;
  plain: boolean;
}

/** What delivery order compares in a name: its delivery second and the "M<usec>" of its unique part. */
interface OrderKey {
  name: string;
  sec: number;
  usec: string | null;
}

const USEC = /^\d+\.[^.]*?M(\d+)/;

function orderKey(name: string): OrderKey {
  return { name, sec: parseInt(name, 10), usec: USEC.exec(name)?.[1] ?? null };
}

function compareKeys(a: OrderKey, b: OrderKey): number {
  if (a.sec !== b.sec && !Number.isNaN(a.sec) && !Number.isNaN(b.sec)) return a.sec - b.sec;
  if (a.usec !== null && b.usec !== null && a.usec !== b.usec) return Number(a.usec) - Number(b.usec);
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Delivery order of two Maildir names: they start with the delivery second, and the usual unique part
 * carries the microsecond as "M<usec>" ("1700000000.M123456P42Q7.host"); compare those as numbers, then the rest.
 */
export function compareMaildirNames(a: string, b: string): number {
  return compareKeys(orderKey(a), orderKey(b));
}

/** Items in delivery order of their names (compareMaildirNames), each name's numbers read once, not per comparison. */
function inDeliveryOrder<T>(items: T[], nameOf: (item: T) => string): T[] {
  const keyed = items.map((item) => ({ item, k: orderKey(nameOf(item)) }));
  keyed.sort((x, y) => compareKeys(x.k, y.k));
  return keyed.map((x) => x.item);
}
