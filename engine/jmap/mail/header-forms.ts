// Header field values in the forms of RFC 8621 §4.1.2 (Raw, Text, Addresses, GroupedAddresses, MessageIds,
// Date, URLs) and the "header:Name:asForm:all" property names that ask for them, with the rule of which form
// may be asked of which field. Decoding goes through the project's charset decoder. Pure; never throws on mail.
import { decodeHeaderValue } from '../../mime/charset.js';
import { decodeDisplayName, fieldText } from '../../mime/address-list.js';
import { parseAddressList } from '../../imap/mime/envelope.js';
import type { HeaderField } from '../../mime/mime-tree.js';
import { messageIds, parseDate } from '../../store/message-meta.js';
import { zonedDate } from '../args.js';

export type HeaderForm = 'Raw' | 'Text' | 'Addresses' | 'GroupedAddresses' | 'MessageIds' | 'Date' | 'URLs';
export const FORMS: readonly HeaderForm[] = ['Raw', 'Text', 'Addresses', 'GroupedAddresses', 'MessageIds', 'Date', 'URLs'];

export interface HeaderProperty {
  /** The property as the client wrote it (the response uses the same capitalisation). */
  property: string;
  /** Field name, lower case. */
  name: string;
  form: HeaderForm;
  all: boolean;
}

export interface EmailAddress {
  name: string | null;
  email: string;
}

export interface EmailAddressGroup {
  name: string | null;
  addresses: EmailAddress[];
}

/** Fields RFC 5322 and RFC 2369 define: only their listed forms may be used; any other field takes any form. */
const DEFINED = new Set([
  'date', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'message-id', 'in-reply-to', 'references', 'subject', 'comments', 'keywords',
  'resent-date', 'resent-from', 'resent-sender', 'resent-reply-to', 'resent-to', 'resent-cc', 'resent-bcc', 'resent-message-id',
  'return-path', 'received', 'list-help', 'list-unsubscribe', 'list-subscribe', 'list-post', 'list-owner', 'list-archive',
]);

const ALLOWED: Record<Exclude<HeaderForm, 'Raw'>, Set<string>> = {
  Text: new Set(['subject', 'comments', 'keywords', 'list-id']),
  Addresses: new Set(['from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'resent-from', 'resent-sender', 'resent-reply-to', 'resent-to', 'resent-cc', 'resent-bcc']),
  GroupedAddresses: new Set(['from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'resent-from', 'resent-sender', 'resent-reply-to', 'resent-to', 'resent-cc', 'resent-bcc']),
  MessageIds: new Set(['message-id', 'in-reply-to', 'references', 'resent-message-id']),
  Date: new Set(['date', 'resent-date']),
  URLs: new Set(['list-help', 'list-unsubscribe', 'list-subscribe', 'list-post', 'list-owner', 'list-archive']),
};

export function formAllowed(name: string, form: HeaderForm): boolean {
  return form === 'Raw' || !DEFINED.has(name) || ALLOWED[form].has(name);
}

/**
 * "header:List-Post:asURLs:all" → its parts; null when it is not a header property at all, 'invalid' when it
 * is one but malformed or asks a form the field may not take (invalidArguments / invalidProperties).
 */
export function parseHeaderProperty(property: string): HeaderProperty | null | 'invalid' {
  if (!property.startsWith('header:')) return null;
  const parts = property.slice(7).split(':');
  const name = parts.shift() ?? '';
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) return 'invalid';
  let form: HeaderForm = 'Raw';
  let all = false;
  if (parts[0]?.startsWith('as')) {
    const f = parts.shift()!.slice(2) as HeaderForm;
    if (!FORMS.includes(f)) return 'invalid';
    form = f;
  }
  if (parts[0] === 'all') {
    parts.shift();
    all = true;
  }
  if (parts.length) return 'invalid';
  const lower = name.toLowerCase();
  if (!formAllowed(lower, form)) return 'invalid';
  return { property, name: lower, form, all };
}

const utf8Lenient = new TextDecoder('utf-8');

/** Raw form: the octets after the colon to the end of the field (folding kept), as UTF-8 with U+FFFD, NULs dropped. */
export function rawValue(raw: Buffer, f: HeaderField): string {
  const colon = raw.indexOf(0x3a, f.start);
  // to where parseHeaders stopped reading the value (mime-tree.ts): a stranger's 5 MB field gives its first 256 KiB
  let end = f.readEnd;
  if (raw[end - 1] === 0x0a) end--;
  if (raw[end - 1] === 0x0d) end--;
  const bytes = raw.subarray(colon < 0 || colon >= end ? end : colon + 1, end);
  return utf8Lenient.decode(bytes).replace(/\0/g, '');
}

/** Text form: unfolded, leading space removed, encoded-words decoded (any charset the decoder knows), NFC. */
export function textValue(raw: Buffer, f: HeaderField): string {
  const unfolded = raw.toString('latin1', f.start, f.readEnd).replace(/\r?\n$/, '').replace(/\r?\n(?=[ \t])/g, '');
  const colon = unfolded.indexOf(':');
  const value = unfolded.slice(colon + 1).replace(/^ +/, '').replace(/[\r\n]+/g, '');
  return decodeHeaderValue(value).text.replace(/[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '').normalize('NFC').trimEnd();
}

function toAddress(name: string | null, mailbox: string | null, host: string | null): EmailAddress {
  const email = host && host !== 'MISSING_DOMAIN' ? `${mailbox ?? ''}@${host}` : (mailbox ?? '');
  const decoded = name ? decodeDisplayName(name).normalize('NFC') : '';
  return { name: decoded || null, email };
}

export function groupedValue(f: HeaderField): EmailAddressGroup[] {
  const out: EmailAddressGroup[] = [];
  let group: EmailAddressGroup | null = null;
  let loose: EmailAddressGroup | null = null;
  for (const a of parseAddressList(fieldText(f.value))) {
    if (a.name === null && a.host === null && a.mailbox !== null) {
      group = { name: decodeDisplayName(a.mailbox) || null, addresses: [] };
      out.push(group);
      loose = null;
    } else if (a.name === null && a.mailbox === null && a.host === null) {
      group = null;
    } else if (group) group.addresses.push(toAddress(a.name, a.mailbox, a.host));
    else {
      if (!loose) out.push((loose = { name: null, addresses: [] }));
      loose.addresses.push(toAddress(a.name, a.mailbox, a.host));
    }
  }
  return out;
}

export function addressesValue(f: HeaderField): EmailAddress[] {
  return groupedValue(f).flatMap((g) => g.addresses);
}

export function messageIdsValue(f: HeaderField): string[] | null {
  const ids = messageIds(fieldText(f.value));
  return ids.length ? ids : null;
}

export function dateValue(f: HeaderField): string | null {
  const d = parseDate(f.value);
  return d ? zonedDate(d.ms, d.offset) : null;
}

export function urlsValue(f: HeaderField): string[] | null {
  const urls = [...f.value.matchAll(/<([^<>\s]{1,2000})>/g)].map((m) => m[1]);
  return urls.length ? urls : null;
}

/** The value of one header property over a part's header fields. */
export function headerPropertyValue(raw: Buffer, headers: HeaderField[], p: Pick<HeaderProperty, 'name' | 'form' | 'all'>): unknown {
  const fields = headers.filter((h) => h.name === p.name);
  const one = (f: HeaderField): unknown => {
    switch (p.form) {
      case 'Raw':
        return rawValue(raw, f);
      case 'Text':
        return textValue(raw, f);
      case 'Addresses':
        return addressesValue(f);
      case 'GroupedAddresses':
        return groupedValue(f);
      case 'MessageIds':
        return messageIdsValue(f);
      case 'Date':
        return dateValue(f);
      case 'URLs':
        return urlsValue(f);
    }
  };
  if (p.all) return fields.map(one);
  return fields.length ? one(fields[fields.length - 1]) : null;
}
