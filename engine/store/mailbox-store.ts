// The mailbox store interface: what delivery, POP3, IMAP and webmail need from where mail rests.
// The embedded implementation is Maildir (+ an index for UIDs, flags, MODSEQ); an in-memory one serves
// protocol tests; a PostgreSQL/blob one can come later behind the same interface. It never speaks a protocol.
import type { AccountState, ChangesPage, ChangeType } from './account-log.js';
import type { EmailExtra, EmailRow, FolderCounts } from './account-index.js';

import type { Quota, Usage } from '../accounts/quota.js';

/** A mailbox owner, as stored: "user@domain". */
export type Owner = string;

/** Folder names use "/" as the hierarchy separator; "INBOX" is the inbox (Maildir root). */
export type FolderName = string;

export interface MessageInfo {
  uid: number;
  /** Size in octets of the stored message. */
  size: number;
  /** IMAP system and keyword flags, e.g. ["\\Seen", "$Junk"]; never "\\Recent" (sessions track that). */
  flags: string[];
  /** INTERNALDATE, ms since epoch. */
  internalDate: number;
  modseq: number;
  /** Stable key of the stored message (the Maildir base name); POP3's UIDL uses it. */
  key: string;
}

export interface FolderStatus {
  uidValidity: number;
  uidNext: number;
  messages: number;
  unseen: number;
  highestModseq: number;
}

export type FlagMode = 'add' | 'remove' | 'replace';

export interface AppendOptions {
  flags?: string[];
  internalDate?: number;
  /** Idempotency key: a message already stored with this key is not stored again (crash recovery). */
  dedupKey?: string;
}

/** A stored message opened for reading in pieces (large FETCH answers); close it when done. */
export interface MessageHandle {
  /** Its size in octets as stored (measured on the open file, not taken from the index). */
  readonly size: number;
  /** Up to `length` octets from `position`; fewer only at the end of the message. */
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * A folder's messages for readers only (listShared), their infos made when first asked for: a first build of
 * thousands of messages is listed without an object per message. `at(i)` gives the same object every time.
 */
export interface LazyInfos {
  readonly length: number;
  /** UIDs in order (ascending). */
  readonly uids: readonly number[];
  at(i: number): MessageInfo;
  /** The flags of the i-th message (a frozen array shared with others), without making its info. */
  flagsAt(i: number): readonly string[];
  /**
   * When the listing knows it without a walk: the 1-based position of the first message without \Seen (0: none),
   * for a listing whose messages carry no keywords (SELECT's summary, made while the listing was).
   */
  readonly firstUnseenPlain?: number;
}

export interface MailboxStore {
  /** Store a complete message in a folder (INBOX when omitted); durable (fsynced) before it resolves. */
  append(owner: Owner, folder: FolderName, message: Buffer, opts?: AppendOptions): Promise<{ uid: number; uidValidity: number }>;
  /**
   * A fresh path where a large incoming message (an IMAP APPEND literal) can be written as it arrives, then
   * handed to appendFile; whoever writes it removes it when it is not appended (Maildir: the owner's tmp/).
   */
  stagingPath(owner: Owner): Promise<string>;
  /** Store a message written to a stagingPath file: the file is moved in, never read into memory; durable before it resolves. */
  appendFile(owner: Owner, folder: FolderName, file: string, opts?: Omit<AppendOptions, 'dedupKey'>): Promise<{ uid: number; uidValidity: number }>;
  listFolders(owner: Owner): Promise<FolderName[]>;
  createFolder(owner: Owner, folder: FolderName): Promise<void>;
  deleteFolder(owner: Owner, folder: FolderName): Promise<void>;
  renameFolder(owner: Owner, from: FolderName, to: FolderName): Promise<void>;
  subscriptions(owner: Owner): Promise<FolderName[]>;
  setSubscribed(owner: Owner, folder: FolderName, subscribed: boolean): Promise<void>;
  status(owner: Owner, folder: FolderName): Promise<FolderStatus>;
  /** All messages of a folder in ascending UID order (picks up mail delivered since the last call). */
  list(owner: Owner, folder: FolderName): Promise<MessageInfo[]>;
  /**
   * list() for a caller that only reads: the infos (and their flags arrays, frozen) may be the store's own,
   * shared with other callers, so a large folder's listing is not copied per call. Optional.
   */
  listShared?(owner: Owner, folder: FolderName): Promise<readonly MessageInfo[] | LazyInfos>;
  read(owner: Owner, folder: FolderName, uid: number): Promise<Buffer>;
  /**
   * A fast path for read(), optional: the message read synchronously into `buf` from `at` (room for one octet
   * more than it is), when the store knows its file without I/O; its length, or null when read() must be used.
   */
  readInto?(owner: Owner, folder: FolderName, uid: number, buf: Buffer, at: number): number | null;
  /** Open a message to read it in pieces instead of whole (large messages). */
  open(owner: Owner, folder: FolderName, uid: number): Promise<MessageHandle>;
  /** Change flags; with unchangedSince (CONDSTORE), messages modified after it are left alone and reported. */
  updateFlags(
    owner: Owner, folder: FolderName, uids: number[], mode: FlagMode, flags: string[], unchangedSince?: number,
  ): Promise<{ updated: MessageInfo[]; failed: number[] }>;
  /** Remove messages for good (IMAP EXPUNGE, POP3 UPDATE). */
  expunge(owner: Owner, folder: FolderName, uids: number[]): Promise<void>;
  copy(owner: Owner, from: FolderName, uids: number[], to: FolderName): Promise<{ uidValidity: number; mapping: [number, number][] }>;
  /** Observe changes in a folder (new mail, flags, expunges) made by any session or by delivery; returns unsubscribe. */
  watch(owner: Owner, folder: FolderName, onChange: () => void): () => void;
  /** Octets and messages in all of the owner's folders (quota usage); `quota` is the owner's limits, for the store's bookkeeping. */
  usage(owner: Owner, quota: Quota): Promise<Usage>;
}

export type { AccountState, ChangesPage, ChangeType, StateKey } from './account-log.js';
export type { EmailCopy, EmailExtra, EmailRow, FolderCounts } from './account-index.js';
export type { EmailMeta } from './message-meta.js';

/** A folder as the account view sees it: its name, its id (UIDVALIDITY), sort order, subscription and counts. */
export interface AccountFolder {
  name: FolderName;
  uidValidity: number;
  sortOrder: number | null;
  subscribed: boolean;
  counts: FolderCounts;
}

/**
 * The account-wide view JMAP needs beside the per-folder MailboxStore: stable email ids (a copy or a move keeps
 * them), threads, and one change history for IMAP and JMAP (every change takes the next account MODSEQ). The
 * Maildir store implements it; a PostgreSQL store implements the same.
 */
export interface MailAccountStore {
  /** Bring the whole account up to date (other processes' deliveries and changes, new emails' threads); its state. */
  refreshAccount(owner: Owner): Promise<AccountState>;
  accountFolders(owner: Owner): Promise<AccountFolder[]>;
  /** Visible emails (no \Deleted copy counts), all of them or those with these ids. */
  accountEmails(owner: Owner, ids?: string[]): Promise<EmailRow[]>;
  /** Email ids of these threads, oldest first. */
  threadMembers(owner: Owner, threadIds: string[]): Promise<Map<string, string[]>>;
  /** Changes of one type since an account MODSEQ; null when they can no longer be told (too old). */
  accountChanges(owner: Owner, type: ChangeType, since: number, max: number): Promise<ChangesPage | null>;
  setSortOrder(owner: Owner, folder: FolderName, order: number | null): Promise<void>;
  /** Cache what was derived from a whole message (attachments, preview). */
  setEmailExtra(owner: Owner, emailId: string, extra: EmailExtra): Promise<void>;
  /** Move messages between folders keeping their email ids (Maildir: the file is renamed, never copied). */
  move(owner: Owner, from: FolderName, uids: number[], to: FolderName): Promise<{ uidValidity: number; mapping: [number, number][] }>;
  /** Observe any change in the account (new mail in any folder, flags, folders); returns unsubscribe. */
  watchAccount(owner: Owner, onChange: () => void): () => void;
}
