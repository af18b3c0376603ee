// IMAP response text built as one latin1 string (one char per octet): quoted strings, literals, NIL. FETCH's
// ENVELOPE and BODYSTRUCTURE are written into it and kept as that string, so no Buffer is made per item: the
// writer turns many responses into one Buffer at once. The octets equal what a Response makes of the same calls.
import { quoted } from './response.js';

const QUOTABLE = /^[\x20-\x7e]*$/;
/** Only characters below U+0080 (their UTF-8 octets are themselves). */
const ASCII = /^[\x00-\x7f]*$/;

export class Latin1Text {
  /** The text so far. */
  text = '';

  raw(s: string): this {
    this.text += s;
    return this;
  }

  /** A string in the safest form: quoted when possible, a literal of its UTF-8 octets otherwise. */
  str(v: string): this {
    if (v.length <= 1000 && QUOTABLE.test(v)) return this.raw(quoted(v));
    return this.literal(ASCII.test(v) ? v : Buffer.from(v, 'utf8').toString('latin1'));
  }

  /** A string given as latin1 text (one char per octet, e.g. raw header bytes). */
  latin1(v: string): this {
    if (v.length <= 1000 && QUOTABLE.test(v)) return this.raw(quoted(v));
    return this.literal(v);
  }

  nlatin1(v: string | null | undefined): this {
    if (v === null || v === undefined) return this.raw('NIL');
    return this.latin1(v);
  }

  /** A literal of latin1 text (a char above U+00FF becomes its low octet when the text is sent, as in a Response). */
  private literal(v: string): this {
    this.text += `{${v.length}}\r\n` + v;
    return this;
  }
}
