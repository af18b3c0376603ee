// SEARCH keys (RFC 3501 §6.4.4, plus CONDSTORE's MODSEQ) parsed into a tree and evaluated per message.
// Text keys match case-insensitively against Unicode text: headers with RFC 2047 words decoded, bodies
// decoded from their transfer encoding and charset (ISO-2022-JP, Shift_JIS, EUC-JP...). Never throws on mail.
import type { MessageInfo } from '../store/mailbox-store.js';
import { parseDate } from './command.js';
import { scannableName } from '../mime/header-scan.js';
import { headerMatcher } from './mime/header-match.js';
import { fold } from '../mime/text-decode.js';
import { Content } from './search-content.js';
import { parseSequenceSet, type SeqRange } from './protocol/sequence.js';
import type { Token } from './protocol/tokens.js';

export { Content, headerMap } from './search-content.js';

export type SearchNode =
  | { op: 'and'; items: SearchNode[] }
  | { op: 'or'; a: SearchNode; b: SearchNode }
  | { op: 'not'; a: SearchNode }
  | { op: 'all' }
  | { op: 'flag'; flag: string; has: boolean }
  | { op: 'new' | 'old' | 'recent' }
  | { op: 'seq' | 'uid'; ranges: SeqRange[] }
  | { op: 'larger' | 'smaller'; n: number }
  | { op: 'date'; sent: boolean; cmp: 'before' | 'on' | 'since'; ymd: [number, number, number] }
  | { op: 'header'; name: string; value: string }
  | { op: 'body' | 'text'; value: string }
  | { op: 'modseq'; n: number };

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};
const HEADER_KEYS: Record<string, string> = { BCC: 'bcc', CC: 'cc', FROM: 'from', SUBJECT: 'subject', TO: 'to' };
const DATE_KEYS: Record<string, [boolean, 'before' | 'on' | 'since']> = {
  BEFORE: [false, 'before'],
  ON: [false, 'on'],
  SINCE: [false, 'since'],
  SENTBEFORE: [true, 'before'],
  SENTON: [true, 'on'],
  SENTSINCE: [true, 'since'],
};

/**
 * Keys one SEARCH may have: each is tried on every message, and a text key reads the whole decoded body (25 ms a
 * key for 2 MB at worst), so thousands of NOT BODY keys in one 64 kB line held the server's thread 45 s per message.
 */
export const MAX_SEARCH_KEYS = 1000;
export const MAX_TEXT_SEARCH_KEYS = 64;

/** How many keys a search tree has, and how many of them search text (BODY, TEXT, HEADER, FROM, SUBJECT...). */
export function searchKeyCount(n: SearchNode): { keys: number; text: number } {
  const sum = (xs: SearchNode[]) => xs.map(searchKeyCount).reduce((a, b) => ({ keys: a.keys + b.keys, text: a.text + b.text }), { keys: 1, text: 0 });
  if (n.op === 'and') return sum(n.items);
  if (n.op === 'or') return sum([n.a, n.b]);
  if (n.op === 'not') return sum([n.a]);
  return { keys: 1, text: n.op === 'body' || n.op === 'text' || n.op === 'header' ? 1 : 0 };
}

/** Parse the search keys (after an optional CHARSET). */
export function parseSearch(tokens: Token[]): SearchNode | string {
  const p = { i: 0 };
  const items: SearchNode[] = [];
  while (p.i < tokens.length) {
    const n = parseKey(tokens, p, 0);
    if (typeof n === 'string') return n;
    items.push(n);
  }
  if (!items.length) return 'Missing search key';
  return items.length === 1 ? items[0] : { op: 'and', items };
}

function str(t: Token | undefined): string | undefined {
  if (!t) return undefined;
  if (t.t === 'atom') return Buffer.from(t.v, 'latin1').toString('utf8');
  if (t.t === 'string') return t.v.toString('utf8');
  return undefined;
}

function parseKey(tokens: Token[], p: { i: number }, depth: number): SearchNode | string {
  if (depth > 50) return 'Search too deeply nested';
  const t = tokens[p.i++];
  if (!t) return 'Missing search key';
  if (t.t === 'list') {
    const items: SearchNode[] = [];
    const q = { i: 0 };
    while (q.i < t.v.length) {
      const n = parseKey(t.v, q, depth + 1);
      if (typeof n === 'string') return n;
      items.push(n);
    }
    if (!items.length) return 'Empty search list';
    return items.length === 1 ? items[0] : { op: 'and', items };
  }
  if (t.t !== 'atom') return 'Search key expected';
  const key = t.v.toUpperCase();
  const arg = () => str(tokens[p.i++]);
  if (key === 'ALL') return { op: 'all' };
  if (FLAG_KEYS[key]) return { op: 'flag', flag: FLAG_KEYS[key][0], has: FLAG_KEYS[key][1] };
  if (key === 'NEW' || key === 'OLD' || key === 'RECENT') return { op: key.toLowerCase() as 'new' };
  if (key === 'KEYWORD' || key === 'UNKEYWORD') {
    const k = tokens[p.i++];
    if (!k || k.t !== 'atom') return `${key} needs a flag`;
    return { op: 'flag', flag: k.v, has: key === 'KEYWORD' };
  }
  if (HEADER_KEYS[key] || key === 'BODY' || key === 'TEXT') {
    const v = arg();
    if (v === undefined) return `${key} needs a string`;
    if (key === 'BODY' || key === 'TEXT') return { op: key.toLowerCase() as 'body', value: fold(v) };
    return { op: 'header', name: HEADER_KEYS[key], value: fold(v) };
  }
  if (key === 'HEADER') {
    const name = arg();
    const v = arg();
    if (name === undefined || v === undefined) return 'HEADER needs a field name and a string';
    return { op: 'header', name: name.toLowerCase(), value: fold(v) };
  }
  if (DATE_KEYS[key]) {
    const v = arg();
    const ymd = v === undefined ? null : parseDate(v);
    if (!ymd) return `${key} needs a date like 1-Feb-2024`;
    return { op: 'date', sent: DATE_KEYS[key][0], cmp: DATE_KEYS[key][1], ymd };
  }
  if (key === 'LARGER' || key === 'SMALLER') {
    const v = arg();
    if (v === undefined || !/^\d{1,15}$/.test(v)) return `${key} needs a number`;
    return { op: key.toLowerCase() as 'larger', n: Number(v) };
  }
  if (key === 'MODSEQ') {
    // MODSEQ [entry-name entry-type] n
    let v = arg();
    if (v !== undefined && !/^\d+$/.test(v)) {
      arg();
      v = arg();
    }
    if (v === undefined || !/^\d{1,19}$/.test(v)) return 'MODSEQ needs a number';
    return { op: 'modseq', n: Number(v) };
  }
  if (key === 'UID') {
    const v = arg();
    const ranges = v === undefined ? null : parseSequenceSet(v);
    if (!ranges) return 'UID needs a sequence set';
    return { op: 'uid', ranges };
  }
  if (key === 'NOT') {
    const a = parseKey(tokens, p, depth + 1);
    return typeof a === 'string' ? a : { op: 'not', a };
  }
  if (key === 'OR') {
    const a = parseKey(tokens, p, depth + 1);
    if (typeof a === 'string') return a;
    const b = parseKey(tokens, p, depth + 1);
    if (typeof b === 'string') return b;
    return { op: 'or', a, b };
  }
  const ranges = parseSequenceSet(t.v);
  if (ranges) return { op: 'seq', ranges };
  return `Unknown search key ${t.v.slice(0, 30)}`;
}

export interface Candidate {
  seq: number;
  /** The largest sequence number and UID in the mailbox ("*"). */
  maxSeq: number;
  maxUid: number;
  info: MessageInfo;
  recent: boolean;
  raw?: Buffer;
}

/** The header field names (lower case) the tree's HEADER keys ask for. */
export function headerNames(n: SearchNode, out: Set<string> = new Set()): Set<string> {
  if (n.op === 'header') out.add(n.name);
  else if (n.op === 'and') for (const x of n.items) headerNames(x, out);
  else if (n.op === 'or') {
    headerNames(n.a, out);
    headerNames(n.b, out);
  } else if (n.op === 'not') headerNames(n.a, out);
  return out;
}

/** Does the tree need the SENT* date (the Date: header as written)? */
export function needsDate(n: SearchNode): boolean {
  if (n.op === 'date') return n.sent;
  if (n.op === 'and') return n.items.some(needsDate);
  if (n.op === 'or') return needsDate(n.a) || needsDate(n.b);
  if (n.op === 'not') return needsDate(n.a);
  return false;
}

/** Does the tree need the message body (BODY/TEXT), or only header values (HEADER keys, SENT* dates)? */
export function contentNeeds(n: SearchNode): { body: boolean; headers: boolean } {
  switch (n.op) {
    case 'and':
      return n.items.map(contentNeeds).reduce((a, b) => ({ body: a.body || b.body, headers: a.headers || b.headers }), { body: false, headers: false });
    case 'or': {
      const a = contentNeeds(n.a);
      const b = contentNeeds(n.b);
      return { body: a.body || b.body, headers: a.headers || b.headers };
    }
    case 'not':
      return contentNeeds(n.a);
    case 'header':
      return { body: false, headers: true };
    case 'date':
      return { body: false, headers: n.sent };
    case 'body':
    case 'text':
      return { body: true, headers: true };
    default:
      return { body: false, headers: false };
  }
}

function inRanges(n: number, ranges: SeqRange[], max: number): boolean {
  for (const r of ranges) {
    const a = r.from === Infinity ? max : r.from;
    const b = r.to === Infinity ? max : r.to;
    if (n >= Math.min(a, b) && n <= Math.max(a, b)) return true;
  }
  return false;
}

function ymdNum(y: number, m: number, d: number): number {
  return y * 10000 + m * 100 + d;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The date as written in a Date: header ("Tue, 1 Jul 2003 10:52:37 +0200" → 20030601), or null. */
function sentDate(v: string): number | null {
  const m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})/.exec(v);
  if (!m) return null;
  const mon = MONTHS.indexOf(m[2].toLowerCase());
  if (mon < 0) return null;
  let y = Number(m[3]);
  if (y < 100) y += y < 50 ? 2000 : 1900;
  return ymdNum(y, mon, Number(m[1]));
}

/** Case-insensitive flag test without lower-casing every flag of every message (SEARCH UNSEEN over 10,000). */
function hasFlag(flags: string[], flag: string): boolean {
  for (const x of flags) if (x === flag || (x.length === flag.length && x.toLowerCase() === flag.toLowerCase())) return true;
  return false;
}

export function evaluate(n: SearchNode, c: Candidate, content?: Content): boolean {
  switch (n.op) {
    case 'and':
      return n.items.every((x) => evaluate(x, c, content));
    case 'or':
      return evaluate(n.a, c, content) || evaluate(n.b, c, content);
    case 'not':
      return !evaluate(n.a, c, content);
    case 'all':
      return true;
    case 'flag':
      return hasFlag(c.info.flags, n.flag) === n.has;
    case 'recent':
      return c.recent;
    case 'new':
      return c.recent && !c.info.flags.includes('\\Seen');
    case 'old':
      return !c.recent;
    case 'seq':
      return inRanges(c.seq, n.ranges, c.maxSeq);
    case 'uid':
      return inRanges(c.info.uid, n.ranges, c.maxUid);
    case 'larger':
      return c.info.size > n.n;
    case 'smaller':
      return c.info.size < n.n;
    case 'modseq':
      return c.info.modseq >= n.n;
    case 'date': {
      let day: number | null;
      if (n.sent) {
        const v = content ? content.date() : null;
        day = v === null ? null : sentDate(v);
        if (day === null) return false;
      } else {
        const d = new Date(c.info.internalDate);
        day = ymdNum(d.getFullYear(), d.getMonth(), d.getDate());
      }
      const want = ymdNum(...n.ymd);
      return n.cmp === 'before' ? day < want : n.cmp === 'on' ? day === want : day >= want;
    }
    case 'header': {
      if (!content) return false;
      const values = content.header(n.name);
      if (!values.length) return false;
      return n.value === '' || values.some((v) => v.includes(n.value));
    }
    case 'body':
      return !!content && content.bodyText().includes(n.value);
    case 'text':
      return !!content && (content.allHeaders().includes(n.value) || content.bodyText().includes(n.value));
  }
}

/** A search tree as one test per message: each node's case chosen once per command, not once per message. */
export type SearchTest = (c: Candidate, content?: Content) => boolean;

/**
 * `answered`: the messages a HEADER key matches, known before the loop (a column of the field's values,
 * header-columns.ts), 1 per sequence number - 1; undefined for a key tried per message.
 */
export type KnownHits = (n: SearchNode & { op: 'header' }) => Uint8Array | undefined;

export function compileSearch(n: SearchNode, answered?: KnownHits): SearchTest {
  const sub = (x: SearchNode) => compileSearch(x, answered);
  switch (n.op) {
    case 'and': {
      const items = n.items.map(sub);
      if (items.length === 1) return items[0];
      if (items.length === 2) {
        const [a, b] = items;
        return (c, content) => a(c, content) && b(c, content);
      }
      return (c, content) => {
        for (const t of items) if (!t(c, content)) return false;
        return true;
      };
    }
    case 'or': {
      const a = sub(n.a);
      const b = sub(n.b);
      return (c, content) => a(c, content) || b(c, content);
    }
    case 'not': {
      const a = sub(n.a);
      return (c, content) => !a(c, content);
    }
    case 'flag': {
      const { flag, has } = n;
      return (c) => hasFlag(c.info.flags, flag) === has;
    }
    case 'header': {
      const known = answered?.(n);
      if (known) return (c) => known[c.seq - 1] === 1;
      const { name, value } = n;
      const m = scannableName(name) ? headerMatcher(name, value) : null;
      return (c, content) => !!content && content.headerHolds(name, value, m);
    }
    case 'larger': {
      const size = n.n;
      return (c) => c.info.size > size;
    }
    case 'smaller': {
      const size = n.n;
      return (c) => c.info.size < size;
    }
    default:
      return (c, content) => evaluate(n, c, content);
  }
}

export function matches(n: SearchNode, c: Candidate, content?: Content): boolean {
  return evaluate(n, c, content ?? (c.raw ? new Content(c.raw) : undefined));
}
