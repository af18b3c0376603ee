// Sequence sets ("1:4,7,9:*") parsed into ranges and resolved against a mailbox's sequence numbers or UIDs.
// Pure and bounded: a set is at most maxRanges ranges, normalised as it is parsed (sorted, overlaps merged, one
// "N:*" at most), so 10,000 copies of "1:*" walk the mailbox once; resolving never enumerates beyond the mailbox.

export interface SeqRange {
  from: number;
  /** Infinity stands for "*". */
  to: number;
}

export function parseSequenceSet(s: string, maxRanges = 10_000): SeqRange[] | null {
  if (!s || s.length > 200_000) return null;
  const parts = s.split(',');
  if (parts.length > maxRanges) return null;
  const out: SeqRange[] = [];
  for (const p of parts) {
    const m = /^(\d+|\*)(?::(\d+|\*))?$/.exec(p);
    if (!m) return null;
    const a = m[1] === '*' ? Infinity : Number(m[1]);
    const b = m[2] === undefined ? a : m[2] === '*' ? Infinity : Number(m[2]);
    if (a === 0 || b === 0 || (Number.isFinite(a) && a > 0xffffffff) || (Number.isFinite(b) && b > 0xffffffff)) return null;
    out.push({ from: Math.min(a, b), to: Math.max(a, b) });
  }
  return normaliseRanges(out);
}

/**
 * The same set of messages in the fewest ranges, ascending and disjoint: finite ranges merged where they overlap
 * or touch; every "N:*" as the one with the smallest N (as messages, "N:*" is N..* when N ≤ *, and just * when N
 * is above it, so the smallest N covers the others and "*" alone), taking in the finite ranges that reach it.
 * Exact for any mailbox size, since no message is above "*".
 */
export function normaliseRanges(ranges: readonly SeqRange[]): SeqRange[] {
  let star = Infinity; // the smallest N of the "N:*" ranges (Infinity: none)
  let lastOnly = false; // "*" alone
  const finite: SeqRange[] = [];
  for (const r of ranges) {
    if (r.to !== Infinity) finite.push({ from: r.from, to: r.to });
    else if (r.from === Infinity) lastOnly = true;
    else star = Math.min(star, r.from);
  }
  finite.sort((x, y) => x.from - y.from);
  const out: SeqRange[] = [];
  for (const r of finite) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push(r);
  }
  if (star !== Infinity) {
    // a:b with b ≥ N-1 joins N:* as a:* (what it holds above * does not exist)
    while (out.length && out[out.length - 1].to + 1 >= star) star = Math.min(star, out.pop()!.from);
    out.push({ from: star, to: Infinity });
  } else if (lastOnly) out.push({ from: Infinity, to: Infinity });
  return out;
}

/** Message sequence numbers (1-based) selected by a set over a mailbox of `count` messages; "*" = count. */
export function resolveSeq(ranges: SeqRange[], count: number): number[] {
  const hit = new Uint8Array(count + 1);
  for (const r of ranges) {
    const from = r.from === Infinity ? count : r.from;
    const to = r.to === Infinity ? count : Math.min(r.to, count);
    for (let i = Math.max(1, Math.min(from, to)); i <= Math.max(from, to) && i <= count; i++) hit[i] = 1;
  }
  const out: number[] = [];
  for (let i = 1; i <= count; i++) if (hit[i]) out.push(i);
  return out;
}

/**
 * Sequence numbers whose UID falls in the set; `uids` ascending. "*" is the largest UID in use, so
 * "N:*" always includes the last message even when N is above it (RFC 3501 §6.4.8).
 */
export function resolveUid(ranges: SeqRange[], uids: readonly number[]): number[] {
  const max = uids.length ? uids[uids.length - 1] : 0;
  const norm = ranges
    .map((r) => {
      const a = r.from === Infinity ? max : r.from;
      const b = r.to === Infinity ? max : r.to;
      return { from: Math.min(a, b), to: Math.max(a, b) };
    })
    .sort((x, y) => x.from - y.from);
  // both lists ascending: one merge pass, O(uids + ranges)
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < uids.length && k < norm.length; i++) {
    const u = uids[i];
    while (k < norm.length && norm[k].to < u) k++;
    // every range before k ends below u, and ranges after k start no lower than norm[k]
    if (k < norm.length && u >= norm[k].from) out.push(i + 1);
  }
  return out;
}

/** Compress ascending numbers into a set string: [1,2,3,5] → "1:3,5". */
export function formatSet(nums: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < nums.length) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j] + 1) j++;
    parts.push(j > i ? `${nums[i]}:${nums[j]}` : String(nums[i]));
    i = j + 1;
  }
  return parts.join(',');
}
