// Delivery order of Maildir names, which gives new messages their UIDs: a name starts with its delivery second,
// and the usual unique part carries the microsecond as "M<usec>" ("1700000000.M123456P42Q7.host"); those are
// compared as numbers, then the whole names. Each name's numbers are read once, not per comparison. Pure.

/** The delivery second a name starts with (parseInt: NaN when it does not start with digits). */
export function secondOf(name: string): number {
  return parseInt(name, 10);
}

/**
 * The digits after the first "M" that has digits after it in the name's unique part, between its first and
 * second dots (as /^[^.]+\.[^.]*?M(\d+)/); NaN when there is none. The usual name is read by native string
 * functions (a first build reads thousands before any of this code is compiled); any other char by char.
 * `end`: where the base name ends in `name` (a file name read whole: the part before ":2,"), as if it were cut there.
 */
export function usecOf(name: string, end = name.length): number {
  const dot = name.indexOf('.');
  const m = name.indexOf('M', dot + 1);
  if (dot > 0 && m > dot && m + 1 < end) {
    const next = name.indexOf('.', dot + 1);
    const c = name.charCodeAt(m + 1);
    // the digits stop before `end`: a base ends before ":" (a non-digit) or at the name's end
    if ((next < 0 || next > m) && c >= 48 && c <= 57) return parseInt(name.slice(m + 1, end), 10);
  }
  return usecByChars(name, end);
}

function usecByChars(name: string, end: number): number {
  const i = name.indexOf('.');
  if (i <= 0 || i >= end) return NaN;
  for (let j = i + 1; j < end; j++) {
    const c = name.charCodeAt(j);
    if (c === 46) return NaN;
    if (c !== 77) continue;
    let k = j + 1;
    while (k < end && name.charCodeAt(k) >= 48 && name.charCodeAt(k) <= 57) k++;
    if (k > j + 1) return Number(name.slice(j + 1, k));
  }
  return NaN;
}

/** Compare by second, then microsecond (where both names have them), then the names themselves. */
function compare(names: readonly string[], sec: Float64Array, usec: Float64Array, a: number, b: number): number {
  const sa = sec[a];
  const sb = sec[b];
  if (sa !== sb && sa === sa && sb === sb) return sa - sb;
  const ua = usec[a];
  const ub = usec[b];
  if (ua !== ub && ua === ua && ub === ub) return ua - ub;
  const na = names[a];
  const nb = names[b];
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Delivery order of two Maildir names. */
export function compareMaildirNames(a: string, b: string): number {
  const names = [a, b];
  return compare(names, Float64Array.of(secondOf(a), secondOf(b)), Float64Array.of(usecOf(a), usecOf(b)), 0, 1);
}

/** Microseconds below this fit the packed key (20 bits); a larger one takes the comparison. */
const USEC_LIMIT = 2 ** 20;

/**
 * The indexes of `names` (all, or those in `which`) in delivery order. When every name has a second (before 2038)
 * and a microsecond, the seconds span less than the key has room for, and no two names have both equal (the
 * usual Maildir names), each name becomes one 63-bit key (second less the first, microsecond, its own index in
 * the low bits), written as two 32-bit halves and sorted natively: no comparison function, no per-key search and
 * no number boxed by code not compiled yet (a first build runs this once, cold). Else names are compared.
 */
export function deliveryOrder(names: readonly string[], which?: readonly number[]): number[] {
  let idx: number[];
  if (which) idx = which.slice();
  else {
    idx = new Array<number>(names.length);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
  }
  const m = idx.length;
  const packed = m > 1 ? packedOrder(names, idx) : idx;
  if (packed) return packed;
  const n = names.length;
  const sec = new Float64Array(n);
  const usec = new Float64Array(n);
  for (const i of idx) {
    sec[i] = secondOf(names[i]);
    usec[i] = usecOf(names[i]);
  }
  return idx.sort((a, b) => compare(names, sec, usec, a, b));
}

/**
 * A delivery order (of deliveryOrder) with one name per base: of two names with one base (a rename caught half
 * way), the one read later (the higher index) is kept. Compacts `order` in place and returns it.
 */
export function oneOfEachBase(order: number[], bases: readonly string[]): number[] {
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

/** Index bits of a packed key: at least 12 (so the microsecond crosses the halves' boundary), at most 23. */
const MIN_INDEX_BITS = 12;
const MAX_INDEX_BITS = 23;
/** The packed keys are written as two 32-bit halves, low half first. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The order of packed keys (see deliveryOrder), or null when some name does not fit one (or two names tie). A key
 * is (second − first second) · 2^(20+b) + microsecond · 2^b + j (b index bits, 63 bits in all, never negative);
 * only small integers are handled here.
 */
function packedOrder(names: readonly string[], idx: readonly number[]): number[] | null {
  const m = idx.length;
  const secs = new Int32Array(m);
  const usecs = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const name = names[idx[j]];
    const s = secondOf(name);
    const u = usecOf(name);
    if (!fitsKey(s, u)) return null;
    secs[j] = s;
    usecs[j] = u;
  }
  const order = sortedKeys(secs, usecs, m);
  if (!order) return null;
  const out = new Array<number>(m);
  for (let j = 0; j < m; j++) out[j] = idx[order[j]];
  return out;
}

/** Does a name's (second, microsecond) fit a packed key (see sortedKeys)? NaN does not. */
export function fitsKey(s: number, u: number): boolean {
  return s >= 0 && s < 2 ** 31 && u >= 0 && u < USEC_LIMIT;
}

/**
 * The delivery order of m names given as their seconds and microseconds (each fitsKey), as positions 0..m-1 in
 * order: one 63-bit key per name sorted natively (see deliveryOrder). Null when the keys cannot say it: too many
 * names, seconds spread too far, or two names with the same second and microsecond (then the names decide:
 * deliveryOrder's comparison).
 */
export function sortedKeys(secs: Int32Array, usecs: Int32Array, m: number): Int32Array | null {
  if (m < 1) return new Int32Array(0);
  const b = Math.max(MIN_INDEX_BITS, 32 - Math.clz32(m - 1));
  if (b > MAX_INDEX_BITS || !LITTLE_ENDIAN) return null;
  let min = 2 ** 31;
  let max = -1;
  for (let j = 0; j < m; j++) {
    const s = secs[j];
    if (s < min) min = s;
    if (s > max) max = s;
  }
  if (max - min >= 2 ** (43 - b)) return null;
  const keys = new BigInt64Array(m);
  const half = new Int32Array(keys.buffer);
  const up = b - MIN_INDEX_BITS;
  const down = 32 - b;
  for (let j = 0; j < m; j++) {
    const u = usecs[j];
    half[2 * j] = (u << b) | j;
    half[2 * j + 1] = ((secs[j] - min) << up) | (u >>> down);
  }
  keys.sort();
  const mask = (1 << b) - 1;
  const out = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const lo = half[2 * j];
    // the same second and microsecond as the key before: the comparison decides (names, then read order)
    if (j > 0 && half[2 * j + 1] === half[2 * j - 1] && lo >>> b === half[2 * j - 2] >>> b) return null;
    out[j] = lo & mask;
  }
  return out;
}

/** Items in delivery order of their names. */
export function inDeliveryOrder<T>(items: readonly T[], nameOf: (item: T) => string): T[] {
  return deliveryOrder(items.map(nameOf)).map((i) => items[i]);
}
