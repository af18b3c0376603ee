// The messages rules make tegami send, as envelopes and bytes for originate() (engine/queue/notices.ts): a copy
// that a redirect or a forward sends on (the original envelope's sender, SRS-rewritten when it leaves for a
// remote address; Delivered-To and Received added, so loops are seen and counted), and a vacation or auto-reply
// (tegami's own message: origin "tegami", signed with the user's domain's key). It only builds; it never sends.
import type { Originated } from '../queue/notices.js';
import { receivedHeader } from '../smtp/received.js';
import { newQueueId, type Envelope, type RecipientEntry } from '../spool/envelope.js';
import type { VacationReply } from '../sieve/index.js';
import type { Srs } from '../srs/srs.js';

/** Addresses of the mailboxes a message already went through here (Delivered-To fields in its header), lower-cased. */
export function deliveredTo(raw: Buffer): Set<string> {
  const out = new Set<string>();
  const end = raw.indexOf('\r\n\r\n');
  const text = raw.subarray(0, end < 0 ? Math.min(raw.length, 256 * 1024) : end).toString('latin1');
  for (const m of text.matchAll(/^Delivered-To:[ \t]*<?([^<>\s]+)>?[ \t]*\r?$/gim)) out.add(m[1].toLowerCase());
  return out;
}

/**
 * The envelope sender a copy leaving for a remote address gets: SRS (in `srsDomain`) unless SRS is off, the
 * sender is the null sender, or it is one of our own domains (SPF passes for those as they are).
 */
export function forwardSender(mailFrom: string, srs: Srs | null, srsDomain: string, isLocalDomain: (d: string) => boolean): string {
  if (!srs || !mailFrom) return mailFrom;
  const domain = mailFrom.slice(mailFrom.lastIndexOf('@') + 1);
  if (isLocalDomain(domain)) return mailFrom;
  return srs.forward(mailFrom, srsDomain);
}

export interface CopyOptions {
  /** The message received (whose envelope the copy inherits: client, DSN RET, 8-bit). */
  env: Envelope;
  hostname: string;
  mailFrom: string;
  rcptTo: RecipientEntry[];
  /** The mailbox that sends it on (Delivered-To), and the recipient the copy's Received names; absent for a route forward. */
  via?: string;
  forRcpt: string;
  /** The message (header edits applied). */
  parts: Buffer[];
}

/** A copy of the message sent on by a redirect or a forward: a new queue entry, passing through (never signed by us). */
export function forwardCopy(o: CopyOptions): Originated {
  const trace = (o.via ? `Delivered-To: ${o.via}\r\n` : '') + receivedHeader(o.env, o.hostname, o.forRcpt);
  const envelope: Envelope = {
    id: newQueueId(),
    time: Date.now(),
    mailFrom: o.mailFrom,
    rcptTo: o.rcptTo,
    dsn: o.env.dsn?.ret ? { ret: o.env.dsn.ret } : undefined,
    smtputf8: o.env.smtputf8,
    body8bit: o.env.body8bit,
    client: { ...o.env.client },
    connection: o.env.connection,
    origin: { kind: 'relayed' },
  };
  return { envelope, raw: [Buffer.from(trace, 'utf8'), ...o.parts] };
}

/** A vacation reply or auto-reply, written by tegami in the name of `domain` (DKIM-signed with its key when it has one). */
export function replyMessage(reply: VacationReply, o: { source: 'vacation' | 'auto-reply'; domain: string; hostname: string; recipientIsLocal: boolean }): Originated {
  const envelope: Envelope = {
    id: newQueueId(),
    time: Date.now(),
    mailFrom: reply.envelopeFrom,
    rcptTo: [{ address: reply.to, kind: o.recipientIsLocal ? 'local' : 'remote' }],
    body8bit: false,
    client: { ip: '127.0.0.1', helo: o.hostname, protocol: 'LOCAL', listener: o.source },
    origin: { kind: 'tegami', source: o.source, domain: o.domain.toLowerCase() },
  };
  return { envelope, raw: reply.raw };
}
