// The per-user index's row shapes (index-db.ts): a folder's and a message's row as stored, and a message to add.
// Types only.

export interface FolderRow {
  name: string;
  uidvalidity: number;
  uidnext: number;
  modseq: number;
  cur_mtime: string;
}

export interface MessageRow {
  uid: number;
  base: string;
  file: string;
  size: number;
  idate: number;
  letters: string;
  keywords: string;
  modseq: number;
}

export interface NewMessage {
  base: string;
  file: string;
  size: number;
  idate: number;
  letters: string;
  keywords?: string;
}

/** A row moved from one folder to another with its file (transfer). */
export interface MovedMessage extends NewMessage {
  /** Its UID in the source folder. */
  uid: number;
}
