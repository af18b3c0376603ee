// Turns one framed IMAP command (lines + literals) into tokens: atoms, strings (quoted or literal),
// parenthesised lists. Atoms keep a "[...]" section and "<...>" partial (BODY[HEADER.FIELDS (A B)]<0.10>).
// A literal the reader streamed to a file stays a handle (only APPEND takes one as its message).
// Pure: no I/O. Malformed input (NUL, bad quoting, unbalanced parentheses) is an error value, never a throw.
import type { LiteralSink, Segment } from './reader.js';

export type Token =
  | { t: 'atom'; v: string }
  | { t: 'string'; v: Buffer; literal: boolean }
  | { t: 'list'; v: Token[] }
  /** A literal too large for memory, written to a file as it arrived. */
  | { t: 'spooled'; v: LiteralSink };

export interface ParsedCommand {
  tag: string;
  name: string;
  args: Token[];
}

export type ParseResult = { ok: true; cmd: ParsedCommand } | { ok: false; tag?: string; text: string };

const ATOM_SPECIALS = new Set([0x28, 0x29, 0x7b, 0x20, 0x25, 0x2a, 0x22, 0x5c, 0x5d]); // ( ) { SP % * " \ ]

function isAtomChar(b: number): boolean {
  return b > 0x20 && b < 0x7f && !ATOM_SPECIALS.has(b);
}

/**
 * ATOM-CHAR plus "*", "%" (list wildcards), "]" (allowed in astring), "\\" (flags) and 8-bit octets
 * (clients that send raw UTF-8 search words or mailbox names).
 */
function isLooseAtomChar(b: number): boolean {
  return b > 0x20 && b !== 0x7f && b !== 0x28 && b !== 0x29 && b !== 0x7b && b !== 0x22;
}

export function parseCommand(segments: Segment[]): ParseResult {
  const first = segments[0]?.kind === 'line' ? segments[0].data : Buffer.alloc(0);
  const tagMatch = /^([^\x00-\x20(){%*"\\\]+\x7f-\xff]+)(?: |$)/.exec(first.toString('latin1', 0, Math.min(first.length, 200)));
  if (!tagMatch) return { ok: false, text: first.length ? 'Missing or invalid tag' : 'Empty command line' };
  const tag = tagMatch[1];
  for (const s of segments) {
    if (s.kind === 'line' && (s.data.includes(0) || s.data.includes(13))) return { ok: false, tag, text: 'NUL or CR in command line' };
  }
  const p = new TokenParser(segments);
  p.pos = tag.length;
  if (!p.space()) return { ok: false, tag, text: 'Missing command' };
  const name = p.atom();
  if (!name) return { ok: false, tag, text: 'Missing command' };
  const args: Token[] = [];
  const err = p.tokensUntil(args, false);
  if (err) return { ok: false, tag, text: err };
  return { ok: true, cmd: { tag, name: name.toUpperCase(), args } };
}

class TokenParser {
  pos = 0;
  private seg = 0;

  constructor(private readonly segments: Segment[]) {}

  /** The line being read (the parser only ever stands on lines: literals are stepped over whole). */
  private get line(): Buffer {
    const s = this.segments[this.seg];
    return s.kind === 'spooled' ? Buffer.alloc(0) : s.data;
  }

  space(): boolean {
    if (this.line[this.pos] !== 0x20) return false;
    this.pos++;
    return true;
  }

  atom(): string {
    const start = this.pos;
    const l = this.line;
    while (this.pos < l.length && isLooseAtomChar(l[this.pos])) {
      if (l[this.pos] === 0x5b) {
        // section: everything up to the matching "]"
        const close = l.indexOf(0x5d, this.pos);
        if (close < 0) break;
        this.pos = close + 1;
        continue;
      }
      this.pos++;
    }
    return l.toString('latin1', start, this.pos);
  }

  /** Read tokens separated by single spaces until end of input (or ")" when inList). Returns an error text. */
  tokensUntil(out: Token[], inList: boolean): string | undefined {
    let firstInList = inList;
    for (;;) {
      const l = this.line;
      if (this.pos >= l.length) {
        if (this.seg < this.segments.length - 1) return 'Literal not at the end of a line';
        return inList ? 'Unbalanced parentheses' : undefined;
      }
      if (inList && l[this.pos] === 0x29) {
        this.pos++;
        return undefined;
      }
      if (!firstInList) {
        if (!this.space()) return `Unexpected character at ${this.pos}`;
        if (this.pos >= l.length && this.seg === this.segments.length - 1) return undefined; // tolerate a trailing space
      }
      firstInList = false;
      const tok = this.token();
      if (typeof tok === 'string') return tok;
      out.push(tok);
    }
  }

  private token(): Token | string {
    const l = this.line;
    const b = l[this.pos];
    if (b === 0x22) return this.quoted();
    if (b === 0x28) {
      this.pos++;
      const items: Token[] = [];
      const err = this.tokensUntil(items, true);
      if (err) return err;
      return { t: 'list', v: items };
    }
    if (b === 0x7b) {
      const m = /^\{(\d+)\+?\}$/.exec(l.toString('latin1', this.pos));
      const next = this.segments[this.seg + 1];
      if (!m || !next || next.kind === 'line') return 'Bad literal';
      this.seg += 2;
      this.pos = 0;
      if (this.seg >= this.segments.length) return 'Missing line after literal';
      if (next.kind === 'spooled') return { t: 'spooled', v: next.sink };
      return { t: 'string', v: next.data, literal: true };
    }
    if (b === 0x29) return 'Unexpected ")"';
    const a = this.atom();
    if (!a) return `Bad character at ${this.pos}`;
    return { t: 'atom', v: a };
  }

  private quoted(): Token | string {
    const l = this.line;
    this.pos++;
    const out: number[] = [];
    while (this.pos < l.length) {
      const c = l[this.pos++];
      if (c === 0x22) return { t: 'string', v: Buffer.from(out), literal: false };
      if (c === 0x5c) {
        const n = l[this.pos++];
        if (n !== 0x22 && n !== 0x5c) return 'Bad escape in quoted string';
        out.push(n);
        continue;
      }
      out.push(c);
    }
    return 'Unterminated quoted string';
  }
}

/** The text of an atom or string token (strings as UTF-8), or undefined for a list. */
export function tokenText(t: Token | undefined): string | undefined {
  if (!t) return undefined;
  if (t.t === 'atom') return t.v;
  if (t.t === 'string') return t.v.toString('utf8');
  return undefined;
}

export { isAtomChar };
