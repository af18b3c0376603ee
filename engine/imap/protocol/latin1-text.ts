// IMAP response text built as one latin1 string (one char per octet): quoted strings, literals, NIL. FETCH's
// ENVELOPE and BODYSTRUCTURE are written into it and kept as that string, so no Buffer is made per item: the
// writer turns many responses into one Buffer at once. The octets equal what a Response makes of the same calls:
// both encode strings with response.ts's stringText and latin1StringText.
import { latin1StringText, stringText } from './response.js';

export class Latin1Text {
  /** The text so far (a char above U+00FF becomes its low octet when the text is sent, as in a Response). */
  text = '';

  raw(s: string): this {
    this.text += s;
    return this;
  }

  /** A string in the safest form: quoted when possible, a literal of its UTF-8 octets otherwise. */
  str(v: string): this {
    return this.raw(stringText(v));
  }

  /** A string given as latin1 text (one char per octet, e.g. raw header bytes). */
  latin1(v: string): this {
    return this.raw(latin1StringText(v));
  }

  nlatin1(v: string | null | undefined): this {
    if (v === null || v === undefined) return this.raw('NIL');
    return this.latin1(v);
  }
}
