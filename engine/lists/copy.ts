// The copy of a post that a list sends out: a Received field for our hop (so list loops reach the hop
// limit), the list's own fields (RFC 2919 List-Id, RFC 2369 List-*, Precedence: list, X-BeenThere), the
// subject prefix, the Reply-To policy and, for DMARC-safe posting, From: rewritten to the list. The body is
// never touched, and the copy is DKIM-signed after these edits (as it leaves), so our signature holds.
import type { MailingList } from '../accounts/list-directory.js';
import type { Mailbox } from '../mime/address-list.js';
import { decodeHeaderValue } from '../mime/charset.js';
import { rfc5322Date } from '../smtp/received.js';
import { encodeText, field, joinMessage, mailboxText, removeFields, setField, splitMessage, value, type Field } from './headers.js';
import { listAddresses, listId } from './names.js';

/** Fields a list replaces: another list's (or a forger's) List-* and Precedence, and a stale Return-Path. */
const REPLACED = ['List-Id', 'List-Help', 'List-Subscribe', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Post', 'List-Owner', 'List-Archive', 'Precedence', 'Return-Path'];

export interface CopyInput {
  list: MailingList;
  raw: Buffer;
  /** The single From: mailbox of the post, when it has one. */
  poster: Mailbox | null;
  rewriteFrom: boolean;
  hostname: string;
  /** [lists] archive_url, "{list}" replaced; only used when the list archives. */
  archiveUrl?: string;
  /** Names our hop in the Received field (the batch of this post). */
  hopId: string;
  now: number;
}

/** The RFC 2369/2919 fields of a list (the per-member one-click link is added to each copy by verp.ts). */
export function listFields(list: MailingList, archiveUrl?: string): Field[] {
  const a = listAddresses(list);
  const out = [
    field('List-Id', `<${listId(list)}>`),
    field('List-Help', `<mailto:${a.request}?subject=help>`),
    field('List-Subscribe', `<mailto:${a.request}?subject=subscribe>`),
    // one-click unsubscribe (RFC 8058) is per member: verp.ts withOneClick puts the https link first in each copy
    field('List-Unsubscribe', `<mailto:${a.request}?subject=unsubscribe>`),
    field('List-Post', list.post === 'moderators' ? 'NO (only moderators post to this list)' : `<mailto:${a.post}>`),
    field('List-Owner', `<mailto:${a.owner}>`),
  ];
  if (list.archive && archiveUrl) out.push(field('List-Archive', `<${archiveUrl.replace('{list}', list.address)}>`));
  out.push(field('Precedence', 'list'), field('X-BeenThere', list.address));
  return out;
}

/** The Subject with the list's prefix in front, unless the (decoded) subject already carries it. */
export function prefixedSubject(raw: string | undefined, prefix: string): string | undefined {
  if (!prefix) return raw;
  const decoded = raw ? decodeHeaderValue(raw).text : '';
  if (decoded.toLowerCase().includes(prefix.toLowerCase())) return raw;
  const rest = raw?.trimStart() ?? '';
  if (!rest) return encodeText(prefix);
  // white space between two encoded-words is not displayed (RFC 2047 §6.2): then the space goes inside ours
  if (/^[\x20-\x7e]*$/.test(prefix) || !/^=\?/.test(rest)) return `${encodeText(prefix)} ${rest}`;
  return `${encodeText(`${prefix} `)} ${rest}`;
}

/** "'Alice Example' via dev" <dev@example.org>: the From: of a rewritten copy. */
export function rewrittenFrom(list: MailingList, poster: Mailbox | null): string {
  const who = poster?.name || poster?.address || 'someone';
  return mailboxText(`'${who}' via ${list.name}`, list.address);
}

export function buildCopy(i: CopyInput): Buffer {
  const { list } = i;
  const msg = splitMessage(i.raw);
  let fields = removeFields(msg.fields, REPLACED);
  const subject = prefixedSubject(value(fields, 'Subject'), list.subjectPrefix);
  if (subject !== undefined) fields = setRaw(fields, 'Subject', subject);
  const originalFrom = value(fields, 'From');
  const listAddr = listAddresses(list).post;
  if (i.rewriteFrom && originalFrom) {
    fields = setField(fields, 'From', rewrittenFrom(list, i.poster));
    if (list.replyTo === 'sender') {
      // replies still reach the poster (their own Reply-To, if they gave one, stays)
      if (value(fields, 'Reply-To') === undefined) fields = setRaw(fields, 'Reply-To', originalFrom);
    } else {
      fields = setField(fields, 'Reply-To', `<${listAddr}>`);
      const cc = value(fields, 'Cc');
      fields = setRaw(fields, 'Cc', cc ? `${cc}, ${originalFrom}` : originalFrom);
    }
  } else if (list.replyTo === 'list') {
    fields = setField(fields, 'Reply-To', `<${listAddr}>`);
  }
  const received = field('Received', `by ${i.hostname} (tegami list ${list.address}) id ${i.hopId};\r\n\t${rfc5322Date(new Date(i.now))}`);
  return joinMessage({ fields: [received, ...fields, ...listFields(list, i.archiveUrl)], body: msg.body });
}

/** Set a field to a value that is already header text (latin1 bytes kept as they are). */
function setRaw(fields: Field[], name: string, raw: string): Field[] {
  const f: Field = { name, raw: `${name}: ${raw.replace(/\r?\n(?![ \t])/g, '')}\r\n` };
  const i = fields.findIndex((x) => x.name.toLowerCase() === name.toLowerCase());
  if (i < 0) return [...fields, f];
  return [...fields.slice(0, i), f, ...removeFields(fields.slice(i + 1), [name])];
}
