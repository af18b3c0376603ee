// What an IMAP command file declares: its names, the session states it runs in, and the shape of its
// arguments as data. validateArgs checks the shape before any handler runs, so a handler never sees a
// malformed argument; it never touches the store or the socket.
import type { Session } from './session.js';
import { decodeMutf7 } from '../util/mutf7.js';
import { parseSequenceSet, type SeqRange } from './protocol/sequence.js';
import type { Token } from './protocol/tokens.js';

export type SessionState = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

export const ANY_STATE: SessionState[] = ['not-authenticated', 'authenticated', 'selected'];
export const AUTHENTICATED: SessionState[] = ['authenticated', 'selected'];
export const SELECTED: SessionState[] = ['selected'];
export const NOT_AUTHENTICATED: SessionState[] = ['not-authenticated'];

export type ArgType =
  /** Any atom (returned as written). */
  | 'atom'
  /** A non-negative integer (atom of digits). */
  | 'number'
  /** atom, quoted string or literal → UTF-8 text. */
  | 'astring'
  /** A mailbox name: astring decoded from modified UTF-7; "inbox" in any case is INBOX. */
  | 'mailbox'
  /** A LIST pattern: like mailbox, wildcards kept. */
  | 'pattern'
  | 'seqset'
  /** A parenthesised list (tokens kept). */
  | 'list'
  /** A flag list "(\Seen x)" or a single flag. */
  | 'flags'
  /** A quoted date-time "17-Jul-1996 02:44:25 -0700". */
  | 'datetime'
  /** A literal or quoted string as bytes. */
  | 'bytes'
  /** Any single token, unchecked. */
  | 'token';

export interface ArgSpec {
  name: string;
  type: ArgType;
  optional?: boolean;
  /** Takes every remaining token (as Token[]); must be last. */
  rest?: boolean;
}

export type ArgValue = string | number | SeqRange[] | Token[] | string[] | Buffer | Token;
export type Args = Record<string, ArgValue | undefined>;

export interface CommandContext {
  tag: string;
  /** The command name as dispatched ("FETCH", "UID FETCH"). */
  name: string;
  uid: boolean;
}

export type Status = 'OK' | 'NO' | 'BAD';

export interface Result {
  status: Status;
  code?: string;
  text: string;
}

export interface CommandDef {
  /** Names this file answers to, e.g. ["FETCH", "UID FETCH"]. */
  names: string[];
  states: SessionState[];
  args: ArgSpec[];
  /** FETCH, STORE and SEARCH (not their UID forms) must not be followed by untagged EXPUNGE (RFC 3501 §7.4.1). */
  holdsExpunges?: boolean;
  handle(s: Session, a: Args, c: CommandContext): Promise<Result>;
}

export const ok = (text = 'Completed', code?: string): Result => ({ status: 'OK', text, code });
export const no = (text: string, code?: string): Result => ({ status: 'NO', text, code });
export const bad = (text: string, code?: string): Result => ({ status: 'BAD', text, code });

/** The refusal of a change in a read-only mailbox: EXAMINEd (READ-ONLY), or a list archive nobody may change (NOPERM). */
export const readOnlyRefusal = (view: { shared: boolean }): Result =>
  view.shared ? no('List archives are read-only', 'NOPERM') : no('Mailbox is read-only', 'READ-ONLY');

/** The refusal of a write into (or of) a shared name the user can see: the list archives are read-only. */
export const sharedRefusal = (): Result => no('List archives are read-only', 'NOPERM');

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** IMAP date-time "dd-Mon-yyyy hh:mm:ss +zzzz" → ms since epoch, or null. */
export function parseDateTime(s: string): number | null {
  const m = /^\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(s);
  if (!m) return null;
  const mon = MONTHS.indexOf(m[2].toLowerCase());
  if (mon < 0) return null;
  const utc = Date.UTC(Number(m[3]), mon, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const off = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === '-' ? -1 : 1);
  return utc - off;
}

/** IMAP date "1-Feb-1994" → [year, month0, day], or null. */
export function parseDate(s: string): [number, number, number] | null {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(s);
  if (!m) return null;
  const mon = MONTHS.indexOf(m[2].toLowerCase());
  if (mon < 0) return null;
  return [Number(m[3]), mon, Number(m[1])];
}

/** ms → "17-Jul-1996 02:44:25 +0000" (in UTC). */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const mon = MONTHS[d.getUTCMonth()];
  return `${p(d.getUTCDate())}-${mon[0].toUpperCase()}${mon.slice(1)}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function text(t: Token): string | undefined {
  if (t.t === 'atom') return Buffer.from(t.v, 'latin1').toString('utf8');
  if (t.t === 'string') return t.v.toString('utf8');
  return undefined;
}

function mailboxName(t: Token): string | undefined {
  const raw = text(t);
  if (raw === undefined) return undefined;
  const name = decodeMutf7(raw);
  if (name === null) return undefined;
  return name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
}

function convert(spec: ArgSpec, t: Token): ArgValue | undefined {
  switch (spec.type) {
    case 'atom':
      return t.t === 'atom' ? t.v : undefined;
    case 'number':
      return t.t === 'atom' && /^\d{1,19}$/.test(t.v) ? Number(t.v) : undefined;
    case 'astring':
      return text(t);
    case 'mailbox':
    case 'pattern':
      return mailboxName(t);
    case 'seqset':
      return t.t === 'atom' ? parseSequenceSet(t.v) ?? undefined : undefined;
    case 'list':
      return t.t === 'list' ? t.v : undefined;
    case 'flags':
      if (t.t === 'atom') return [t.v];
      if (t.t === 'list' && t.v.every((x) => x.t === 'atom')) return t.v.map((x) => (x as { v: string }).v);
      return undefined;
    case 'datetime': {
      if (t.t !== 'string') return undefined;
      const ms = parseDateTime(t.v.toString('latin1'));
      return ms === null ? undefined : ms;
    }
    case 'bytes':
      return t.t === 'string' ? t.v : undefined;
    case 'token':
      return t;
  }
}

/** Check the argument tokens against the declared shape. Returns the values or an error text for BAD. */
export function validateArgs(specs: ArgSpec[], tokens: Token[]): { ok: true; args: Args } | { ok: false; text: string } {
  const args: Args = {};
  let i = 0;
  for (let k = 0; k < specs.length; k++) {
    const spec = specs[k];
    if (spec.rest) {
      const rest = tokens.slice(i);
      if (!rest.length && !spec.optional) return { ok: false, text: `Missing ${spec.name}` };
      args[spec.name] = rest;
      i = tokens.length;
      break;
    }
    const t = tokens[i];
    const requiredLeft = specs.slice(k + 1).filter((s) => !s.optional).length;
    if (spec.optional) {
      if (!t || tokens.length - i <= requiredLeft) continue;
      const v = convert(spec, t);
      if (v === undefined) continue;
      args[spec.name] = v;
      i++;
      continue;
    }
    if (!t) return { ok: false, text: `Missing ${spec.name}` };
    const v = convert(spec, t);
    if (v === undefined) return { ok: false, text: `Invalid ${spec.name}` };
    args[spec.name] = v;
    i++;
  }
  if (i < tokens.length) return { ok: false, text: 'Too many arguments' };
  return { ok: true, args };
}

const SYSTEM_FLAGS = new Set(['\\answered', '\\flagged', '\\deleted', '\\seen', '\\draft']);

/** Flags a client may store: the five system flags (canonical case) and keyword atoms. Null when one is invalid. */
/** Keywords one message keeps (as JMAP's maxKeywords): each STORE could add thousands, without end, to the index. */
export const MAX_KEYWORDS = 64;

/** The distinct keywords (flags without a leading backslash) of a flag list, case folded, added to `into`. */
export function keywordsOf(flags: readonly string[], into = new Set<string>()): Set<string> {
  for (const f of flags) if (!f.startsWith('\\')) into.add(f.toLowerCase());
  return into;
}

export function storableFlags(flags: string[]): string[] | null {
  const out: string[] = [];
  for (const f of flags) {
    if (f.startsWith('\\')) {
      const k = f.toLowerCase();
      if (k === '\\recent') continue;
      if (!SYSTEM_FLAGS.has(k)) return null;
      out.push('\\' + k[1].toUpperCase() + k.slice(2));
    } else {
      if (!/^[!#$&'+,\-./0-9:;<=>?@A-Z^_`a-z|}~]+$/.test(f) || f.length > 100) return null;
      out.push(f);
    }
  }
  return out;
}
