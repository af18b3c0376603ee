// Builds IMAP response bytes: atoms, quoted strings, literals (for 8-bit, CR/LF, long or quote-unsafe content),
// NIL, lists. It never decides what to answer; commands do. Strings that cannot be quoted always become literals.

export type Piece = string | Buffer;

const QUOTABLE = /^[\x20-\x7e]*$/;

export class Response {
  private readonly parts: Buffer[] = [];
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
    if (typeof v === 'string') {
      if (v.length <= 1000 && QUOTABLE.test(v)) return this.raw('"' + v.replace(/[\\"]/g, '\\$&') + '"');
      return this.literal(Buffer.from(v, 'utf8'));
    }
    if (canQuote(v)) return this.raw('"' + v.toString('latin1').replace(/[\\"]/g, '\\$&') + '"');
    return this.literal(v);
  }

  /** A string given as latin1 text (one char per octet, e.g. raw header bytes). */
  latin1(v: string): this {
    if (v.length <= 1000 && QUOTABLE.test(v)) return this.raw('"' + v.replace(/[\\"]/g, '\\$&') + '"');
    return this.literal(Buffer.from(v, 'latin1'));
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

  toBuffer(): Buffer {
    this.flush();
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
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
