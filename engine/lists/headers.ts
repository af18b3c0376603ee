// A message's header section as a list of fields that can be read, removed and added without touching the
// bytes of the others (8-bit and ISO-2022-JP values pass through as latin1), and RFC 2047 encoding for the
// text tegami writes into headers (display names, subject prefixes). No MIME parsing of bodies here.
import { headerEnd, mailboxesOf, type Mailbox } from '../mime/address-list.js';

export interface Field {
  /** The name as written. */
  name: string;
  /** The whole field as latin1 text, continuation lines included, ending in CRLF. */
  raw: string;
}

export interface SplitMessage {
  fields: Field[];
  body: Buffer;
}

/** At most this much of a message is read as its header section (the rest, if no blank line came, is body). */
const MAX_HEAD = 256 * 1024;

export function splitMessage(raw: Buffer): SplitMessage {
  const end = headerEnd(raw.subarray(0, MAX_HEAD));
  const head = raw.subarray(0, end ?? 0).toString('latin1');
  const body = raw.subarray(end ?? 0);
  const fields: Field[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && fields.length) {
      fields[fields.length - 1].raw += `${line}\r\n`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // not a field (a stray line): dropped rather than passed on malformed
    fields.push({ name: line.slice(0, colon).trim(), raw: `${line}\r\n` });
  }
  return { fields, body };
}

export function joinMessage(m: SplitMessage): Buffer {
  return Buffer.concat([Buffer.from(m.fields.map((f) => f.raw).join('') + '\r\n', 'latin1'), m.body]);
}

/** The unfolded value (latin1 text) of each field called `name`. */
export function values(fields: Field[], name: string): string[] {
  const n = name.toLowerCase();
  return fields.filter((f) => f.name.toLowerCase() === n).map((f) => f.raw.slice(f.raw.indexOf(':') + 1).replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '').trim());
}

export function value(fields: Field[], name: string): string | undefined {
  return values(fields, name)[0];
}

export function removeFields(fields: Field[], names: readonly string[]): Field[] {
  const set = new Set(names.map((n) => n.toLowerCase()));
  return fields.filter((f) => !set.has(f.name.toLowerCase()));
}

/** A field from our own text: control characters removed; non-ASCII must have been encoded by the caller. */
export function field(name: string, text: string): Field {
  return { name, raw: `${name}: ${text.replace(/[\x00-\x1f\x7f]+/g, ' ')}\r\n` };
}

/** Replace the first field called `name` in place (or append one). */
export function setField(fields: Field[], name: string, text: string): Field[] {
  const f = field(name, text);
  const i = fields.findIndex((x) => x.name.toLowerCase() === name.toLowerCase());
  if (i < 0) return [...fields, f];
  return [...fields.slice(0, i), f, ...removeFields(fields.slice(i + 1), [name])];
}

const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;

/** RFC 2047 B-encoded words in UTF-8, each at most 75 characters, split on character boundaries. */
export function encodeWords(text: string): string {
  const words: string[] = [];
  let cur = '';
  for (const ch of text) {
    if (Buffer.byteLength(cur + ch, 'utf8') > 45) {
      words.push(cur);
      cur = '';
    }
    cur += ch;
  }
  if (cur) words.push(cur);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}

/** Unstructured text (a Subject): as it is when printable ASCII, else encoded words. */
export function encodeText(text: string): string {
  return ASCII_PRINTABLE.test(text) ? text : encodeWords(text);
}

/** A display name as an RFC 5322 phrase: a quoted string when ASCII, encoded words otherwise. */
export function encodePhrase(name: string): string {
  const clean = name.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  if (ASCII_PRINTABLE.test(clean)) return `"${clean.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return encodeWords(clean);
}

export function mailboxText(name: string, address: string): string {
  return name ? `${encodePhrase(name)} <${address}>` : `<${address}>`;
}

/** The one From: mailbox of a message (RFC 5322 parsing), or null when there is none, several, or it does not parse. */
export function posterOf(fields: Field[]): Mailbox | null {
  const from = mailboxesOf(Buffer.from(fields.map((f) => f.raw).join(''), 'latin1'), 'from');
  return from.ok && from.mailboxes.length === 1 ? from.mailboxes[0] : null;
}
