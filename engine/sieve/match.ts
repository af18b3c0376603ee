// Comparators (i;octet, i;ascii-casemap, i;unicode-casemap per RFC 5051, i;ascii-numeric per RFC 4790) and
// match types (:is, :contains, :matches with * ? and \ escapes, :regex, relational :count/:value per RFC 5231).
// :matches never backtracks: segments between stars are placed leftmost in one pass (leftmost-shortest
// captures, as Pigeonhole), and every comparison counts against a work budget, so no pattern can stall a worker.
import type { Comparator, MatchSpec, Relation } from './ir.js';
import { regexMatch } from './regex.js';

export class SieveRuntimeError extends Error {}

export interface MatchBudget {
  work: number;
  max: number;
  maxRegexInput: number;
}

function spend(b: MatchBudget, n: number) {
  b.work += n;
  if (b.work > b.max) throw new SieveRuntimeError(`match work limit exceeded (${b.max} steps)`);
}

const NUMERIC_INF = Number.POSITIVE_INFINITY;

/** i;ascii-numeric: the leading digits as a number; a string without leading digits is "positive infinity". */
export function numericValue(s: string): number {
  const m = /^[0-9]+/.exec(s);
  if (!m) return NUMERIC_INF;
  const n = Number(m[0].replace(/^0+(?=\d)/, ''));
  return Number.isFinite(n) ? n : NUMERIC_INF - 1;
}

/** One code point folded the way a comparator sees it. */
export function foldUnit(c: string, cmp: Comparator): string {
  if (cmp === 'i;ascii-casemap') return c.length === 1 && c >= 'A' && c <= 'Z' ? c.toLowerCase() : c;
  if (cmp === 'i;unicode-casemap') return c.normalize('NFKD').toUpperCase().toLowerCase();
  return c;
}

export function fold(s: string, cmp: Comparator): string {
  if (cmp === 'i;ascii-casemap') return s.replace(/[A-Z]+/g, (x) => x.toLowerCase());
  if (cmp === 'i;unicode-casemap') return s.normalize('NFKD').toUpperCase().toLowerCase().normalize('NFKD');
  return s;
}

function relate(cmp: number, rel: Relation): boolean {
  switch (rel) {
    case 'gt':
      return cmp > 0;
    case 'ge':
      return cmp >= 0;
    case 'lt':
      return cmp < 0;
    case 'le':
      return cmp <= 0;
    case 'eq':
      return cmp === 0;
    case 'ne':
      return cmp !== 0;
  }
}

/** Compare two values under a comparator: <0, 0, >0. */
export function compare(a: string, b: string, cmp: Comparator): number {
  if (cmp === 'i;ascii-numeric') {
    const x = numericValue(a);
    const y = numericValue(b);
    return x === y ? 0 : x < y ? -1 : 1;
  }
  const fa = fold(a, cmp);
  const fb = fold(b, cmp);
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

type Unit = number | string;
type PatItem = { lit: Unit } | { any: true } | { star: true };

/**
 * The units a comparator matches over. i;octet and i;ascii-casemap are octet comparators (RFC 4790), so "?"
 * stands for one octet of the UTF-8 text, as in Pigeonhole; i;unicode-casemap works on characters.
 */
function unitsOf(s: string, cmp: Comparator): { units: Unit[]; slice: (a: number, b: number) => string } {
  if (cmp === 'i;unicode-casemap') {
    const cps = Array.from(s);
    return { units: cps.map((c) => foldUnit(c, cmp)), slice: (a, b) => cps.slice(a, b).join('') };
  }
  const bytes = Buffer.from(s, 'utf8');
  const units: number[] = new Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    units[i] = cmp === 'i;ascii-casemap' && b >= 0x41 && b <= 0x5a ? b + 32 : b;
  }
  return { units, slice: (a, b) => bytes.toString('utf8', a, b) };
}

export function parseWildcard(pattern: string, cmp: Comparator): PatItem[] {
  const out: PatItem[] = [];
  const { units } = unitsOf(pattern, cmp);
  const BACKSLASH = cmp === 'i;unicode-casemap' ? '\\' : 0x5c;
  const STAR = cmp === 'i;unicode-casemap' ? '*' : 0x2a;
  const QUESTION = cmp === 'i;unicode-casemap' ? '?' : 0x3f;
  for (let i = 0; i < units.length; i++) {
    const c = units[i];
    if (c === BACKSLASH && i + 1 < units.length) out.push({ lit: units[++i] });
    else if (c === STAR) out.push({ star: true });
    else if (c === QUESTION) out.push({ any: true });
    else out.push({ lit: c });
  }
  return out;
}

/**
 * :matches. Returns the wildcard captures (one per * or ?, in order) or null. The pattern is split at stars;
 * the first segment is anchored at the start, the last at the end, and each middle segment is placed at its
 * leftmost fit: a match exists iff this placement succeeds, and it gives each star the shortest text.
 */
export function wildcardMatch(value: string, pattern: string, cmp: Comparator, budget: MatchBudget): string[] | null {
  // reading the value and the pattern is work too: a long list of keys that each fail at once must not cost
  // a pass over the value for free
  spend(budget, value.length + pattern.length + 1);
  const { units: folded, slice } = unitsOf(value, cmp);
  const items = parseWildcard(pattern, cmp);
  type Seg = ({ lit: Unit } | { any: true })[];
  const segs: Seg[] = [[]];
  for (const it of items) {
    if ('star' in it) segs.push([]);
    else segs[segs.length - 1].push(it);
  }
  const stars = segs.length - 1;
  const n = folded.length;
  const fits = (seg: Seg, at: number): boolean => {
    if (at + seg.length > n) return false;
    spend(budget, seg.length || 1);
    for (let j = 0; j < seg.length; j++) {
      const s = seg[j];
      if ('lit' in s && s.lit !== folded[at + j]) return false;
    }
    return true;
  };
  const caps: string[] = [];
  const capSeg = (seg: Seg, at: number) => {
    seg.forEach((s, j) => {
      if ('any' in s) caps.push(slice(at + j, at + j + 1));
    });
  };
  if (stars === 0) {
    if (segs[0].length !== n || !fits(segs[0], 0)) return null;
    capSeg(segs[0], 0);
    return caps;
  }
  const first = segs[0];
  const last = segs[segs.length - 1];
  const lastStart = n - last.length;
  if (first.length > lastStart || !fits(first, 0) || !fits(last, lastStart)) return null;
  capSeg(first, 0);
  let pos = first.length;
  for (let s = 1; s < segs.length; s++) {
    const seg = segs[s];
    let at: number;
    if (s === segs.length - 1) {
      at = lastStart;
      if (at < pos) return null;
    } else {
      at = -1;
      for (let p = pos; p + seg.length <= lastStart; p++) {
        if (fits(seg, p)) {
          at = p;
          break;
        }
      }
      if (at < 0) return null;
    }
    caps.push(slice(pos, at));
    capSeg(seg, at);
    pos = at + seg.length;
  }
  return caps;
}

export interface MatchResult {
  ok: boolean;
  /** ${0}…${9} when the match type sets match variables (:matches, :regex). */
  captures?: string[];
}

/** Does any value match any key? `values` are what the test extracted; keys are already variable-expanded. */
export function matchAny(values: string[], keys: string[], spec: MatchSpec, budget: MatchBudget): MatchResult {
  const { comparator: cmp, match } = spec;
  if (match.kind === 'count') {
    const count = String(values.length);
    spend(budget, keys.length);
    return { ok: keys.some((k) => relate(compare(count, k, cmp), match.rel)) };
  }
  if (match.kind === 'value') {
    for (const v of values)
      for (const k of keys) {
        spend(budget, v.length + k.length + 1);
        if (relate(compare(v, k, cmp), match.rel)) return { ok: true };
      }
    return { ok: false };
  }
  for (const v of values) {
    const fv = match.kind === 'matches' || match.kind === 'regex' ? v : fold(v, cmp);
    for (const k of keys) {
      switch (match.kind) {
        case 'is':
          spend(budget, Math.min(v.length, k.length) + 1);
          if (cmp === 'i;ascii-numeric' ? numericValue(v) === numericValue(k) : fv === fold(k, cmp)) return { ok: true };
          break;
        case 'contains':
          spend(budget, v.length + 1);
          if (fv.includes(fold(k, cmp))) return { ok: true };
          break;
        case 'matches': {
          const caps = wildcardMatch(v, k, cmp, budget);
          if (caps) return { ok: true, captures: [v, ...caps] };
          break;
        }
        case 'regex': {
          const caps = regexMatch(v, k, cmp === 'i;ascii-casemap', budget);
          if (caps) return { ok: true, captures: caps };
          break;
        }
      }
    }
  }
  return { ok: false };
}
