// A folder's first build read from cur/ in columns (build-columns.ts): one readdir and one pass over the names
// that reads each one's delivery second and microsecond, its ",S=" size and whether it is \Seen into typed
// arrays; a native sort of packed keys gives UID order. No base name, letters string or row object is made per
// message (a first build reads thousands of names in code not compiled yet). Names the fast path cannot order
// (ties, odd names) take maildir-order.ts's comparison; names without a valid ",S=" and entries readdir cannot
// type as plain files are stat'ed, as in any sync. It only reads the directory; it never renames or writes (but for
// names that are not valid UTF-8: maildir-names-ascii.ts).
import type fs from 'node:fs';
import { BuildColumns, baseEnd } from './build-columns.js';
import { sizeFromName } from './maildir-flags.js';
import { UNKNOWN_IDATE } from './maildir-idate.js';
import { deliveryOrder, fitsKey, oneOfEachBase, secondOf, sortedKeys, usecOf } from './maildir-order.js';
import { inParallel } from '../util/in-parallel.js';
import { readdirValid } from './maildir-names-ascii.js';
import { lstatMessage } from './maildir-links.js';

/** File operations in flight at once while names without a size are stat'ed (the libuv pool has 32 threads). */
const STAT_PARALLEL = 24;

/** Read cur/ (`curDir`) as a first build: every message file, in delivery order, sized and dated as a sync does. */
export async function readFirstBuild(curDir: string): Promise<BuildColumns> {
  const entries = await readdirValid(curDir);
  const n = entries.length;
  const names: string[] = new Array(n);
  const sizes = new Float64Array(n);
  const secs = new Int32Array(n);
  const usecs = new Int32Array(n);
  const toStat: number[] = [];
  const state = new Int32Array(2);
  scanNames(entries, names, sizes, secs, usecs, toStat, state);
  const count = state[0];
  names.length = count;
  let dates: Float64Array | null = null;
  if (toStat.length) {
    dates = new Float64Array(count).fill(UNKNOWN_IDATE);
    const d = dates;
    await inParallel(toStat, async (i) => {
      const st = await lstatMessage(curDir, names[i]);
      if (!st) return; // gone meanwhile, or a link: left out
      sizes[i] = sizeFromName(names[i], baseEnd(names[i])) ?? st.size;
      d[i] = st.mtimeMs;
    }, STAT_PARALLEL);
  }
  // UID order: the packed keys when every name has one and no two tie, else the comparison (which also drops the
  // earlier of two names with one base: a rename caught half way, the one read last counts)
  const packed = state[1] ? sortedKeys(secs, usecs, count) : null;
  const order: ArrayLike<number> = packed ?? uniqueBases(names);
  const m = order.length;
  const files: string[] = new Array(m);
  const osizes = new Float64Array(m);
  const odates = dates ? new Float64Array(m) : null;
  const counts = new Int32Array(3);
  columnsIn(order, names, sizes, dates, files, osizes, odates, counts);
  const kept = counts[0];
  files.length = kept;
  const whole = kept === m;
  return new BuildColumns(files, whole ? osizes : osizes.slice(0, kept), odates && (whole ? odates : odates.slice(0, kept)), counts[1], counts[2]);
}

// The two passes over thousands of names are functions of their own that end with their loop: the first build
// runs them before V8 compiles them (a loop optimised in the middle, on stack), and code after such a loop would
// run optimised with no type feedback, so a second build would throw its compiled code away half way.

/**
 * One pass over the entries: each message name into `names`, its ",S=" size into `sizes` (-1 and its position into
 * `toStat` when it has none, or is not typed as a plain file), its second and microsecond into `secs`/`usecs`.
 * `state`: [names kept, whether every name fits a packed key (1) or not (0)]. Dot files and directories are left out.
 */
function scanNames(
  entries: fs.Dirent[], names: string[], sizes: Float64Array, secs: Int32Array, usecs: Int32Array, toStat: number[], state: Int32Array,
): void {
  let count = 0;
  let keyed = 1;
  for (let e = 0; e < entries.length; e++) {
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
      } else keyed = 0;
    }
    names[count++] = file;
    state[0] = count;
    state[1] = keyed;
  }
}

/**
 * The names in `order` (positions in `names`) into `files`/`osizes`/`odates`, less those found not to be message
 * files (size -1). `counts`: [kept, without \Seen, 1-based position of the first without \Seen or 0].
 */
function columnsIn(
  order: ArrayLike<number>, names: readonly string[], sizes: Float64Array, dates: Float64Array | null,
  files: string[], osizes: Float64Array, odates: Float64Array | null, counts: Int32Array,
): void {
  let kept = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (sizes[i] < 0) continue; // not a message file (its stat failed or found something else)
    const file = names[i];
    files[kept] = file;
    osizes[kept] = sizes[i];
    if (odates) odates[kept] = dates![i];
    kept++;
    counts[0] = kept;
    const info = file.indexOf(':2,');
    if (info < 0 || file.indexOf('S', info + 3) < 0) {
      if (!counts[1]++) counts[2] = kept;
    }
  }
}

/** Delivery order by comparison, of two names with one base only the later one read (oneOfEachBase, as maildir-sync.ts). */
function uniqueBases(names: readonly string[]): number[] {
  const bases = new Array<string>(names.length);
  for (let i = 0; i < names.length; i++) bases[i] = names[i].slice(0, baseEnd(names[i]));
  return oneOfEachBase(deliveryOrder(bases), bases);
}
