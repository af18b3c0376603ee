// A folder's first build read from cur/ in columns (build-columns.ts): one readdir and one pass over the names
// that reads each one's delivery second and microsecond, its ",S=" size and whether it is \Seen into typed
// arrays; a native sort of packed keys gives UID order. No base name, letters string or row object is made per
// message (a first build reads thousands of names in code not compiled yet). Names the fast path cannot order
// (ties, odd names) take maildir-order.ts's comparison; names without a valid ",S=" and entries readdir cannot
// type as plain files are stat'ed, as in any sync. It only reads the directory; it never renames or writes.
import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { BuildColumns, baseEnd } from './build-columns.js';
import { sizeFromName } from './maildir-flags.js';
import { UNKNOWN_IDATE } from './maildir-idate.js';
import { deliveryOrder, fitsKey, secondOf, sortedKeys, usecOf } from './maildir-order.js';
import { inParallel } from '../util/in-parallel.js';

/** File operations in flight at once while names without a size are stat'ed (the libuv pool has 32 threads). */
const STAT_PARALLEL = 24;

/** Read cur/ (`curDir`) as a first build: every message file, in delivery order, sized and dated as a sync does. */
export async function readFirstBuild(curDir: string): Promise<BuildColumns> {
  const entries = await fsp.readdir(curDir, { withFileTypes: true });
  const n = entries.length;
  const names: string[] = new Array(n);
  const sizes = new Float64Array(n);
  const secs = new Int32Array(n);
  const usecs = new Int32Array(n);
  /** Entries to stat (no valid ",S=", or not typed as a plain file). */
  const toStat: number[] = [];
  let count = 0;
  let keyed = true;
  for (let e = 0; e < n; e++) {
    const d = entries[e];
    const file = d.name;
    if (file.charCodeAt(0) === 46 || d.isDirectory()) continue;
    const end = baseEnd(file);
    const size = d.isFile() ? sizeFromName(file, end) : undefined;
    if (size === undefined) {
      toStat.push(count);
      sizes[count] = -1;
    } else sizes[count] = size;
    if (keyed) {
      const s = secondOf(file);
      const u = usecOf(file, end);
      if (fitsKey(s, u)) {
        secs[count] = s;
        usecs[count] = u;
      } else keyed = false;
    }
    names[count++] = file;
  }
  names.length = count;
  let dates: Float64Array | null = null;
  if (toStat.length) {
    dates = new Float64Array(count).fill(UNKNOWN_IDATE);
    const d = dates;
    await inParallel(toStat, async (i) => {
      let st: fs.Stats;
      try {
        st = await fsp.stat(path.join(curDir, names[i]));
      } catch {
        return; // gone meanwhile: left out
      }
      if (!st.isFile()) return;
      sizes[i] = sizeFromName(names[i], baseEnd(names[i])) ?? st.size;
      d[i] = st.mtimeMs;
    }, STAT_PARALLEL);
  }
  // UID order: the packed keys when every name has one and no two tie, else the comparison (which also drops the
  // earlier of two names with one base: a rename caught half way, the one read last counts)
  const packed = keyed ? sortedKeys(secs, usecs, count) : null;
  const order: ArrayLike<number> = packed ?? uniqueBases(names);
  const files: string[] = new Array(order.length);
  const osizes = new Float64Array(order.length);
  const odates = dates ? new Float64Array(order.length) : null;
  let kept = 0;
  let unseen = 0;
  let firstUnseen = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (sizes[i] < 0) continue; // not a message file (its stat failed or found something else)
    const file = names[i];
    files[kept] = file;
    osizes[kept] = sizes[i];
    if (odates) odates[kept] = dates![i];
    kept++;
    const info = file.indexOf(':2,');
    if (info < 0 || file.indexOf('S', info + 3) < 0) {
      unseen++;
      if (!firstUnseen) firstUnseen = kept;
    }
  }
  files.length = kept;
  return new BuildColumns(files, kept === order.length ? osizes : osizes.slice(0, kept), odates && (kept === order.length ? odates : odates.slice(0, kept)), unseen, firstUnseen);
}

/** Delivery order by comparison, of two names with one base only the later one read (as maildir-sync.ts keeps). */
function uniqueBases(names: readonly string[]): number[] {
  const bases = new Array<string>(names.length);
  for (let i = 0; i < names.length; i++) bases[i] = names[i].slice(0, baseEnd(names[i]));
  const order = deliveryOrder(bases);
  let kept = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (k + 1 < order.length && bases[order[k + 1]] === bases[i] && order[k + 1] > i) continue;
    if (kept > 0 && bases[order[kept - 1]] === bases[i]) continue;
    order[kept++] = i;
  }
  order.length = kept;
  return order;
}
