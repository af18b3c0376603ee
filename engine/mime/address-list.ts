// Header fields and RFC 5322 address lists (From:, Sender:) read the way a mail client reads them: quoted
// strings, comments, groups and angle addresses first, RFC 2047 encoded-words decoded afterwards and only in
// display names, so a quoted comma never splits a mailbox and an encoded "@" never becomes an address.
// It never guesses an address out of text that does not parse: a malformed list is an error value.
import { decodeBytes, decodeHeaderValue } from './charset.js';

export interface Mailbox {
  /** The display name (or the comment after a bare address), decoded; '' when there is none. */
  name: string;
  /** local@domain as written: the local part unquoted, the domain lower-cased. */
  address: string;
  local: string;
  domain: string;
}

export type AddressList = { ok: true; mailboxes: Mailbox[] } | { ok: false; reason: string };

/** Raw fields of a header section: name (as written) and value (unfolded, bytes as latin1). */
export function headerFields(head: Buffer, wanted: readonly string[]): { name: string; value: string }[] {
  const want = new Set(wanted.map((w) => w.toLowerCase()));
  const out: { name: string; value: string }[] = [];
  let cur: { name: string; value: string } | null = null;
  const text = head.toString('latin1');
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    if (line === '') break; // the blank line that ends the header section
    if (line[0] === ' ' || line[0] === '\t') {
      if (cur) cur.value += line; // unfold: the line break goes, the white space stays (RFC 5322 §2.2.3)
      continue;
    }
    cur = null;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    // obs-optional (RFC 5322 §4.5) allows white space before the colon: "From :" is From as well
    const name = line.slice(0, colon).replace(/[ \t]+$/, '');
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name) || !want.has(name.toLowerCase())) continue;
    cur = { name, value: line.slice(colon + 1) };
    out.push(cur);
  }
  return out;
}

/** A field value's bytes as text: raw 8-bit (UTF-8, Shift_JIS, EUC-JP) or ISO-2022-JP decoded; encoded-words left as they are. */
export function fieldText(value: string): string {
  return /[\x80-\xff\x1b]/.test(value) ? decodeBytes(Buffer.from(value, 'latin1')).text : value;
}

type Tok = { k: 'atom' | 'qs' | 'dl'; v: string } | { k: 'sp'; v: string } | { k: 'comment'; v: string };

const SPECIALS = '<>:;@,.';
const MAX_COMMENT_DEPTH = 32;

function isCtl(c: number): boolean {
  return (c < 0x20 && c !== 0x09) || c === 0x7f;
}

/** One pass over the text; every construct ends where it is closed or the list is an error. */
function tokenize(s: string): Tok[] | string {
  const toks: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    const code = s.charCodeAt(i);
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '(') {
      let depth = 0;
      let text = '';
      for (; i < s.length; i++) {
        const d = s[i];
        if (d === '\\' && i + 1 < s.length) {
          text += s[++i];
        } else if (d === '(') {
          if (++depth > MAX_COMMENT_DEPTH) return 'comments nested too deeply';
          if (depth > 1) text += d;
        } else if (d === ')') {
          if (--depth === 0) break;
          text += d;
        } else text += d;
      }
      if (depth !== 0) return 'unterminated comment';
      i++;
      toks.push({ k: 'comment', v: text.trim() });
    } else if (c === '"') {
      let v = '';
      let closed = false;
      for (i++; i < s.length; i++) {
        const d = s[i];
        if (d === '\\' && i + 1 < s.length) v += s[++i];
        else if (d === '"') {
          closed = true;
          break;
        } else if (d !== '\r' && d !== '\n') v += d;
      }
      if (!closed) return 'unterminated quoted string';
      i++;
      toks.push({ k: 'qs', v });
    } else if (c === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) return 'unterminated domain literal';
      const v = s.slice(i, end + 1);
      if (/[[\\]/.test(v.slice(1, -1))) return 'bad domain literal';
      toks.push({ k: 'dl', v });
      i = end + 1;
    } else if (SPECIALS.includes(c)) {
      toks.push({ k: 'sp', v: c });
      i++;
    } else if (c === ')' || c === ']' || c === '\\') {
      return `unexpected "${c}"`;
    } else if (isCtl(code)) {
      return 'control character';
    } else {
      let j = i;
      while (j < s.length && !isCtl(s.charCodeAt(j)) && !' \t\r\n()"[]\\'.includes(s[j]) && !SPECIALS.includes(s[j])) j++;
      toks.push({ k: 'atom', v: s.slice(i, j) });
      i = j;
    }
  }
  return toks;
}

/** Runs of encoded-words (RFC 2047 §2), each part free of "?" and white space, so matching stays linear. */
const ENCODED_RUN = /=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=(?:[ \t]+=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)*/g;

/** A display name as a person reads it: encoded-words decoded (in any charset charset.ts knows). */
export function decodeDisplayName(words: string): string {
  return words.replace(ENCODED_RUN, (run) => decodeHeaderValue(run).text).trim();
}

class Parser {
  private i = 0;
  readonly mailboxes: Mailbox[] = [];
  private comments: string[] = [];
  private readonly toks: Tok[];

  constructor(all: Tok[]) {
    // comments are white space to the grammar; the last one after a bare address serves as its name
    this.toks = [];
    for (const t of all) {
      if (t.k === 'comment') this.comments.push(t.v);
      else this.toks.push(t);
    }
  }

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }

  private isSp(t: Tok | undefined, chars: string): boolean {
    return !!t && t.k === 'sp' && chars.includes(t.v);
  }

  /** address-list = (mailbox / group) *("," (mailbox / group)), empty members tolerated (obs-addr-list). */
  parseList(): string | null {
    while (this.i < this.toks.length) {
      if (this.isSp(this.peek(), ',')) {
        this.i++;
        continue;
      }
      const err = this.startsGroup() ? this.parseGroup() : this.parseMailbox();
      if (err) return err;
      const next = this.peek();
      if (next && !this.isSp(next, ',')) return `unexpected "${next.v}" after an address`;
    }
    return null;
  }

  /** A group starts with a phrase and ":" before any "<", "@", "," or ";". */
  private startsGroup(): boolean {
    for (let j = this.i; j < this.toks.length; j++) {
      const t = this.toks[j];
      if (t.k === 'sp' && t.v !== '.') return t.v === ':';
    }
    return false;
  }

  private parseGroup(): string | null {
    while (!this.isSp(this.peek(), ':')) this.i++;
    this.i++;
    for (;;) {
      const t = this.peek();
      if (!t) return null; // an unclosed group at the end is read as closed
      if (this.isSp(t, ';')) {
        this.i++;
        return null;
      }
      if (this.isSp(t, ',')) {
        this.i++;
        continue;
      }
      const err = this.parseMailbox();
      if (err) return err;
      const next = this.peek();
      if (next && !this.isSp(next, ',;')) return `unexpected "${next.v}" in a group`;
    }
  }

  /** mailbox = name-addr / addr-spec */
  private parseMailbox(): string | null {
    const words: Tok[] = [];
    while (this.peek() && (this.peek()!.k === 'atom' || this.peek()!.k === 'qs' || this.isSp(this.peek(), '.'))) words.push(this.toks[this.i++]);
    const t = this.peek();
    if (this.isSp(t, '<')) {
      this.i++;
      // obs-route: "<@relay1,@relay2:user@domain>"
      if (this.isSp(this.peek(), '@')) {
        while (this.peek() && !this.isSp(this.peek(), ':>')) this.i++;
        if (!this.isSp(this.peek(), ':')) return 'bad source route';
        this.i++;
      }
      const local = this.localPart();
      if (typeof local !== 'string') return local.error;
      const r = this.addrSpecAfterLocal(local, phraseText(words));
      if (r) return r;
      if (!this.isSp(this.peek(), '>')) return 'unterminated angle address';
      this.i++;
      return null;
    }
    if (this.isSp(t, '@')) {
      // a bare addr-spec: the words read so far are its local part
      this.i -= words.length;
      const local = this.localPart();
      if (typeof local !== 'string') return local.error;
      return this.addrSpecAfterLocal(local, '', true);
    }
    if (!t && !words.length) return null;
    return words.length ? 'a name without an address' : `unexpected "${t!.v}"`;
  }

  /** local-part = word *("." word) */
  private localPart(): string | { error: string } {
    const parts: string[] = [];
    for (;;) {
      const t = this.peek();
      if (!t || (t.k !== 'atom' && t.k !== 'qs')) return { error: 'missing local part' };
      parts.push(t.v);
      this.i++;
      if (!this.isSp(this.peek(), '.')) break;
      this.i++;
    }
    return parts.join('.');
  }

  private addrSpecAfterLocal(local: string, name: string, bare = false): string | null {
    if (!this.isSp(this.peek(), '@')) return 'missing "@"';
    this.i++;
    let domain: string;
    const t = this.peek();
    if (t?.k === 'dl') {
      domain = t.v;
      this.i++;
    } else {
      const labels: string[] = [];
      for (;;) {
        const a = this.peek();
        if (!a || a.k !== 'atom') return 'missing domain';
        labels.push(a.v);
        this.i++;
        if (!this.isSp(this.peek(), '.')) break;
        this.i++;
      }
      domain = labels.join('.');
    }
    domain = domain.toLowerCase();
    const display = bare ? (this.comments.at(-1) ?? '') : name;
    this.mailboxes.push({ name: decodeDisplayName(display), address: `${local}@${domain}`, local, domain });
    return null;
  }
}

function phraseText(words: Tok[]): string {
  let out = '';
  for (const w of words) out += w.k === 'sp' ? w.v : `${out ? ' ' : ''}${w.v}`;
  return out;
}

/** Parse an address list (the value of From:, Sender:, To: ...) as text (see fieldText). */
export function parseAddressList(value: string): AddressList {
  const toks = tokenize(value);
  if (typeof toks === 'string') return { ok: false, reason: toks };
  const p = new Parser(toks);
  const err = p.parseList();
  return err ? { ok: false, reason: err } : { ok: true, mailboxes: p.mailboxes };
}

/** Every mailbox of every field called `name` in a header section (a message may carry a field twice). */
export function mailboxesOf(head: Buffer, name: string): AddressList & { fields: number } {
  return mailboxesOfFields(headerFields(head, [name]));
}

/** The same for fields already read (headerFields), so a caller that reads them for other readers reads them once. */
export function mailboxesOfFields(fields: readonly { value: string }[]): AddressList & { fields: number } {
  const all: Mailbox[] = [];
  for (const f of fields) {
    const r = parseAddressList(fieldText(f.value));
    if (!r.ok) return { ...r, fields: fields.length };
    all.push(...r.mailboxes);
  }
  return { ok: true, mailboxes: all, fields: fields.length };
}

/** The one domain every From: address of a message is in, or null (no From:, unreadable, or several domains). */
export function authorDomain(message: Buffer, limit = 100 * 1024): string | null {
  const end = headerEnd(message.subarray(0, limit));
  const from = mailboxesOf(message.subarray(0, end ?? Math.min(message.length, limit)), 'from');
  if (!from.ok || !from.mailboxes.length) return null;
  const domains = new Set(from.mailboxes.map((m) => m.domain));
  return domains.size === 1 ? [...domains][0] : null;
}

/** Offset just after the blank line that ends the header section, or null when `buf` holds no such line. */
export function headerEnd(buf: Buffer): number | null {
  let lineStart = true;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === 0x0a) {
      if (lineStart) return i + 1;
      lineStart = true;
    } else if (b !== 0x0d) lineStart = false;
  }
  return null;
}
