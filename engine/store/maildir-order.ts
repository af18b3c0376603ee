// Delivery order of Maildir names, which gives new messages their UIDs: a name starts with its delivery second,
// and the usual unique part carries the microsecond as "M<usec>" ("1700000000.M123456P42Q7.host"); those are
// compared as numbers, then the whole names. Each name's numbers are read once, not per comparison. Pure.

/** The delivery second a name starts with (parseInt: NaN when it does not start with digits). */
function secondOf(name: string): number {
  return parseInt(name, 10);
}

/**
 * The digits after the first "M" that has digits after it in the name's unique part, between its first and
 * second dots (as /^[^.]+\.[^.]*?M(\d+)/); NaN when there is none. The usual name is read by native string
 * functions (a first build reads thousands before any of this code is compiled); any other char by char.
 */
function usecOf(name: string): number {
  const dot = name.indexOf('.');
  const m = name.indexOf('M', dot + 1);
  if (dot > 0 && m > dot) {
    const next = name.indexOf('.', dot + 1);
    const c = name.charCodeAt(m + 1);
    if ((next < 0 || next > m) && c >= 48 && c <= 57) return parseInt(name.slice(m + 1), 10);
  }
  return usecByChars(name);
}

function usecByChars(name: string): number {
  const i = name.indexOf('.');
  if (i <= 0) return NaN;
  for (let j = i + 1; j < name.length; j++) {
    const c = name.charCodeAt(j);
    if (c === 46) return NaN;
    if (c !== 77) continue;
    let k = j + 1;
    while (k < name.length && name.charCodeAt(k) >= 48 && name.charCodeAt(k) <= 57) k++;
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

/** Microseconds below this make one exact number with the second (second × 2^20 + usec < 2^53 for any 32-bit second). */
const USEC_LIMIT = 2 ** 20;

/**
 * The indexes of `names` (all, or those in `which`) in delivery order. When every name has a second and a
 * microsecond and no two have both equal (the usual Maildir names), the order is that of one number per name,
 * sorted without a comparison function; else names are compared as compare() does.
 */
export function deliveryOrder(names: readonly string[], which?: readonly number[]): number[] {
  let idx: number[];
  if (which) idx = which.slice();
  else {
    idx = new Array<number>(names.length);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
  }
  const m = idx.length;
  const keys = new Float64Array(m);
  let simple = true;
  for (let j = 0; j < m && simple; j++) {
    const name = names[idx[j]];
    const sec = secondOf(name);
    const usec = usecOf(name);
    if (sec >= 0 && sec < 2 ** 32 && usec >= 0 && usec < USEC_LIMIT) keys[j] = sec * USEC_LIMIT + usec;
    else simple = false;
  }
  if (simple) {
    const sorted = keys.slice().sort();
    for (let j = 1; j < m && simple; j++) if (sorted[j] === sorted[j - 1]) simple = false;
    if (simple) {
      // each key's place is its rank among the sorted keys (all different, else the comparison decides)
      const out = new Array<number>(m);
      for (let j = 0; j < m; j++) {
        const k = keys[j];
        let lo = 0;
        let hi = m - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (sorted[mid] < k) lo = mid + 1;
          else hi = mid;
        }
        out[lo] = idx[j];
      }
      return out;
    }
  }
  const n = names.length;
  const sec = new Float64Array(n);
  const usec = new Float64Array(n);
  for (const i of idx) {
    sec[i] = secondOf(names[i]);
    usec[i] = usecOf(names[i]);
  }
  return idx.sort((a, b) => compare(names, sec, usec, a, b));
}

/** Items in delivery order of their names. */
export function inDeliveryOrder<T>(items: readonly T[], nameOf: (item: T) => string): T[] {
  return deliveryOrder(items.map(nameOf)).map((i) => items[i]);
}
