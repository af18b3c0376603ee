// The text of one message as SEARCH's keys read it, decoded lazily and shared by all keys evaluated on it: header
// values with RFC 2047 words decoded and folded (per field name, only the names a key asks for), the body's text
// parts decoded from their transfer encoding and charset. Header keys whose field needs no decoding are answered
// from the header block's bytes (mime/header-match.ts) without making a string. Never throws on mail.
import { findBodyStart, parseHeaders, parseMime, type HeaderField, type MimeNode } from '../mime/mime-tree.js';
import { fieldValues, scannableName } from '../mime/header-scan.js';
import type { HeaderMatch } from './mime/header-match.js';
import { decodedBodyText, decodeHeaderValue, fold } from '../mime/text-decode.js';

/** Decoded, folded header values of a message, by lower-case field name. */
export function headerMap(root: MimeNode): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const h of root.headers) {
    const v = fold(decodeHeaderValue(h.value));
    const list = m.get(h.name);
    if (list) list.push(v);
    else m.set(h.name, [v]);
  }
  return m;
}

const EMPTY = Buffer.alloc(0);

/**
 * Lazily decoded message text. `fields` holds decoded values by name (an empty list: the message has no such field)
 * and may come from a cache; `decodedNew` says whether this message's evaluation added any to it. One object may be
 * refilled per message (`reset`), so a SEARCH over 10,000 messages makes one, not 10,000.
 */
export class Content {
  private raw: Buffer | undefined;
  private tree?: MimeNode;
  private all?: Map<string, string[]>;
  private body?: string;
  private dateValue?: string | null;
  private fieldList?: HeaderField[];
  private headEnd?: number;
  private allText?: string;
  private known?: Map<string, string[]>;
  /** Were values decoded for this message that `fields` did not hold before? */
  decodedNew = false;

  constructor(raw: Buffer | undefined, cached?: { fields?: Map<string, string[]>; date?: string | null }) {
    this.raw = raw;
    this.known = cached?.fields;
    if (cached && cached.date !== undefined) this.dateValue = cached.date;
  }

  /**
   * Start on another message (what the constructor does, without a new object); `headOnly`: raw is a header block
   * alone (what FETCH kept), so it is not searched for its end.
   */
  reset(raw: Buffer | undefined, cached?: { fields?: Map<string, string[]>; date?: string | null }, headOnly = false): void {
    this.raw = raw;
    this.known = cached?.fields;
    this.dateValue = cached && cached.date !== undefined ? cached.date : undefined;
    this.tree = this.all = this.body = this.fieldList = this.allText = undefined;
    this.headEnd = headOnly && raw ? raw.length : undefined;
    this.decodedNew = false;
  }

  /** Decoded values by field name, as far as they are known (made when first needed). */
  get fields(): Map<string, string[]> {
    return (this.known ??= new Map());
  }

  root(): MimeNode {
    return (this.tree ??= parseMime(this.raw ?? EMPTY));
  }

  /** The top-level header fields: from the tree when it was parsed, else only the header block is read. */
  private topHeaders(): HeaderField[] {
    if (this.tree) return this.tree.headers;
    const raw = this.raw ?? EMPTY;
    return (this.fieldList ??= parseHeaders(raw, 0, findBodyStart(raw, 0, raw.length)));
  }

  headerValues(): Map<string, string[]> {
    return (this.all ??= headerMap(this.root()));
  }

  /** The end of the header block while it may be scanned as bytes (nothing parsed it whole), else -1. */
  private scanEnd(): number {
    if (this.tree || this.fieldList) return -1;
    const raw = this.raw ?? EMPTY;
    return (this.headEnd ??= findBodyStart(raw, 0, raw.length));
  }

  /**
   * The raw values of one field: scanned from the header block's bytes while nothing parsed it whole (a SEARCH
   * over the blocks FETCH kept reads one or two fields of each), else from the parsed fields.
   */
  private rawValues(name: string): string[] {
    if (scannableName(name)) {
      const end = this.scanEnd();
      if (end >= 0) return fieldValues(this.raw ?? EMPTY, 0, end, name);
    }
    const out: string[] = [];
    for (const h of this.topHeaders()) if (h.name === name) out.push(h.value);
    return out;
  }

  /** The decoded, folded values of one field (lower-case name), in order. */
  header(name: string): string[] {
    let vs = this.known?.get(name);
    if (vs) return vs;
    if (this.all) vs = this.all.get(name) ?? [];
    else {
      vs = this.rawValues(name);
      for (let i = 0; i < vs.length; i++) vs[i] = fold(decodeHeaderValue(vs[i]));
    }
    this.fields.set(name, vs);
    this.decodedNew = true;
    return vs;
  }

  /**
   * The decoded, folded values of one field (lower-case name) without keeping them on this content (a column being
   * made reads one field of many messages: no map per message).
   */
  values(name: string): string[] {
    const vs = this.known?.get(name) ?? this.all?.get(name);
    if (vs) return vs;
    const out = this.rawValues(name);
    for (let i = 0; i < out.length; i++) out[i] = fold(decodeHeaderValue(out[i]));
    return out;
  }

  /**
   * Does a value of the field hold `folded` (a key's string as fold() made it; '' for any value)? From the decoded
   * values when known, else from the header block's bytes when `m` (that key's headerMatcher) can tell, else decoded.
   */
  headerHolds(name: string, folded: string, m: HeaderMatch | null): boolean {
    let values = this.known?.get(name);
    if (!values && m) {
      const end = this.scanEnd();
      if (end >= 0) {
        const r = m(this.raw ?? EMPTY, 0, end);
        if (r !== null) return r;
      }
    }
    values ??= this.header(name);
    if (!values.length) return false;
    if (folded === '') return true;
    for (let i = 0; i < values.length; i++) if (values[i].includes(folded)) return true;
    return false;
  }

  date(): string | null {
    if (this.dateValue === undefined) this.dateValue = this.rawValues('date')[0] ?? null;
    return this.dateValue;
  }

  /** The message's header block (for keeping), or undefined when there is no message text. */
  headBlock(): Buffer | undefined {
    if (!this.raw) return undefined;
    return this.raw.subarray(0, this.tree ? this.tree.bodyStart : (this.headEnd ??= findBodyStart(this.raw, 0, this.raw.length)));
  }

  /** Every header field as text, built once for all the TEXT keys of a search. */
  allHeaders(): string {
    return (this.allText ??= [...this.headerValues()].map(([k, vs]) => vs.map((v) => `${k}: ${v}`).join('\n')).join('\n'));
  }

  bodyText(): string {
    return (this.body ??= fold(decodedBodyText(this.raw!, this.root()).join('\n')));
  }
}
