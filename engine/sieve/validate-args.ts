// Argument checking shared by every command and test: tags found and grouped (one match type, one address
// part, one comparator…), positional arguments counted and typed, capabilities demanded by each tag checked,
// encoded-character strings decoded. Errors are collected with line and column; nothing here runs a script.
import type { Pos } from './lexer.js';
import type { SieveErrorCode, SieveErrorValues } from './errors.js';
import type { Arg } from './parser.js';
import type { AddressPart, Comparator, MatchSpec, Relation, Str } from './ir.js';

export type ArgKind = 'string' | 'strings' | 'number';

export interface TagSpec {
  arg?: ArgKind;
  /** Tags in one group exclude each other (match type, address part, body transform…). */
  group?: string;
  /** Capability that must have been required for this tag. */
  ext?: string;
}

export interface Collected {
  tags: Map<string, { pos: Pos; arg?: Arg }>;
  positional: Arg[];
}

export interface ErrorSink {
  error(pos: Pos, code: SieveErrorCode, values?: SieveErrorValues): void;
  has(cap: string): boolean;
}

export const MATCH_TAGS: Record<string, TagSpec> = {
  is: { group: 'match' },
  contains: { group: 'match' },
  matches: { group: 'match' },
  regex: { group: 'match', ext: 'regex' },
  count: { group: 'match', ext: 'relational', arg: 'string' },
  value: { group: 'match', ext: 'relational', arg: 'string' },
  comparator: { arg: 'string' },
};

export const ADDRESS_PART_TAGS: Record<string, TagSpec> = {
  all: { group: 'part' },
  localpart: { group: 'part' },
  domain: { group: 'part' },
  user: { group: 'part', ext: 'subaddress' },
  detail: { group: 'part', ext: 'subaddress' },
};

/** Read tags, then positional arguments; report unknown tags, repeats, wrong tag arguments and tags after positionals. */
export function collect(sink: ErrorSink, what: string, args: Arg[], tags: Record<string, TagSpec>): Collected | null {
  const out: Collected = { tags: new Map(), positional: [] };
  const groups = new Map<string, string>();
  let ok = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.kind !== 'tag') {
      out.positional.push(a);
      continue;
    }
    const spec = tags[a.name];
    if (!spec) {
      sink.error(a, 'unknown-tag', { tag: a.name, what });
      ok = false;
      continue;
    }
    if (out.positional.length) {
      sink.error(a, 'tag-order', { tag: a.name, what });
      ok = false;
    }
    if (spec.ext && !sink.has(spec.ext)) {
      sink.error(a, 'tag-needs', { tag: a.name, capability: spec.ext });
      ok = false;
    }
    if (out.tags.has(a.name)) {
      sink.error(a, 'tag-twice', { tag: a.name, what });
      ok = false;
    }
    if (spec.group) {
      const prev = groups.get(spec.group);
      if (prev && prev !== a.name) {
        sink.error(a, 'tag-conflict', { tag: a.name, other: prev, what });
        ok = false;
      }
      groups.set(spec.group, a.name);
    }
    let arg: Arg | undefined;
    if (spec.arg) {
      arg = args[i + 1];
      if (!arg || arg.kind === 'tag' || !kindFits(arg, spec.arg)) {
        sink.error(a, 'tag-argument', { tag: a.name, kind: kindName(spec.arg) });
        ok = false;
        arg = undefined;
      } else i++;
    }
    out.tags.set(a.name, { pos: a, arg });
  }
  return ok ? out : null;
}

export function kindFits(a: Arg, k: ArgKind): boolean {
  if (k === 'number') return a.kind === 'number';
  if (k === 'string') return a.kind === 'strings' && !a.list;
  return a.kind === 'strings';
}

export function kindName(k: ArgKind): string {
  return k === 'number' ? 'a number' : k === 'string' ? 'a string' : 'a string list';
}

/** Check positional arguments against kinds; `optional` leading entries may be absent. */
export function positional(sink: ErrorSink, what: string, at: Pos, got: Arg[], kinds: ArgKind[], optionalLeading = 0): (Arg | null)[] | null {
  const missing = kinds.length - got.length;
  if (got.length > kinds.length || missing > optionalLeading) {
    if (optionalLeading) sink.error(got[kinds.length] ?? at, 'argument-range', { what, min: kinds.length - optionalLeading, max: kinds.length, found: got.length });
    else sink.error(got[kinds.length] ?? at, 'argument-count', { what, expected: kinds.length, found: got.length });
    return null;
  }
  const out: (Arg | null)[] = [];
  for (let i = 0; i < missing; i++) out.push(null);
  let ok = true;
  got.forEach((a, i) => {
    const k = kinds[missing + i];
    if (!kindFits(a, k)) {
      sink.error(a, 'argument-kind', { what, index: missing + i + 1, kind: kindName(k) });
      ok = false;
    }
    out.push(a);
  });
  return ok ? out : null;
}

const COMPARATORS: Record<string, { cap: string | null }> = {
  'i;octet': { cap: null },
  'i;ascii-casemap': { cap: null },
  'i;unicode-casemap': { cap: 'comparator-i;unicode-casemap' },
  'i;ascii-numeric': { cap: 'comparator-i;ascii-numeric' },
};

const RELATIONS = new Set(['gt', 'ge', 'lt', 'le', 'eq', 'ne']);

/** The comparator and match type a test was given (defaults: i;ascii-casemap, :is). */
export function matchSpec(sink: ErrorSink, c: Collected, defaultComparator: Comparator = 'i;ascii-casemap'): MatchSpec | null {
  let comparator: Comparator = defaultComparator;
  const cmp = c.tags.get('comparator');
  if (cmp?.arg && cmp.arg.kind === 'strings') {
    const name = cmp.arg.values[0].toLowerCase();
    const known = COMPARATORS[name];
    if (!known) {
      sink.error(cmp.arg, 'unknown-comparator', { name: cmp.arg.values[0] });
      return null;
    }
    if (known.cap && !sink.has(known.cap)) {
      sink.error(cmp.arg, 'comparator-needs', { name, capability: known.cap });
      return null;
    }
    comparator = name as Comparator;
  }
  for (const kind of ['is', 'contains', 'matches', 'regex'] as const) {
    if (c.tags.has(kind)) {
      if (kind === 'regex' && (comparator === 'i;ascii-numeric' || comparator === 'i;unicode-casemap')) {
        sink.error(c.tags.get(kind)!.pos, 'regex-comparator', { name: comparator });
        return null;
      }
      if (comparator === 'i;ascii-numeric' && kind !== 'is') {
        sink.error(c.tags.get(kind)!.pos, 'numeric-match');
        return null;
      }
      return { comparator, match: { kind } };
    }
  }
  for (const kind of ['count', 'value'] as const) {
    const t = c.tags.get(kind);
    if (t?.arg && t.arg.kind === 'strings') {
      const rel = t.arg.values[0].toLowerCase();
      if (!RELATIONS.has(rel)) {
        sink.error(t.arg, 'unknown-relation', { name: t.arg.values[0] });
        return null;
      }
      return { comparator, match: { kind, rel: rel as Relation } };
    }
  }
  return { comparator, match: { kind: 'is' } };
}

export function addressPart(c: Collected): AddressPart {
  for (const p of ['localpart', 'domain', 'user', 'detail'] as const) if (c.tags.has(p)) return p;
  return 'all';
}

/** RFC 5228 §2.4.2.4 encoded-character: "${hex:41 42}" and "${unicode:3042}"; a malformed one stays as written. */
export function decodeEncodedCharacters(s: string): string {
  if (!s.includes('${')) return s;
  return s.replace(/\$\{(hex|unicode):([\s0-9A-Fa-f]*)\}/gi, (whole, kind: string, body: string) => {
    const items = body.trim().split(/\s+/).filter(Boolean);
    if (!items.length) return whole;
    if (kind.toLowerCase() === 'hex') {
      if (items.some((x) => x.length > 2)) return whole;
      return Buffer.from(items.map((x) => parseInt(x, 16))).toString('utf8');
    }
    let out = '';
    for (const x of items) {
      const cp = parseInt(x, 16);
      if (x.length > 6 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return whole;
      out += String.fromCodePoint(cp);
    }
    return out;
  });
}

export function strOf(sink: ErrorSink, value: string): Str {
  const v = sink.has('encoded-character') ? decodeEncodedCharacters(value) : value;
  return { value: v, vars: sink.has('variables') && v.includes('${') };
}

export function stringArg(sink: ErrorSink, a: Arg | null | undefined): Str {
  return strOf(sink, a && a.kind === 'strings' ? a.values[0] : '');
}

export function stringsArg(sink: ErrorSink, a: Arg | null | undefined): Str[] {
  return a && a.kind === 'strings' ? a.values.map((v) => strOf(sink, v)) : [];
}

export function numberArg(a: Arg | null | undefined): number {
  return a && a.kind === 'number' ? a.value : 0;
}
