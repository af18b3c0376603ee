// Delivery order of Maildir names, which gives new messages their UIDs: a name starts with its delivery second,
// and the usual unique part carries the microsecond as "M<usec>" ("1700000000.M123456P42Q7.host"); those are
// compared as numbers, then the whole names. Each name's numbers are read once, not per comparison. Pure.

/** The delivery second a name starts with (parseInt: NaN when it does not start with digits). */
function secondOf(name: string): number {
  return parseInt(name, 10);
}

/**
 * The digits after the first "M" (that has digits after it) of the name's unique part, between its first and
 * second dots, as in /^\d+\.[^.]*?M(\d+)/; NaN when there is none.
 */
function usecOf(name: string): number {
  let i = 0;
  while (i < name.length && name.charCodeAt(i) >= 48 && name.charCodeAt(i) <= 57) i++;
  if (i === 0 || name.charCodeAt(i) !== 46) return NaN;
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

/** The indexes of `names` (all, or those in `which`) in delivery order. */
export function deliveryOrder(names: readonly string[], which?: readonly number[]): number[] {
  const n = names.length;
  const sec = new Float64Array(n);
  const usec = new Float64Array(n);
  let order: number[];
  if (which) {
    order = which.slice();
    for (const i of which) {
      sec[i] = secondOf(names[i]);
      usec[i] = usecOf(names[i]);
    }
  } else {
    order = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      sec[i] = secondOf(names[i]);
      usec[i] = usecOf(names[i]);
      order[i] = i;
    }
  }
  return order.sort((a, b) => compare(names, sec, usec, a, b));
}

/** Items in delivery order of their names. */
export function inDeliveryOrder<T>(items: readonly T[], nameOf: (item: T) => string): T[] {
  return deliveryOrder(items.map(nameOf)).map((i) => items[i]);
}
