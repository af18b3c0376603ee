// :regex (draft-ietf-sieve-regex) on a linear-time engine of our own: POSIX extended syntax compiled to a
// Thompson NFA and run as a Pike VM, so time is O(text × pattern) whatever the pattern (no backtracking, no
// backreferences). The whole match is POSIX leftmost-longest; among equally long ones, groups follow the
// leftmost-first preference. Pattern size and searched text are both bounded, and every step (empty-width ones too) counts against the work budget.
import type { MatchBudget } from './match.js';
import { SieveRuntimeError } from './match.js';
import { sieveErrorText, type SieveErrorCode, type SieveErrorValues } from './errors.js';

type Inst =
  | { op: 'char'; c: string }
  | { op: 'any' }
  | { op: 'class'; negate: boolean; test: (c: string) => boolean }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'save'; n: number }
  | { op: 'bol' }
  | { op: 'eol' }
  | { op: 'match' };

type Node =
  | { k: 'char'; c: string }
  | { k: 'any' }
  | { k: 'class'; negate: boolean; test: (c: string) => boolean }
  | { k: 'cat'; items: Node[] }
  | { k: 'alt'; items: Node[] }
  | { k: 'group'; n: number; body: Node }
  | { k: 'rep'; body: Node; min: number; max: number }
  | { k: 'bol' }
  | { k: 'eol' };

const MAX_PROGRAM = 20_000;
const MAX_REPEAT = 255;
const CLASSES: Record<string, (c: string) => boolean> = {
  alpha: (c) => /\p{L}/u.test(c),
  digit: (c) => c >= '0' && c <= '9',
  alnum: (c) => /[\p{L}\p{N}]/u.test(c),
  upper: (c) => /\p{Lu}/u.test(c),
  lower: (c) => /\p{Ll}/u.test(c),
  space: (c) => /\s/u.test(c),
  blank: (c) => c === ' ' || c === '\t',
  punct: (c) => /[!-/:-@[-`{-~]/.test(c),
  print: (c) => c >= ' ' && c !== '\x7f',
  graph: (c) => c > ' ' && c !== '\x7f',
  cntrl: (c) => c < ' ' || c === '\x7f',
  xdigit: (c) => /[0-9A-Fa-f]/.test(c),
};

/** A bad :regex key: its code and offset (engine/sieve/errors.ts), the English text as the message. */
export class RegexSyntaxError extends Error {
  constructor(
    readonly code: SieveErrorCode,
    readonly values: SieveErrorValues,
  ) {
    super(sieveErrorText(code, values));
  }
}

function parseRegex(src: string, icase: boolean): { node: Node; groups: number } {
  const cps = Array.from(src);
  let i = 0;
  let groups = 0;
  const fail = (code: SieveErrorCode, values: SieveErrorValues = {}): never => {
    throw new RegexSyntaxError(code, { ...values, offset: i });
  };
  const fc = (c: string) => (icase ? c.toLowerCase() : c);
  function alt(depth: number): Node {
    if (depth > 64) fail('regex-too-deep');
    const items = [cat(depth)];
    while (cps[i] === '|') {
      i++;
      items.push(cat(depth));
    }
    return items.length === 1 ? items[0] : { k: 'alt', items };
  }
  function cat(depth: number): Node {
    const items: Node[] = [];
    while (i < cps.length && cps[i] !== '|' && cps[i] !== ')') {
      let atom = atomOf(depth);
      for (;;) {
        const q = cps[i];
        if (q === '*' || q === '+' || q === '?') {
          i++;
          atom = { k: 'rep', body: atom, min: q === '+' ? 1 : 0, max: q === '?' ? 1 : Infinity };
        } else if (q === '{' && /^\{\d+(,\d*)?\}/.test(cps.slice(i, i + 12).join(''))) {
          const m = /^\{(\d+)(,(\d*))?\}/.exec(cps.slice(i, i + 12).join(''))!;
          i += m[0].length;
          const min = Number(m[1]);
          const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
          if (min > MAX_REPEAT || (max !== Infinity && (max > MAX_REPEAT || max < min))) fail('regex-repeat-count');
          atom = { k: 'rep', body: atom, min, max };
        } else break;
      }
      items.push(atom);
    }
    return items.length === 1 ? items[0] : { k: 'cat', items };
  }
  function atomOf(depth: number): Node {
    const c = cps[i++];
    switch (c) {
      case '(': {
        const n = ++groups;
        const body = alt(depth + 1);
        if (cps[i++] !== ')') fail('regex-missing-paren');
        return { k: 'group', n, body };
      }
      case '.':
        return { k: 'any' };
      case '^':
        return { k: 'bol' };
      case '$':
        return { k: 'eol' };
      case '[':
        return bracket();
      case '\\': {
        const e = cps[i++];
        if (e === undefined) fail('regex-trailing-backslash');
        if (/[1-9]/.test(e)) fail('regex-backreference');
        return { k: 'char', c: fc(e) };
      }
      case '*':
      case '+':
      case '?':
        return fail('regex-nothing-to-repeat', { char: c });
      default:
        return { k: 'char', c: fc(c) };
    }
  }
  function bracket(): Node {
    let negate = false;
    if (cps[i] === '^') {
      negate = true;
      i++;
    }
    const tests: ((c: string) => boolean)[] = [];
    let first = true;
    for (;;) {
      if (i >= cps.length) fail('regex-missing-bracket');
      let c = cps[i];
      if (c === ']' && !first) {
        i++;
        break;
      }
      first = false;
      if (c === '[' && cps[i + 1] === ':') {
        const end = cps.indexOf(':', i + 2);
        const name = cps.slice(i + 2, end).join('');
        if (end < 0 || cps[end + 1] !== ']' || !CLASSES[name]) fail('regex-class');
        tests.push(CLASSES[name]);
        i = end + 2;
        continue;
      }
      i++;
      if (cps[i] === '-' && cps[i + 1] !== undefined && cps[i + 1] !== ']') {
        const hi = cps[i + 1];
        i += 2;
        const lo = c;
        if (hi < lo) fail('regex-range');
        tests.push((x) => x >= lo && x <= hi);
        continue;
      }
      const lit = c;
      tests.push((x) => x === lit);
      c = '';
    }
    const test = icase ? (x: string) => tests.some((t) => t(x) || t(x.toLowerCase()) || t(x.toUpperCase())) : (x: string) => tests.some((t) => t(x));
    return { k: 'class', negate, test };
  }
  const node = alt(0);
  if (i < cps.length) fail('regex-unbalanced');
  return { node, groups };
}

function compile(node: Node): Inst[] {
  const prog: Inst[] = [];
  const emit = (x: Inst) => {
    if (prog.length >= MAX_PROGRAM) throw new RegexSyntaxError('regex-too-large', {});
    prog.push(x);
    return prog.length - 1;
  };
  function gen(n: Node) {
    switch (n.k) {
      case 'char':
        emit({ op: 'char', c: n.c });
        return;
      case 'any':
        emit({ op: 'any' });
        return;
      case 'class':
        emit({ op: 'class', negate: n.negate, test: n.test });
        return;
      case 'bol':
        emit({ op: 'bol' });
        return;
      case 'eol':
        emit({ op: 'eol' });
        return;
      case 'cat':
        n.items.forEach(gen);
        return;
      case 'group':
        emit({ op: 'save', n: n.n * 2 });
        gen(n.body);
        emit({ op: 'save', n: n.n * 2 + 1 });
        return;
      case 'alt': {
        const jumps: number[] = [];
        n.items.forEach((it, idx) => {
          if (idx < n.items.length - 1) {
            const sp = emit({ op: 'split', x: prog.length + 1, y: 0 });
            gen(it);
            jumps.push(emit({ op: 'jmp', x: 0 }));
            (prog[sp] as { y: number }).y = prog.length;
          } else gen(it);
        });
        for (const j of jumps) (prog[j] as { x: number }).x = prog.length;
        return;
      }
      case 'rep': {
        for (let r = 0; r < n.min; r++) gen(n.body);
        if (n.max === Infinity) {
          const sp = emit({ op: 'split', x: prog.length + 1, y: 0 });
          gen(n.body);
          emit({ op: 'jmp', x: sp });
          (prog[sp] as { y: number }).y = prog.length;
        } else {
          const splits: number[] = [];
          for (let r = n.min; r < n.max; r++) {
            splits.push(emit({ op: 'split', x: prog.length + 1, y: 0 }));
            gen(n.body);
          }
          for (const s of splits) (prog[s] as { y: number }).y = prog.length;
        }
        return;
      }
    }
  }
  gen(node);
  emit({ op: 'match' });
  return prog;
}

const cache = new Map<string, { prog: Inst[]; groups: number }>();

export function compileRegex(pattern: string, icase: boolean): { prog: Inst[]; groups: number } {
  const key = (icase ? 'i:' : 's:') + pattern;
  let c = cache.get(key);
  if (!c) {
    const { node, groups } = parseRegex(pattern, icase);
    c = { prog: compile(node), groups };
    if (cache.size > 500) cache.clear();
    if (pattern.length <= 1024) cache.set(key, c); // short patterns only: the cache stays small
  }
  return c;
}

/** Search `value` for `pattern`; returns ${0}…${9} or null. A pattern that does not compile is a runtime error. */
export function regexMatch(value: string, pattern: string, icase: boolean, budget: MatchBudget): string[] | null {
  let compiled: { prog: Inst[]; groups: number };
  try {
    compiled = compileRegex(pattern, icase);
  } catch (e) {
    throw new SieveRuntimeError((e as Error).message);
  }
  const { prog, groups } = compiled;
  const text = Array.from(value.length > budget.maxRegexInput ? value.slice(0, budget.maxRegexInput) : value);
  // only ${0}…${9} are ever read: later groups get no slots (each copy of the slots is work the budget pays for)
  const slots = (Math.min(groups, 9) + 1) * 2;
  type Thread = { pc: number; caps: Int32Array };
  let clist: Thread[] = [];
  let matched: Int32Array | null = null;
  const add = (list: Thread[], seen: Uint8Array, pc0: number, caps0: Int32Array, at: number) => {
    const stack: [number, Int32Array][] = [[pc0, caps0]];
    let steps = 0;
    while (stack.length) {
      const [pc, caps] = stack.pop()!;
      if (seen[pc]) continue;
      seen[pc] = 1;
      steps++;
      const inst = prog[pc];
      switch (inst.op) {
        case 'jmp':
          stack.push([inst.x, caps]);
          break;
        case 'split':
          stack.push([inst.y, caps], [inst.x, caps]);
          break;
        case 'save': {
          steps += slots; // a copy of the slots
          const c = caps.slice();
          if (inst.n < slots) c[inst.n] = at;
          stack.push([pc + 1, c]);
          break;
        }
        case 'bol':
          if (at === 0) stack.push([pc + 1, caps]);
          break;
        case 'eol':
          if (at === text.length) stack.push([pc + 1, caps]);
          break;
        default:
          list.push({ pc, caps });
      }
    }
    // the empty-width steps (jumps, splits, saves) cost as much as the ones that read a character: a pattern of
    // thousands of empty groups does all its work here, with a single thread reading the text
    budget.work += steps;
    if (budget.work > budget.max) throw new SieveRuntimeError(`match work limit exceeded (${budget.max} steps)`);
  };
  for (let at = 0; at <= text.length; at++) {
    if (!matched) {
      const start = new Int32Array(slots).fill(-1);
      start[0] = at;
      const seen = new Uint8Array(prog.length);
      for (const t of clist) seen[t.pc] = 1;
      add(clist, seen, 0, start, at);
    }
    if (!clist.length) break;
    budget.work += clist.length;
    if (budget.work > budget.max) throw new SieveRuntimeError(`match work limit exceeded (${budget.max} steps)`);
    const nlist: Thread[] = [];
    const seen = new Uint8Array(prog.length);
    const c = text[at];
    const lc = c !== undefined && icase ? c.toLowerCase() : c;
    for (const t of clist) {
      const inst = prog[t.pc];
      if (inst.op === 'match') {
        // POSIX leftmost-longest for the whole match: the earliest start wins, then the longest end
        if (!matched || t.caps[0] < matched[0] || (t.caps[0] === matched[0] && at > matched[1])) {
          matched = t.caps.slice();
          matched[1] = at;
        }
        continue;
      }
      if (matched && t.caps[0] > matched[0]) continue; // started later than a match already found
      if (c === undefined) continue;
      const ok = inst.op === 'any' ? true : inst.op === 'char' ? inst.c === lc : inst.op === 'class' ? inst.test(c) !== inst.negate : false;
      if (ok) add(nlist, seen, t.pc + 1, t.caps, at + 1);
    }
    clist = nlist;
  }
  if (!matched) return null;
  const out: string[] = [];
  for (let g = 0; g <= Math.min(groups, 9); g++) {
    const s = matched[g * 2];
    const e = matched[g * 2 + 1];
    out.push(s >= 0 && e >= 0 ? text.slice(s, e).join('') : '');
  }
  return out;
}
