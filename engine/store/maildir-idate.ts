// Lazy INTERNALDATEs for the MaildirStore: a folder is indexed from its file names alone (size from ",S=",
// flags from ":2,"), so a message's date (its file's mtime) is left UNKNOWN_IDATE until a command asks for it;
// then the file is stat'ed once and the date written back to the index. It never renames or removes files.
import fs from 'node:fs';
import path from 'node:path';
import type { FolderName, MessageInfo } from './mailbox-store.js';
import type { IndexDb, MessageRow, NewMessage } from './index-db.js';
import { sharedFlagsOf } from './maildir-flags.js';

/** The index's idate of a message whose file has not been stat'ed yet. */
export const UNKNOWN_IDATE = -1;

/** Dates found by a stat, written back to the index in one transaction per turn of the event loop. */
const pending = new Map<IndexDb, { folder: FolderName; uid: number; idate: number }[]>();

function remember(index: IndexDb, folder: FolderName, uid: number, idate: number): void {
  let list = pending.get(index);
  if (!list) {
    list = [];
    pending.set(index, list);
    setImmediate(() => {
      pending.delete(index);
      if (!index.open) return; // closed meanwhile (evicted, shutdown): the next reader stats again
      try {
        index.setIdates(list!);
      } catch {
        /* busy or closed: a cache only, the next reader stats again */
      }
    });
  }
  list.push({ folder, uid, idate });
}

/**
 * The date of a message whose index row has none: the mtime of its file in cur/ (looked up again by UID when
 * it was renamed meanwhile); when the file is gone, the delivery second at the start of its name.
 */
export function statIdate(index: IndexDb, dir: string, folder: FolderName, row: Pick<MessageRow, 'uid' | 'file' | 'base'>): number {
  let name: string | undefined = row.file;
  for (let attempt = 0; attempt < 2 && name; attempt++) {
    try {
      const idate = Math.round(fs.statSync(path.join(dir, 'cur', name)).mtimeMs);
      remember(index, folder, row.uid, idate);
      return idate;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') break;
      name = index.open ? index.fileOf(folder, row.uid)?.file : undefined;
      if (name === row.file) break;
    }
  }
  const seconds = parseInt(row.base, 10);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/** Where the dates of a listing's messages are stat'ed: one for all its infos. */
export interface DateSource {
  index: IndexDb;
  dir: string;
  folder: FolderName;
}

/**
 * A message whose date is stat'ed on first use. Copies read the date through the info they were copied from, so
 * it is stat'ed once for all of them; no closure or cell per message (a first build lists thousands).
 */
class LazyDateInfo implements MessageInfo {
  private date: number | undefined;
  constructor(
    public uid: number,
    public size: number,
    public flags: string[],
    public modseq: number,
    public key: string,
    private readonly file: string,
    private readonly src: DateSource,
    private readonly origin: LazyDateInfo | null,
  ) {}
  get internalDate(): number {
    if (this.origin) return this.origin.internalDate;
    return (this.date ??= statIdate(this.src.index, this.src.dir, this.src.folder, { uid: this.uid, file: this.file, base: this.key }));
  }
  /** JSON sees a plain value (a spread would not see the date: copy with copyInfo). */
  toJSON(): MessageInfo {
    return { uid: this.uid, size: this.size, flags: this.flags, internalDate: this.internalDate, modseq: this.modseq, key: this.key };
  }
  copy(): LazyDateInfo {
    return new LazyDateInfo(this.uid, this.size, [...this.flags], this.modseq, this.key, this.file, this.src, this.origin ?? this);
  }
}

/**
 * A MessageInfo for an index row; an unknown date is stat'ed when first read (no spread: use copyInfo). `src`:
 * the folder's, shared by the infos of one listing.
 */
export function infoOf(index: IndexDb, dir: string, folder: FolderName, r: MessageRow, src?: DateSource): MessageInfo {
  const flags = sharedFlagsOf(r.letters, r.keywords);
  if (r.idate !== UNKNOWN_IDATE) return { uid: r.uid, size: r.size, flags, internalDate: r.idate, modseq: r.modseq, key: r.base };
  return new LazyDateInfo(r.uid, r.size, flags, r.modseq, r.base, r.file, src ?? { index, dir, folder }, null);
}

/**
 * A MessageInfo for a message a first build recorded (no row yet, no keywords): as infoOf gives for its row.
 * `flags`: sharedFlagsOf(m.letters, ''), when the caller has it.
 */
export function infoOfNew(m: NewMessage, uid: number, modseq: number, src: DateSource, flags = sharedFlagsOf(m.letters, '')): MessageInfo {
  if (m.idate === UNKNOWN_IDATE) return new LazyDateInfo(uid, m.size, flags, modseq, m.base, m.file, src, null);
  return { uid, size: m.size, flags, internalDate: Math.round(m.idate), modseq, key: m.base };
}

/** A copy of an info with its own flags array; a date not yet stat'ed stays lazy (and shared with the original). */
export function copyInfo(m: MessageInfo): MessageInfo {
  return m instanceof LazyDateInfo ? m.copy() : { ...m, flags: [...m.flags] };
}

/**
 * Every date of a folder still unknown, stat'ed now and written to the index before returning: for readers
 * that take dates straight from the index's rows (the account view JMAP reads, account-index.ts) rather
 * than through infoOf. Returns how many were filled.
 */
export function fillUnknownIdates(index: IndexDb, dir: string, folder: FolderName): number {
  const rows = index.unknownIdates(folder);
  if (!rows.length) return 0;
  const dates = rows.map((r) => {
    let idate: number;
    try {
      idate = Math.round(fs.statSync(path.join(dir, 'cur', r.file)).mtimeMs);
    } catch {
      const seconds = parseInt(r.base, 10);
      idate = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
    }
    return { folder, uid: r.uid, idate };
  });
  index.setIdates(dates);
  return dates.length;
}
