// Delivery status notifications (RFC 3464): a multipart/report with a readable part quoting the remote
// server's reply, a message/delivery-status part, and the original message (RET=FULL) or its headers; only
// the headers of mail that merely passed through (its sender may be forged, and the notice is signed as ours).
// Also who gets one (RFC 3461 NOTIFY). It only builds bytes; it never sends, and never addresses a
// notification to the null sender.
import crypto from 'node:crypto';
import { rfc5322Date } from '../smtp/received.js';
import { checkedOrigin, newQueueId, type Envelope } from '../spool/envelope.js';

export type DsnAction = 'failed' | 'delayed' | 'relayed';

export interface DsnRecipient {
  /** The address delivery was attempted to (Final-Recipient). */
  address: string;
  /** ORCPT from RCPT TO ("rfc822;user@example.org"), when given. */
  orcpt?: string;
  action: DsnAction;
  /** Enhanced status code, e.g. "5.1.1". */
  status: string;
  /** The remote server's name, when one answered. */
  remoteMta?: string;
  /** The remote server's reply (quoted verbatim) or our own reason. */
  diagnostic?: string;
  /** Was `diagnostic` said by a remote SMTP server (Diagnostic-Code: smtp;) or by us? */
  fromRemote?: boolean;
  lastAttempt?: number;
  willRetryUntil?: number;
}

/** Does this recipient's NOTIFY ask for a notification of this kind? (absent NOTIFY = FAILURE,DELAY) */
export function wantsNotice(notify: string[] | undefined, action: DsnAction): boolean {
  const n = (notify ?? []).map((x) => x.toUpperCase());
  if (n.includes('NEVER')) return false;
  if (action === 'relayed') return n.includes('SUCCESS');
  if (!n.length) return true;
  return n.includes(action === 'failed' ? 'FAILURE' : 'DELAY');
}

/** Headers only (up to the blank line). */
function headerBlock(raw: Buffer): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  if (end >= 0) return raw.subarray(0, end + 2);
  const lf = raw.indexOf('\n\n');
  return lf >= 0 ? raw.subarray(0, lf + 1) : raw;
}

function headerValue(raw: Buffer, name: string): string | undefined {
  const head = headerBlock(raw).toString('utf8');
  const re = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im');
  const m = re.exec(head);
  return m ? m[1].replace(/\r?\n[ \t]+/g, ' ').trim() : undefined;
}

/** Field values must stay on one line and in US-ASCII where RFC 3464 wants them (xtext-ish cleanup). */
function field(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 900);
}

function typedAddress(a: string): string {
  const i = a.indexOf(';');
  return i > 0 ? `${a.slice(0, i).trim()}; ${a.slice(i + 1).trim()}` : `rfc822; ${a}`;
}

export interface DsnInput {
  action: DsnAction;
  /** Our host name (Reporting-MTA, From: MAILER-DAEMON@). */
  hostname: string;
  /** The original message's envelope. */
  envelope: Envelope;
  recipients: DsnRecipient[];
  /** The original message as spooled (headers + body). */
  original: Buffer;
  now?: number;
  /** Return only headers when the original is larger than this (bytes). */
  maxReturn?: number;
}

const SUBJECTS: Record<DsnAction, string> = {
  failed: 'Undelivered Mail Returned to Sender',
  delayed: 'Delayed Mail (still being retried)',
  relayed: 'Successful Mail Relay Notification',
};

function humanText(i: DsnInput): string {
  const when = rfc5322Date(new Date(i.envelope.time));
  const lines: string[] = [];
  lines.push(`This is the mail system at host ${i.hostname}.`, '');
  if (i.action === 'failed') {
    lines.push(`I'm sorry to have to inform you that your message could not be delivered to one or more`, `recipients. It's attached below.`, '');
  } else if (i.action === 'delayed') {
    lines.push(`Your message could not be delivered yet. The mail system will keep trying until the time`, `shown below; you do not need to send it again. You will be told if it finally fails.`, '');
  } else {
    lines.push(`Your message was handed to a server that does not give delivery notifications; this is`, `the last one you will get for these recipients (you asked for a notice on success).`, '');
  }
  lines.push(`The message was received on ${when}, queue id ${i.envelope.id}.`, '');
  for (const r of i.recipients) {
    const who = r.remoteMta ? `host ${r.remoteMta} said` : 'reason';
    lines.push(`<${r.address}>: ${who}:`);
    lines.push(`    ${(r.diagnostic ?? r.status).replace(/\r?\n/g, '\n    ')}`);
    if (r.willRetryUntil && i.action === 'delayed') lines.push(`    (will keep trying until ${rfc5322Date(new Date(r.willRetryUntil))})`);
    lines.push('');
  }
  return lines.join('\r\n');
}

function statusPart(i: DsnInput, now: number): string {
  const out: string[] = [`Reporting-MTA: dns; ${field(i.hostname)}`];
  if (i.envelope.dsn?.envid) out.push(`Original-Envelope-Id: ${field(i.envelope.dsn.envid)}`);
  out.push(`X-Tegami-Queue-ID: ${i.envelope.id}`);
  out.push(`Arrival-Date: ${rfc5322Date(new Date(i.envelope.time))}`);
  for (const r of i.recipients) {
    out.push('');
    if (r.orcpt) out.push(`Original-Recipient: ${field(typedAddress(r.orcpt))}`);
    out.push(`Final-Recipient: rfc822; ${field(r.address)}`);
    out.push(`Action: ${r.action}`);
    out.push(`Status: ${r.status}`);
    if (r.remoteMta) out.push(`Remote-MTA: dns; ${field(r.remoteMta)}`);
    if (r.diagnostic) out.push(`Diagnostic-Code: ${r.fromRemote ? 'smtp' : 'x-tegami'}; ${field(r.diagnostic)}`);
    out.push(`Last-Attempt-Date: ${rfc5322Date(new Date(r.lastAttempt ?? now))}`);
    if (r.willRetryUntil && r.action === 'delayed') out.push(`Will-Retry-Until: ${rfc5322Date(new Date(r.willRetryUntil))}`);
  }
  return out.join('\r\n') + '\r\n';
}

/** Build the notification and the envelope it travels in (null sender, to the original sender). */
export function buildDsn(i: DsnInput): { envelope: Envelope; raw: Buffer } | null {
  const sender = i.envelope.mailFrom;
  if (!sender) return null; // never notify the null sender: a bounce of a bounce loops
  const now = i.now ?? Date.now();
  const id = newQueueId();
  const boundary = `${id}/${i.hostname}/${crypto.randomBytes(6).toString('hex')}`;
  // RET=HDRS, delay and success notices carry only the headers; failures the whole message unless too large, or
  // unless it only passed through here (received from elsewhere, forwarded): its sender may be forged, and a
  // notice we sign must not carry a stranger's body to whoever that sender names (backscatter of signed spam)
  const relayed = checkedOrigin(i.envelope.origin)?.kind === 'relayed';
  const full = i.action === 'failed' && !relayed && i.envelope.dsn?.ret !== 'HDRS' && i.original.length <= (i.maxReturn ?? 10 * 1024 * 1024);
  const returned = full ? i.original : headerBlock(i.original);
  const text = humanText(i);
  const origSubject = headerValue(i.original, 'Subject');
  const origMsgId = headerValue(i.original, 'Message-ID');
  const eightBit = /[^\x00-\x7f]/.test(text);
  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${i.hostname}>`,
    `To: <${sender}>`,
    `Subject: ${SUBJECTS[i.action]}${origSubject && /^[\x20-\x7e]*$/.test(origSubject) ? `: ${origSubject.slice(0, 200)}` : ''}`,
    `Date: ${rfc5322Date(new Date(now))}`,
    `Message-ID: <${id}.dsn@${i.hostname}>`,
    ...(origMsgId ? [`In-Reply-To: ${field(origMsgId)}`, `References: ${field(origMsgId)}`] : []),
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    `Content-Type: text/plain; charset=${eightBit ? 'utf-8' : 'us-ascii'}`,
    ...(eightBit ? ['Content-Transfer-Encoding: 8bit'] : []),
    '',
    text,
    `--${boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    statusPart(i, now),
    `--${boundary}`,
    `Content-Description: ${full ? 'Undelivered Message' : 'Undelivered Message Headers'}`,
    `Content-Type: ${full ? 'message/rfc822' : 'text/rfc822-headers'}`,
    ...(full && /[^\x00-\x7f]/.test(returned.toString('latin1')) ? ['Content-Transfer-Encoding: 8bit'] : []),
    '',
    '',
  ].join('\r\n');
  const tail = `${returned.length && !returned.subarray(-2).equals(Buffer.from('\r\n')) ? '\r\n' : ''}\r\n--${boundary}--\r\n`;
  const raw = Buffer.concat([Buffer.from(head, 'utf8'), returned, Buffer.from(tail, 'utf8')]);
  const envelope: Envelope = {
    id,
    time: now,
    mailFrom: '',
    rcptTo: [{ address: sender, kind: 'local' }],
    body8bit: eightBit || (full && /[^\x00-\x7f]/.test(returned.toString('latin1'))),
    client: { ip: '127.0.0.1', helo: i.hostname, protocol: 'LOCAL', listener: 'dsn' },
    // written by tegami as MAILER-DAEMON@hostname: signed with the key of the host name's domain
    origin: { kind: 'tegami', source: 'dsn', domain: i.hostname.toLowerCase() },
  };
  return { envelope, raw };
}
