// Messages a list writes itself (moderation notices, confirmations, help, bounce notices): composed as
// MIME (text/plain UTF-8, optionally with the message concerned attached) and handed to originate() with
// the list's bounce address as envelope sender and origin tegami/list, so they are signed as the list's
// domain. Every one carries Auto-Submitted (RFC 3834), so no responder answers it.
import crypto from 'node:crypto';
import type { MailingList } from '../accounts/list-directory.js';
import { rfc5322Date } from '../smtp/received.js';
import { newQueueId, type Envelope } from '../spool/envelope.js';
import { originate } from '../queue/notices.js';
import { encodeText, mailboxText } from './headers.js';
import { listAddresses, listId } from './names.js';
import type { ListRuntime } from './runtime.js';

export interface Composed {
  from: { name: string; address: string };
  to: string[];
  subject: string;
  text: string;
  replyTo?: string;
  /** 'auto-replied' answers a request; 'auto-generated' is a notice of our own. */
  auto: 'auto-replied' | 'auto-generated';
  inReplyTo?: string;
  /** A message to attach as message/rfc822 (or only its header section, `headersOnly`). */
  attach?: Buffer;
  headersOnly?: boolean;
}

export function compose(c: Composed, list: MailingList, hostname: string, now: number): Buffer {
  const id = `${now.toString(36)}.${crypto.randomBytes(6).toString('hex')}@${list.domain}`;
  const a = listAddresses(list);
  const head = [
    `From: ${mailboxText(c.from.name, c.from.address)}`,
    `To: ${c.to.map((t) => `<${t}>`).join(', ')}`,
    `Subject: ${encodeText(c.subject)}`,
    `Date: ${rfc5322Date(new Date(now))}`,
    `Message-ID: <${id}>`,
    ...(c.replyTo ? [`Reply-To: <${c.replyTo}>`] : []),
    ...(c.inReplyTo && /^<[\x21-\x7e]{1,250}>$/.test(c.inReplyTo) ? [`In-Reply-To: ${c.inReplyTo}`, `References: ${c.inReplyTo}`] : []),
    `Auto-Submitted: ${c.auto}`,
    'Precedence: list',
    `List-Id: <${listId(list)}>`,
    `List-Help: <mailto:${a.request}?subject=help>`,
    'MIME-Version: 1.0',
  ];
  const text = c.text.replace(/\r?\n/g, '\r\n') + '\r\n';
  const textPart = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', text].join('\r\n');
  if (!c.attach) return Buffer.from([...head, textPart].join('\r\n'), 'utf8');
  const boundary = `=_tegami_${crypto.randomBytes(9).toString('hex')}`;
  const attached = c.headersOnly ? headerSection(c.attach) : c.attach;
  const pre = [
    ...head,
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    'This is a MIME message.',
    `--${boundary}`,
    textPart,
    `--${boundary}`,
    `Content-Type: ${c.headersOnly ? 'text/rfc822-headers' : 'message/rfc822'}`,
    ...(/[^\x00-\x7f]/.test(attached.toString('latin1')) ? ['Content-Transfer-Encoding: 8bit'] : []),
    '',
    '',
  ].join('\r\n');
  const tail = `${attached.subarray(-2).toString('latin1') === '\r\n' ? '' : '\r\n'}--${boundary}--\r\n`;
  return Buffer.concat([Buffer.from(pre, 'utf8'), attached, Buffer.from(tail, 'latin1')]);
}

function headerSection(raw: Buffer): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  return end < 0 ? raw.subarray(0, 64 * 1024) : raw.subarray(0, end + 2);
}

/** The envelope of a message the list originates (copy, notice, digest). */
export function listEnvelope(rt: ListRuntime, list: MailingList, id: string, mailFrom: string, rcpts: string[], raw: Buffer): Envelope {
  return {
    id,
    time: rt.now(),
    mailFrom,
    rcptTo: rcpts.map((address) => ({ address, kind: rt.directory.localDomain(address.slice(address.lastIndexOf('@') + 1)) ? 'local' : 'remote' })),
    body8bit: /[^\x00-\x7f]/.test(raw.toString('latin1')),
    smtputf8: rcpts.some((r) => /[^\x00-\x7f]/.test(r)) || undefined,
    client: { ip: '127.0.0.1', helo: rt.config.hostname, protocol: 'LOCAL', listener: 'list' },
    // written by tegami for the list: signed with the list domain's key (engine/outbound/dkim.ts)
    origin: { kind: 'tegami', source: 'list', domain: list.domain },
  };
}

/** Compose a notice and originate it (its own batch, no dedup record); returns the queue ids. `mailFrom`: the
 *  envelope sender, the list's bounce address unless given. */
export async function sendNotice(rt: ListRuntime, list: MailingList, c: Composed, mailFrom?: string): Promise<string[]> {
  if (!c.to.length) return [];
  const raw = compose(c, list, rt.config.hostname, rt.now());
  const id = newQueueId();
  // (a bounce probe goes with the member's own VERP sender: only its bounce proves the address fails)
  const env = listEnvelope(rt, list, id, mailFrom ?? listAddresses(list).bounces, c.to, raw);
  return originate(rt.spool, `N${id}`, [{ envelope: env, raw }]);
}

/** Who gets moderation and subscription-approval notices: the moderators, else the domain's postmaster. */
export function moderators(rt: ListRuntime, list: MailingList): string[] {
  const admins = rt.lists.admins(list.address);
  return admins.length ? admins : [`postmaster@${list.domain}`];
}
