// What other readers make of a header section that tegami reads one way. The author check (engine/smtp/
// header-from.ts) parses From:/Sender: after decoding raw Japanese bytes (ISO-2022-JP, Shift_JIS, EUC-JP,
// UTF-8: address-list.ts fieldText), so bytes a decoder joins into kanji are no syntax to it; a reader that
// takes the same bytes as ASCII — nodemailer's address parser, which mailauth's DMARC check uses, Python's
// email package, tegami's own IMAP ENVELOPE — sees "<", "@" and "," in them and finds another author. And a CR
// without its LF is no line break to tegami but one to some readers (Python's email package), so a field can
// hide inside another. Both are asked here, so nothing in From:/Sender: names an author the check did not see.
import addressparser, { type Address } from 'nodemailer/lib/addressparser';
import { headerEnd, headerFields, mailboxesOfFields } from './address-list.js';

/** Text that any lenient reader would take for an address (a dotted domain after the "@"). */
const ADDRESS_LIKE = /[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

/** An address whose domain is a dotted name (what could be delivered to; "kanji@" alone is noise). */
const DOTTED = /^[^@]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;

function flatten(list: Address[], out: string[]): string[] {
  for (const a of list) {
    if (a.group) flatten(a.group, out);
    else if (a.address) out.push(a.address);
  }
  return out;
}

/**
 * The addresses a reader that takes bytes as ASCII finds in the `name` fields (lower-cased, "local@domain"),
 * for the fields that carry ESC or 8-bit bytes; for plain ASCII fields both readings are tegami's own parse.
 */
export function asciiReadings(head: Buffer, name: string): string[] {
  return asciiReadingsOf(headerFields(head, [name]));
}

function asciiReadingsOf(fields: readonly { value: string }[]): string[] {
  const out = new Set<string>();
  for (const f of fields) {
    if (!/[\x1b\x80-\xff]/.test(f.value)) continue;
    for (const m of f.value.matchAll(ADDRESS_LIKE)) out.add(m[0].toLowerCase());
    for (const a of flatten(addressparser(f.value), [])) if (DOTTED.test(a)) out.add(a.toLowerCase());
  }
  return [...out];
}

/** Does the header section hold a CR that is not followed by LF? */
export function hasBareCr(head: Buffer): boolean {
  for (let i = head.indexOf(0x0d); i >= 0; i = head.indexOf(0x0d, i + 1)) if (head[i + 1] !== 0x0a) return true;
  return false;
}

/**
 * One plain mailbox — an address of dot-atoms and a dotted domain of letters, digits and hyphens, bare or in
 * angle brackets after a name of plain words — in which every reader finds that one address and nothing else
 * (no quote, comment, comma, group, "@" or byte past ASCII to read otherwise): fromAddresses answers it without
 * running the readers. test/mime/from-addresses checks this against the readers for many values, plain or not.
 */
const LABEL = String.raw`[A-Za-z0-9]+(?:-+[A-Za-z0-9]+)*`; // no way to match one text two ways: linear time
const ADDR = String.raw`[A-Za-z0-9+_-]+(?:\.[A-Za-z0-9+_-]+)*@${LABEL}(?:\.${LABEL})+`;
const PLAIN_FROM = new RegExp(String.raw`^[ \t]*(?:(?:[A-Za-z0-9]+(?:[ \t]+[A-Za-z0-9]+)*[ \t]*)?<(${ADDR})>|(${ADDR}))[ \t]*$`);

/**
 * Every From: address of a message as any of the readers sees it: tegami's own (decoded) parse, and the ASCII
 * readings of nodemailer's parser (groups flattened: "group: a@x;" names a@x) and of lenient text matching.
 * What DMARC must judge, each domain of it (engine/spam/auth.ts).
 */
export function fromAddresses(raw: Buffer, limit = 100 * 1024): string[] {
  const head = raw.subarray(0, headerEnd(raw.subarray(0, limit)) ?? Math.min(raw.length, limit));
  // the From: fields read once, for all three readers
  const fields = headerFields(head, ['from']);
  if (fields.length === 1 && fields[0].value.length <= 512) {
    const m = PLAIN_FROM.exec(fields[0].value);
    if (m) return [(m[1] ?? m[2]).toLowerCase()];
  }
  return readingsOfFields(fields);
}

/** What the three readers find in these From: fields (fromAddresses without its plain-mailbox shortcut). */
export function readingsOfFields(fields: readonly { value: string }[]): string[] {
  const out = new Set<string>();
  const own = mailboxesOfFields(fields);
  if (own.ok) for (const m of own.mailboxes) out.add(m.address.toLowerCase());
  for (const f of fields) {
    for (const a of flatten(addressparser(f.value), [])) if (DOTTED.test(a)) out.add(a.toLowerCase());
  }
  for (const a of asciiReadingsOf(fields)) out.add(a);
  return [...out];
}
