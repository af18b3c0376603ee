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
import { deliveryOrder, inDeliveryOrder, oneOfEachBase } from './maildir-order.js';
import { readFirstBuild } from './maildir-build.js';
import { readdirValid } from './maildir-names-ascii.js';
import { linkSkipped, lstatMessage } from './maildir-links.js';

export { compareMaildirNames } from './maildir-order.js';

/**
 * A folder's rows as a listing of this process has them while it is current (same folder state, no write since):
 * read instead of the index when cur/ is compared, so a first build's rows need not be written for it.
 */
export interface KnownRows {
  count: number;
  uid(i: number): number;
  key(i: number): string;
  files: readonly string[];
}

/** File operations in flight at once while a folder is read (more than libuv's pool has threads — 4 unless UV_THREADPOOL_SIZE is set — so the pool is never idle). */
const SYNC_PARALLEL = 24;

/**
 * Bring the index in line with the folder on disk. new/ is always read (it is small): its files get UIDs in
 * name order (time order) and move to cur/ with ":2,". cur/ is re-read only when forced, when its mtime
 * differs from the one recorded at the last full read, or when that mtime is too recent to be trusted; its names
 * are compared with `known` when given (see KnownRows), else with the index's rows.
 */
export async function syncFolder(
  index: IndexDb, dirtyWindowMs: number, folder: FolderName, dir: string, force: boolean, known?: KnownRows | null,
): Promise<void> {
  const fRow = index.folder(folder);
  const add: NewMessage[] = [];
  const newDir = path.join(dir, 'new');
  const curDir = path.join(dir, 'cur');
  let names: string[] = [];
  try {
    names = (await readdirValid(newDir)).filter((d) => !d.name.startsWith('.')).map((d) => d.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  // stat and move to cur/ many at once; UIDs still follow name (delivery) order
  const moved = await inParallel(inDeliveryOrder(names, (n) => n), async (name): Promise<NewMessage | null> => {
    const { base, info } = parseMaildirName(name);
    const st = await lstatMessage(newDir, name);
    if (!st) return null;
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
  if (add.length) {
    index.apply(folder, { add }, { build: true });
    known = null; // rows were added since
  }

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
  // a folder that never had a message (UIDNEXT 1: its first build) has no rows to compare with: its names are read
  // in columns (maildir-build.ts)
  if (index.folder(folder).uidnext === 1) {
    index.applyBuild(folder, await readFirstBuild(curDir), mtime);
    return;
  }

  // the names alone: readdir's entry types say what is a plain file without a stat per file; each name parsed once,
  // into arrays of the right length and with indexed loops (no iterator result per entry: this runs cold, once
  // per folder, over thousands of names)
  const entries = await readdirValid(curDir);
  const files: string[] = new Array(entries.length);
  const bases: string[] = new Array(entries.length);
  const letters: string[] = new Array(entries.length);
  const plain: boolean[] = new Array(entries.length);
  let count = 0;
  for (let e = 0; e < entries.length; e++) {
    const d = entries[e];
    const file = d.name;
    if (file.charCodeAt(0) === 46 || d.isDirectory()) continue;
    // a link is no message of ours (maildir-links.ts): a listed file replaced by one is removed here
    if (d.isSymbolicLink()) {
      linkSkipped(curDir, file);
      continue;
    }
    // parseMaildirName without its object per name (a first build reads thousands)
    const i = file.indexOf(':2,');
    const j = i < 0 ? file.indexOf(':') : i;
    files[count] = file;
    bases[count] = j < 0 ? file : file.slice(0, j);
    letters[count] = i < 0 ? '' : file.slice(i + 3);
    plain[count] = d.isFile();
    count++;
  }
  files.length = bases.length = letters.length = plain.length = count;
  const remove: number[] = [];
  const flags: { uid: number; file: string; letters: string; keywords: string }[] = [];
  const at = new Map<string, number>();
  for (let i = 0; i < bases.length; i++) at.set(bases[i], i);
  const compare = (uid: number, base: string, file: string) => {
    const i = at.get(base);
    if (i === undefined) remove.push(uid);
    else {
      if (files[i] !== file) flags.push({ uid, file: files[i], letters: letters[i], keywords: index.message(folder, uid)!.keywords });
      at.delete(base);
    }
  };
  // the rows as this process's current listing has them, else as the index has them
  if (known) for (let k = 0; k < known.count; k++) compare(known.uid(k), known.key(k), known.files[k]);
  else {
    // a first build's rows not written yet are written a slice per turn, not at once by bases()
    await index.writeRowsInSlices();
    for (const row of index.bases(folder)) compare(row.uid, row.base, row.file);
  }
  const fresh = [...at.values()];
  // UIDs follow delivery order; of two names with one base (a rename caught half way), the one read last counts
  const order = oneOfEachBase(deliveryOrder(bases, fresh), bases);
  const sizes: (number | undefined)[] = new Array(files.length);
  const dates: number[] = new Array(files.length);
  const toStat: number[] = [];
  for (const i of order) {
    // Size from ",S=" and flags from ":2,", as Dovecot does for names it wrote; the date (the file's mtime) is
    // stat'ed when a command first asks for it (maildir-idate.ts). Names without a valid ",S=" (other delivery
    // agents) and entries readdir could not type as plain files (symlinks) are stat'ed here.
    const named = plain[i] ? sizeFromName(bases[i]) : undefined;
    if (named === undefined) toStat.push(i);
    else {
      sizes[i] = named;
      dates[i] = UNKNOWN_IDATE;
    }
  }
  await inParallel(toStat, async (i) => {
    const st = await lstatMessage(curDir, files[i]);
    if (!st) return;
    sizes[i] = sizeFromName(bases[i]) ?? st.size;
    dates[i] = st.mtimeMs;
  }, SYNC_PARALLEL);
  const found: NewMessage[] = new Array(order.length);
  let n = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const size = sizes[i];
    if (size !== undefined) found[n++] = { base: bases[i], file: files[i], size, idate: dates[i], letters: letters[i] };
  }
  found.length = n;
  index.apply(folder, { add: found, remove, flags, curMtime: mtime }, { build: true });
}

