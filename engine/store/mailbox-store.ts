// The mailbox store interface: what delivery, POP3, IMAP and webmail need from where mail rests.
// The embedded implementation is Maildir (+ a SQLite index for UIDs and flags); an in-memory one serves
// protocol tests; a PostgreSQL/blob one can come later behind the same interface.

/** A mailbox owner, as stored: "user@domain". Folder names use "/" as the hierarchy separator; "INBOX" is the inbox. */
export type Owner = string;

export interface MessageInfo {
  uid: number;
  /** Size in octets of the stored message (CRLF line ends as served). */
  size: number;
  flags: string[];
  /** INTERNALDATE, ms since epoch. */
  internalDate: number;
  modseq: number;
  /** Stable key of the stored file (Maildir base name), also POP3's UIDL. */
  key: string;
}

export interface MailboxStatus {
  uidValidity: number;
  uidNext: number;
  messages: number;
  unseen: number;
  recent: number;
  highestModseq: number;
}

export interface DeliveryResult {
  key: string;
  folder: string;
}

export interface MailboxStore {
  /** Deliver a complete message into a folder (INBOX by default); durable before it resolves. */
  deliver(owner: Owner, message: Buffer, opts?: { folder?: string; flags?: string[]; internalDate?: number; dedupKey?: string }): Promise<DeliveryResult>;
  listFolders(owner: Owner): Promise<string[]>;
  createFolder(owner: Owner, folder: string): Promise<void>;
  deleteFolder(owner: Owner, folder: string): Promise<void>;
  renameFolder(owner: Owner, from: string, to: string): Promise<void>;
  status(owner: Owner, folder: string): Promise<MailboxStatus>;
  /** Messages in UID order. */
  list(owner: Owner, folder: string): Promise<MessageInfo[]>;
  read(owner: Owner, folder: string, uid: number): Promise<Buffer>;
  setFlags(owner: Owner, folder: string, uid: number, flags: string[]): Promise<MessageInfo>;
  /** Remove messages for good (IMAP EXPUNGE, POP3 UPDATE). */
  expunge(owner: Owner, folder: string, uids: number[]): Promise<void>;
  copy(owner: Owner, from: string, uids: number[], to: string): Promise<{ uidValidity: number; mapping: [number, number][] }>;
  /** Observe changes in a folder (new mail, flags, expunges) from any session or delivery. */
  watch(owner: Owner, folder: string, onChange: () => void): () => void;
}
