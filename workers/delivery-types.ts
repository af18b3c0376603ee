// What a delivery by the rules takes and gives back (workers/sieve-delivery.ts): the mailboxes, one copy as
// process.ts writes it, the result the queue reads, and the events it logs. Types only; nothing here runs.
import type { LoadedConfig } from '../engine/config/load.js';
import type { Db } from '../engine/db/database.js';
import type { AccountDirectory } from '../engine/accounts/directory.js';
import type { Envelope } from '../engine/spool/envelope.js';

/** Something the queue logs for this message (Queue.fromWorker). */
export interface WorkerEvent {
  event: string;
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
}

export interface Mailbox {
  owner: string;
  rcpt: string;
}

/** One copy for a mailbox, as process.ts writes it (quota, dedup on recovery, the fsynced Maildir write). */
export interface MailboxCopy {
  folder: string;
  dir: string;
  dedupKey: string;
  /** The message after our trace headers: verdict headers, then the message, header edits applied. */
  parts: Buffer[];
  /** Maildir flag letters (Sieve :flags). */
  info: string;
}

/** written; already there (a resumed run); refused (the writer recorded a failure for this recipient itself). */
export type WriteOutcome = 'written' | 'duplicate' | 'refused';

export interface DeliveryResult {
  delivered: { owner: string; folder: string; rcpt: string }[];
  remote: { address: string; rcpt: string }[];
  failed: { address: string; reason: string }[];
  tempFailed: { address: string; reason: string }[];
  skippedDuplicates: number;
  originated?: string[];
  events?: WorkerEvent[];
}

export interface RulesInput {
  config: LoadedConfig;
  db: Db;
  directory: AccountDirectory;
  env: Envelope;
  mailboxes: Mailbox[];
  /** Our verdict headers (CRLF lines) and the message with forged verdict fields stripped. */
  verdictHeaders: Buffer;
  message: Buffer[];
  /** The analysis as first decided (a late "reject" is still "reject" here), or undefined when none ran. */
  analysis?: { score: number; tags: string[]; action: string };
  /**
   * The shared store (PostgreSQL): each owner's folder names, read before the rules run (mailboxexists, fileinto
   * without :create). Absent: the folders are the owner's Maildir directories, looked up on disk.
   */
  folders?: Map<string, Set<string>>;
}
