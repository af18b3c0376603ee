// The envelope of a spooled message: who sent it, to whom, how it came in. Stored as a JSON header
// at the start of the spool file, so the file alone is enough to resume after a crash.
import type { ConnectionResult } from '../spam/types.js';

export interface RecipientEntry {
  /** The address as given in RCPT TO (source route stripped). */
  address: string;
  /** Where policy found it: a local mailbox/alias, or a remote address to relay. */
  kind: 'local' | 'remote';
  /** DSN parameters (RFC 3461) given with RCPT TO. */
  notify?: string[];
  orcpt?: string;
}

export interface Envelope {
  id: string;
  /** Time the message was accepted, ms since epoch. */
  time: number;
  /** Envelope sender; '' for the null sender <>. */
  mailFrom: string;
  rcptTo: RecipientEntry[];
  dsn?: { ret?: 'FULL' | 'HDRS'; envid?: string };
  smtputf8?: boolean;
  body8bit?: boolean;
  client: {
    ip: string;
    /** Reverse DNS name when known. */
    ptr?: string;
    helo: string;
    /** "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA" (RFC 3848). */
    protocol: string;
    tls?: string;
    /** Authenticated login (address), never a secret. */
    user?: string;
    listener: string;
  };
  /** Connection-time spam results (engine/spam/connection.ts), carried to the analysis. */
  connection?: ConnectionResult;
  /**
   * Who stands behind the message, set by whoever created the envelope; the only thing DKIM signing is
   * decided on. Absent in spool files written before it existed: those are delivered unsigned.
   */
  origin?: Origin;
}

/** The kinds of message tegami writes itself (signed with the key of the domain they come from). */
export const OWN_SOURCES = ['dsn', 'list', 'vacation', 'auto-reply', 'alert'] as const;
export type OwnSource = (typeof OWN_SOURCES)[number];

/**
 * Who a message comes from, as far as signing it goes:
 *  - 'relayed': received from elsewhere (or written by a sender who may not use its From:), so it only
 *    passes through here: never signed by us, even when it is forwarded off-site;
 *  - 'author': every From: address belongs to the sender (a logged-in owner or alias holder, checked at
 *    DATA) or the sender is a `[relay] allow_ips` host writing as one of our domains: `domain` may sign;
 *  - 'tegami': written by tegami itself (a DSN, a list copy, an auto-reply, an alert) as `domain`.
 */
export type Origin =
  | { kind: 'relayed' }
  | { kind: 'author'; domain: string; by: 'login' | 'relay-host' }
  | { kind: 'tegami'; source: OwnSource; domain: string };

const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The origin of an envelope read back from disk or another thread, checked field by field; null if absent or malformed. */
export function checkedOrigin(v: unknown): Origin | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const domainOk = typeof o.domain === 'string' && DOMAIN.test(o.domain);
  if (o.kind === 'relayed') return { kind: 'relayed' };
  if (o.kind === 'author' && domainOk && (o.by === 'login' || o.by === 'relay-host')) return { kind: 'author', domain: o.domain as string, by: o.by };
  if (o.kind === 'tegami' && domainOk && (OWN_SOURCES as readonly unknown[]).includes(o.source)) return { kind: 'tegami', source: o.source as OwnSource, domain: o.domain as string };
  return null;
}

const MAGIC = Buffer.from('TGSPOOL1');

/** [magic 8][header length uint32 BE][JSON header][raw message] */
export function encodeHeader(env: Envelope): Buffer {
  const json = Buffer.from(JSON.stringify(env), 'utf8');
  const b = Buffer.alloc(12 + json.length);
  MAGIC.copy(b, 0);
  b.writeUInt32BE(json.length, 8);
  json.copy(b, 12);
  return b;
}

/** Parse the header from the first bytes of a spool file; returns the body offset. */
export function decodeHeader(head: Buffer): { envelope: Envelope; bodyOffset: number } | null {
  if (head.length < 12 || !head.subarray(0, 8).equals(MAGIC)) return null;
  const len = head.readUInt32BE(8);
  if (head.length < 12 + len) return null;
  try {
    return { envelope: JSON.parse(head.subarray(12, 12 + len).toString('utf8')) as Envelope, bodyOffset: 12 + len };
  } catch {
    return null;
  }
}

let seq = 0;
/** Queue ids: time-ordered, unique across restarts, safe in file names. */
export function newQueueId(): string {
  seq = (seq + 1) % 46656;
  const rand = Math.floor(Math.random() * 1679616);
  return Date.now().toString(36).toUpperCase().padStart(9, '0') + seq.toString(36).toUpperCase().padStart(3, '0') + rand.toString(36).toUpperCase().padStart(4, '0');
}
