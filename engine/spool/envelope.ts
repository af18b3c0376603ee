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
