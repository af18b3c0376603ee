// The data contracts between the SMTP session (main thread), the analyse worker task and the delivery
// worker. Plain JSON-cloneable shapes only: they cross thread boundaries and are stored in spool envelopes.
import type { Tag } from './tags.js';

export type { Tag } from './tags.js';

/** What the connection-time checks found, computed once per transaction at MAIL FROM. */
export interface ConnectionResult {
  tags: Tag[];
  /** Full header lines without CRLF, e.g. "X-IMAIL-SPAM-DNSBL: testbl 127.0.0.2". */
  headers: string[];
  /** RFC 8601 resinfo parts, e.g. "spf=pass smtp.mailfrom=a@b". */
  authResults: string[];
  /** Set when a check is configured to refuse at once (trusted DNSBL, connection_reject tags). */
  reject?: { code: number; status: string; text: string };
  /** The SPF result and the domain it was checked for (DMARC alignment needs it). */
  spf?: { result: string; domain: string };
}

export interface AnalyseEnvelope {
  mailFrom: string;
  rcptTo: string[];
  ip: string;
  helo: string;
  authenticatedUser?: string;
}

export interface AnalyseTask {
  spoolPath: string;
  /** The raw RFC 5322 message starts at this byte offset of the file. */
  bodyOffset: number;
  /** The raw message when the caller already has it in this thread (then the file is not read). */
  raw?: Buffer | Uint8Array;
  configPath?: string;
  envelope: AnalyseEnvelope;
  connection?: ConnectionResult;
}

export type SpamAction = 'inbox' | 'spam' | 'reject' | 'delete';

export interface AnalyseResult {
  tags: Tag[];
  score: number;
  action: SpamAction;
  /** CRLF-terminated header lines to prepend to the stored message. */
  headers: string;
  rejectText?: string;
}
