// The vacation decision and reply (RFC 5230, RFC 3834), apart from the interpreter: given the vacation action a
// script took, the message and the recipient, decide whether to answer (never to the null sender, system
// addresses, auto-submitted, list or bulk mail, mail judged spam, mail not addressed to the user, or a sender
// answered within the period) and build the reply. Pure: the history of replies is behind an interface.
import { randomBytes } from 'node:crypto';
import type { SieveMessage } from './message.js';
import { decodedValue } from './message.js';
import { addressParts } from './evaluate-tests.js';
import type { VacationParams } from './types.js';

export interface VacationHistory {
  /** When this sender last got a reply under this handle (ms since the epoch), or null. */
  lastReply(sender: string, handle: string): number | null;
  record(sender: string, handle: string, at: number): void;
}

/** A history in memory, for tests and one-shot tools (the delivery worker keeps one on disk per user). */
export class MemoryVacationHistory implements VacationHistory {
  private readonly map = new Map<string, number>();
  lastReply(sender: string, handle: string): number | null {
    return this.map.get(`${sender.toLowerCase()}\0${handle}`) ?? null;
  }
  record(sender: string, handle: string, at: number): void {
    this.map.set(`${sender.toLowerCase()}\0${handle}`, at);
  }
}

export type VacationSkip =
  | 'null-sender'
  | 'system-sender'
  | 'own-address'
  | 'auto-submitted'
  | 'mailing-list'
  | 'bulk-precedence'
  | 'not-addressed'
  | 'spam'
  | 'already-replied';

export interface VacationContext {
  message: SieveMessage;
  /** The user's address (the envelope recipient this evaluation ran for). */
  recipient: string;
  now: Date;
  history: VacationHistory;
  /** Our spam verdict said spam: never answer (issue 11). */
  spam?: boolean;
  /** Envelope sender of the reply: the null sender (default, RFC 3834) or the user's address. */
  envelopeFrom?: 'null' | 'user';
  /** Host name for the reply's Message-ID. */
  hostname?: string;
  /**
   * Answer only mail that names the user (or an :addresses entry) in To/Cc/Bcc/Resent-* (default: true, RFC 5230).
   * An auto-responder (FEATURES R3) answers every message sent to its address, so it passes false.
   */
  requireAddressed?: boolean;
  /** What the reply is, in its Auto-Submitted comment and Message-ID: "vacation" (default) or "auto-reply". */
  kind?: 'vacation' | 'auto-reply';
}

export interface VacationReply {
  envelopeFrom: string;
  to: string;
  /** The whole reply message, CRLF line ends, 7-bit clean. */
  raw: Buffer;
  headers: [string, string][];
}

export type VacationDecision = { send: true; reply: VacationReply } | { send: false; reason: VacationSkip };

const LIST_HEADERS = ['list-id', 'list-help', 'list-subscribe', 'list-unsubscribe', 'list-post', 'list-owner', 'list-archive'];
const ADDRESSED_HEADERS = ['to', 'cc', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc'];

/** The sender addresses Pigeonhole (and RFC 3834 §2) treats as automatic: never answered. */
export function isSystemAddress(address: string): boolean {
  const local = address.slice(0, Math.max(0, address.lastIndexOf('@'))).toLowerCase() || address.toLowerCase();
  return local === 'mailer-daemon' || local === 'listserv' || local === 'majordomo' || local.startsWith('owner-') || local.endsWith('-request');
}

function header(msg: SieveMessage, name: string): string | undefined {
  return msg.headers.find((h) => h.name === name)?.value;
}

export function decideVacation(action: VacationParams, ctx: VacationContext): VacationDecision {
  const msg = ctx.message;
  const sender = msg.envelope.from;
  if (!sender) return { send: false, reason: 'null-sender' };
  if (isSystemAddress(sender)) return { send: false, reason: 'system-sender' };
  const own = [ctx.recipient, ...action.addresses.flatMap((a) => addressParts([a], 'all'))].map((a) => a.toLowerCase());
  if (own.includes(sender.toLowerCase())) return { send: false, reason: 'own-address' };
  const auto = header(msg, 'auto-submitted');
  if (auto !== undefined && auto.split(';')[0].trim().toLowerCase() !== 'no') return { send: false, reason: 'auto-submitted' };
  if (msg.headers.some((h) => LIST_HEADERS.includes(h.name))) return { send: false, reason: 'mailing-list' };
  const precedence = header(msg, 'precedence')?.trim().toLowerCase();
  if (precedence === 'bulk' || precedence === 'list' || precedence === 'junk') return { send: false, reason: 'bulk-precedence' };
  if (ctx.spam) return { send: false, reason: 'spam' };
  const addressed = addressParts(
    msg.headers.filter((h) => ADDRESSED_HEADERS.includes(h.name)).map((h) => h.value),
    'all',
  ).map((a) => a.toLowerCase());
  if (ctx.requireAddressed !== false && !addressed.some((a) => own.includes(a))) return { send: false, reason: 'not-addressed' };
  const last = ctx.history.lastReply(sender, action.handle);
  if (last !== null && ctx.now.getTime() - last < action.seconds * 1000) return { send: false, reason: 'already-replied' };
  ctx.history.record(sender, action.handle, ctx.now.getTime());
  return { send: true, reply: buildReply(action, ctx) };
}

/** RFC 2047 B-encoding for a header value that is not plain ASCII. */
export function encodeHeader(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  const words: string[] = [];
  let chunk = '';
  for (const ch of value) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join('\r\n ');
}

function rfc5322Date(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

/**
 * A :mime reason as the reply's entity: only its Content-* fields reach the reply's header, so a script cannot
 * add a second From:, a To: or a Bcc: of its own (security review 2); the body after its blank line is kept.
 */
export function mimeEntity(reason: string): string {
  const text = reason.replace(/\r?\n/g, '\r\n');
  const end = text.startsWith('\r\n') ? 0 : text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const rest = end < 0 ? '' : text.slice(end === 0 ? 0 : end + 2);
  const fields = head
    .split(/\r\n(?![ \t])/)
    .filter((f) => /^content-[a-z0-9-]*[ \t]*:/i.test(f))
    .map((f) => `${f}\r\n`);
  return fields.join('') + (rest || '\r\n');
}

export function buildReply(action: VacationParams, ctx: VacationContext): VacationReply {
  const msg = ctx.message;
  const sender = msg.envelope.from;
  const subjectIn = decodedValue(header(msg, 'subject') ?? '').trim();
  const subject = action.subject ?? (subjectIn ? `Auto: ${subjectIn}` : 'Automated reply');
  const from = action.from ?? `<${ctx.recipient}>`;
  const messageId = header(msg, 'message-id')?.trim();
  const refs = header(msg, 'references')?.trim();
  const sanitize = (v: string) => v.replace(/[\r\n]+/g, ' ');
  const headers: [string, string][] = [
    ['Message-ID', `<${ctx.kind ?? 'vacation'}-${randomBytes(9).toString('hex')}@${ctx.hostname ?? 'localhost'}>`],
    ['Date', rfc5322Date(ctx.now)],
    ['From', encodeHeader(sanitize(from))],
    ['To', `<${sender}>`],
    ['Subject', encodeHeader(sanitize(subject))],
  ];
  if (messageId) {
    headers.push(['In-Reply-To', messageId]);
    headers.push(['References', refs ? `${refs} ${messageId}` : messageId]);
  }
  headers.push(['Auto-Submitted', `auto-replied (${ctx.kind ?? 'vacation'})`], ['Precedence', 'bulk'], ['X-Auto-Response-Suppress', 'All'], ['MIME-Version', '1.0']);
  let body: string;
  if (action.mime) {
    // :mime: the reason is a MIME entity (its own Content-Type and body); line ends normalised to CRLF
    body = mimeEntity(action.reason);
  } else {
    const text = action.reason.replace(/\r?\n/g, '\r\n');
    const ascii = /^[\x00-\x7f]*$/.test(text);
    headers.push(['Content-Type', 'text/plain; charset=utf-8'], ['Content-Transfer-Encoding', ascii ? '7bit' : 'base64']);
    body = '\r\n' + (ascii ? text : Buffer.from(text).toString('base64').replace(/(.{76})/g, '$1\r\n'));
  }
  const raw = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') + body + (body.endsWith('\r\n') ? '' : '\r\n');
  return { envelopeFrom: ctx.envelopeFrom === 'user' ? ctx.recipient : '', to: sender, raw: Buffer.from(raw, 'utf8'), headers };
}
