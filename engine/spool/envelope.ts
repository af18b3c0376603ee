// The envelope of a spooled message: who sent it, to whom, how it came in. Stored as a JSON header
// at the start of the spool file, so the file alone is enough to resume after a crash. A header read back
// is checked (magic, then a bounded length, then JSON, then the schema) before any of it is trusted.
import { z } from 'zod';
import type { ConnectionResult } from '../spam/types.js';
import { TAGS, type Tag } from '../spam/tags.js';

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
    /** The per-IP virtual host's name the message came in on (A6), for the Received: line; absent: [hostname]. */
    host?: string;
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
/** Magic and length field. */
export const HEADER_PREFIX = 12;
/** The JSON header is never longer (a length field above this is damage, never an allocation). */
export const MAX_HEADER = 64 * 1024 * 1024;

/** Queue ids (newQueueId) and the names of spool files: letters and digits only. */
export const QUEUE_ID = /^[0-9A-Za-z]{1,64}$/;

/**
 * An optional field as writers really leave it: absent, undefined, or null (the SMTP session gives a DSN ENVID
 * of null when none was sent): all read as absent.
 */
export function maybe<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null ? undefined : v), schema.optional());
}

const known = new Set<string>(TAGS);
const recipientEntry = z.looseObject({
  address: z.string(),
  kind: z.enum(['local', 'remote']),
  notify: maybe(z.array(z.string())),
  orcpt: maybe(z.string()),
});
const reply = z.object({ code: z.number().int(), status: z.string(), text: z.string() });
const connectionResult = z.looseObject({
  // a tag this version no longer knows is dropped, not a reason to refuse the message
  tags: z.array(z.string()).transform((ts) => ts.filter((t): t is Tag => known.has(t))),
  headers: z.array(z.string()),
  authResults: z.array(z.string()),
  reject: maybe(reply),
  spf: maybe(z.object({ result: z.string(), domain: z.string() })),
});

/** What a spool header must look like. Loose objects: a field added by a newer writer is kept, not stripped. */
export const envelopeSchema: z.ZodType<Envelope> = z.looseObject({
  id: z.string().regex(QUEUE_ID, 'not a queue id'),
  time: z.number().finite(),
  mailFrom: z.string(),
  rcptTo: z.array(recipientEntry),
  dsn: maybe(z.object({ ret: maybe(z.enum(['FULL', 'HDRS'])), envid: maybe(z.string()) })),
  smtputf8: maybe(z.boolean()),
  body8bit: maybe(z.boolean()),
  client: z.looseObject({
    ip: z.string(),
    ptr: maybe(z.string()),
    helo: z.string(),
    protocol: z.string(),
    tls: maybe(z.string()),
    user: maybe(z.string()),
    listener: z.string(),
    host: maybe(z.string()),
  }),
  connection: maybe(connectionResult),
});

/** A zod failure as one line: "rcptTo.0.kind: Invalid option ...". */
export function schemaReason(e: z.ZodError): string {
  const i = e.issues[0];
  const where = i.path.map(String).join('.');
  return `${where || '(top)'}: ${i.message}`;
}

/** [magic 8][header length uint32 BE][JSON header][raw message] */
export function encodeHeader(env: Envelope): Buffer {
  const json = Buffer.from(JSON.stringify(env), 'utf8');
  if (json.length > MAX_HEADER) throw new Error(`envelope of ${json.length} bytes is over the spool header limit`);
  const b = Buffer.alloc(HEADER_PREFIX + json.length);
  MAGIC.copy(b, 0);
  b.writeUInt32BE(json.length, 8);
  json.copy(b, HEADER_PREFIX);
  return b;
}

export type HeaderCheck = { ok: true; length: number } | { ok: false; reason: string };

/** Check the first 12 bytes of a spool file of `fileSize` bytes: the magic first, then the length field. */
export function checkPrefix(prefix: Buffer, fileSize: number): HeaderCheck {
  if (prefix.length < HEADER_PREFIX) return { ok: false, reason: `truncated: ${fileSize} byte(s), shorter than the ${HEADER_PREFIX}-byte spool header` };
  if (!prefix.subarray(0, 8).equals(MAGIC)) return { ok: false, reason: 'wrong magic: not a tegami spool file' };
  const length = prefix.readUInt32BE(8);
  if (length > MAX_HEADER) return { ok: false, reason: `header length ${length} is over the ${MAX_HEADER}-byte limit` };
  if (HEADER_PREFIX + length > fileSize) return { ok: false, reason: `truncated: the header says ${length} byte(s) of envelope, the file has ${fileSize - HEADER_PREFIX}` };
  return { ok: true, length };
}

export type Decoded = { ok: true; envelope: Envelope; bodyOffset: number } | { ok: false; reason: string };

/** Parse the header from the first bytes of a spool file (at least the whole header); never throws. */
export function decodeHeader(head: Buffer, fileSize = head.length): Decoded {
  const c = checkPrefix(head.subarray(0, HEADER_PREFIX), fileSize);
  if (!c.ok) return c;
  const end = HEADER_PREFIX + c.length;
  if (head.length < end) return { ok: false, reason: `truncated: the header says ${c.length} byte(s) of envelope, ${head.length - HEADER_PREFIX} could be read` };
  let raw: unknown;
  try {
    raw = JSON.parse(head.subarray(HEADER_PREFIX, end).toString('utf8'));
  } catch (e) {
    return { ok: false, reason: `bad JSON in the envelope: ${(e as Error).message}` };
  }
  const r = envelopeSchema.safeParse(raw);
  if (!r.success) return { ok: false, reason: `bad envelope: ${schemaReason(r.error)}` };
  return { ok: true, envelope: r.data, bodyOffset: end };
}

let seq = 0;
/** Queue ids: time-ordered, unique across restarts, safe in file names. */
export function newQueueId(): string {
  seq = (seq + 1) % 46656;
  const rand = Math.floor(Math.random() * 1679616);
  return Date.now().toString(36).toUpperCase().padStart(9, '0') + seq.toString(36).toUpperCase().padStart(3, '0') + rand.toString(36).toUpperCase().padStart(4, '0');
}
