// Builds IMAP response bytes: atoms, quoted strings, literals (for 8-bit, CR/LF, long or quote-unsafe content),
// NIL, lists, and literals whose bytes are a range of a stored message, read only when written (see
// response-writer.ts). It never decides what to answer; commands do. Strings that cannot be quoted always
// become literals.

export type Piece = string | Buffer;

/** A stored message opened for reading (the store's MessageHandle). */
export interface ByteSource {
  readonly size: number;
  read(position: number, length: number): Promise<Buffer>;
}

/** Octets [start, end) of a source, read when the response is written. */
export interface ByteRange {
  source: ByteSource;
  start: number;
  end: number;
}

const QUOTABLE = /^[\x20-\x7e]*$/;
/** Only characters below U+0080 (their UTF-8 octets are themselves). */
const ASCII = /^[\x00-\x7f]*$/;

/** A quoted string's text with its backslashes and double quotes escaped (most text has neither). */
export function quoted(v: string): string {
  return v.indexOf('"') < 0 && v.indexOf('\\') < 0 ? '"' + v + '"' : '"' + v.replace(/[\\"]/g, '\\$&') + '"';
}

/**
 * A string as protocol text (latin1, one char per octet): quoted when it is at most 1000 printable ASCII
 * characters, else a literal of its UTF-8 octets. Response and Latin1Text both write strings with it.
 */
export function stringText(v: string): string {
  if (v.length <= 1000 && QUOTABLE.test(v)) return quoted(v);
  const octets = ASCII.test(v) ? v : Buffer.from(v, 'utf8').toString('latin1');
  return `{${octets.length}}\r\n` + octets;
}

/** Latin1 text (one char per octet, e.g. raw header bytes) as protocol text: quoted when possible, else a literal. */
export function latin1StringText(v: string): string {
  return v.length <= 1000 && QUOTABLE.test(v) ? quoted(v) : `{${v.length}}\r\n` + v;
}

export class Response {
  private readonly parts: (Buffer | ByteRange)[] = [];
  /** Protocol text not yet turned into a Buffer (latin1: one char per octet). */
  private cur = '';

  raw(s: Piece): this {
    if (typeof s === 'string') this.cur += s;
    else {
      this.flush();
      this.parts.push(s);
    }
    return this;
  }

  private flush(): void {
    if (this.cur) {
      this.parts.push(Buffer.from(this.cur, 'latin1'));
      this.cur = '';
    }
  }

  /** A string in the safest form: quoted when possible, a literal otherwise (text is UTF-8). */
  str(v: string | Buffer): this {
    if (typeof v === 'string') return this.raw(stringText(v));
    if (canQuote(v)) return this.raw(quoted(v.toString('latin1')));
    return this.literal(v);
  }

  /** A string given as latin1 text (one char per octet, e.g. raw header bytes). */
  latin1(v: string): this {
    return this.raw(latin1StringText(v));
  }

  nstr(v: string | Buffer | null | undefined): this {
    if (v === null || v === undefined) return this.raw('NIL');
    return this.str(v);
  }

  /** nstring from latin1 text. */
  nlatin1(v: string | null | undefined): this {
    if (v === null || v === undefined) return this.raw('NIL');
    return this.latin1(v);
  }

  /** astring: a bare atom when every character allows it, else a string. */
  astr(v: string): this {
    if (v.length && /^[!#$&'+,\-./0-9:;<=>?@A-Z[^_`a-z|}~]+$/.test(v) && v.toUpperCase() !== 'NIL') return this.raw(v);
    return this.str(v);
  }

  literal(b: Buffer): this {
    this.raw(`{${b.length}}\r\n`);
    return this.raw(b);
  }

  /** A literal of octets [start, end) of a source, never read into memory here. */
  rangeLiteral(source: ByteSource, start: number, end: number): this {
    this.raw(`{${end - start}}\r\n`);
    this.flush();
    this.parts.push({ source, start, end });
    return this;
  }

  /** The whole response as latin1 text when it is only text (no Buffer, no range), else null. */
  textOnly(): string | null {
    return this.parts.length ? null : this.cur;
  }

  /** What to write, in order (ranges are read by the writer). */
  pieces(): (Buffer | ByteRange)[] {
    this.flush();
    return this.parts;
  }

  /** The whole response as bytes (only for responses without byte ranges). */
  toBuffer(): Buffer {
    this.flush();
    const bufs = this.parts.map((p) => {
      if (!Buffer.isBuffer(p)) throw new Error('a response with byte ranges must be written by a ResponseWriter');
      return p;
    });
    return bufs.length === 1 ? bufs[0] : Buffer.concat(bufs);
  }
}

/** Quotable: at most 1000 octets of 7-bit text without CR, LF or NUL. */
export function canQuote(b: Buffer): boolean {
  if (b.length > 1000) return false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0 || c === 10 || c === 13 || c > 0x7e) return false;
  }
  return true;
}

/** A flag list "(\Seen $Junk)". */
export function flagList(flags: string[]): string {
  return '(' + flags.join(' ') + ')';
}
