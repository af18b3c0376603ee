// Builds IMAP response bytes: atoms, quoted strings, literals (for 8-bit, CR/LF, long or quote-unsafe content),
// NIL, lists. It never decides what to answer; commands do. Strings that cannot be quoted always become literals.

export type Piece = string | Buffer;

export class Response {
  readonly parts: Piece[] = [];
  size = 0;

  raw(s: Piece): this {
    this.parts.push(s);
    this.size += s.length;
    return this;
  }

  /** A string in the safest form: quoted when possible, a literal otherwise. */
  str(v: string | Buffer): this {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    if (canQuote(b)) return this.raw('"' + b.toString('latin1').replace(/[\\"]/g, (c) => '\\' + c) + '"');
    return this.literal(b);
  }

  nstr(v: string | Buffer | null | undefined): this {
    if (v === null || v === undefined) return this.raw('NIL');
    return this.str(v);
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
    return Buffer.concat(this.parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)), this.size);
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
