// The MaildirStore's open state: per user a handle (Maildir root, open SQLite index, cached listings), opened
// lazily and closed least recently used first; the per-folder lock; where a folder's directory is.
// It never changes messages or folders on disk (it only creates the user's own Maildir root on first use).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FolderName, LazyInfos, MessageInfo, Owner } from './mailbox-store.js';
import { ensureMaildir, maildirRoot } from './maildir.js';
import { IndexDb, type FolderRow, type MessageRow } from './index-db.js';
import type { BuildColumns } from './build-columns.js';
import type { Built } from './index-build.js';
import { infoOf, infoOfNew, type DateSource } from './maildir-idate.js';
import { sharedFlagsOf } from './maildir-flags.js';
import { encodeFolder } from './maildir-names.js';
import { StoreError } from './store-error.js';
import { syncFolder } from './maildir-sync.js';
import { KeyedMutex } from './keyed-mutex.js';
import { mailboxEvents } from './events.js';

export const INDEX_FILE = 'tegami-index.sqlite';
/** Listings kept in memory, counted in messages over all users (about 300 bytes each, with the file name). */
const MAX_CACHED_MESSAGES = 200_000;

export interface MaildirStoreOptions {
  /** At most this many users' index databases stay open; the least recently used idle ones are closed. */
  maxOpenIndexes?: number;
  /** A cur/ directory modified less than this long ago is always re-read (mtime granularity). Default 1000 ms. */
  dirtyWindowMs?: number;
  /**
   * Where an owner's Maildir root is; default <data_dir>/mail/DOMAIN/LOCAL/Maildir. Another store over other
   * Maildirs (a list's archive, engine/imap/list-archives.ts) gives its own; it must refuse unsafe names.
   */
  rootOf?: (dataDir: string, owner: Owner) => string;
}

/** A folder's last listing and the folder state it reflects; every change moves MODSEQ or UIDNEXT. */
export interface Listing {
  key: string;
  /** Of a first build's listing, only those asked for so far (infoAt); read them through infoAt, uidAt, keyAt. */
  infos: MessageInfo[];
  /** A first build's messages (UIDs from uid0, MODSEQs after modseq0), of which infos are made on demand. */
  built?: { cols: BuildColumns; uid0: number; modseq0: number; src: DateSource; uids?: number[] };
  /** File name in cur/ of each message of `infos` (same order), as the index had them... */
  files: readonly string[];
  /** ...when its write counter (IndexDb.writes) was this; after a write of this process they are not used. */
  writes: number;
  /** Messages without \Seen. */
  unseen: number;
  /** Of a first build's listing: the 1-based position of the first message without \Seen (0: none). */
  firstUnseen?: number;
}

export interface UserHandle {
  root: string;
  /** The Maildir root's inode when opened: another one means the account was deleted and made again. */
  ino: number;
  index: IndexDb;
  busy: number;
  listings: Map<FolderName, Listing>;
  /** The root's inode was compared in this turn of the event loop (once per turn is enough: reads come in bursts). */
  inoChecked: boolean;
}

/** The folder state a listing reflects: every change moves MODSEQ or UIDNEXT. */
export function listingKey(f: FolderRow): string {
  return `${f.uidvalidity}/${f.uidnext}/${f.modseq}`;
}

/** A listing made from index rows in UID order (the writes counter as it is now). */
export function listingOf(index: IndexDb, dir: string, folder: FolderName, key: string, rows: MessageRow[]): Listing {
  const infos: MessageInfo[] = new Array(rows.length);
  const files: string[] = new Array(rows.length);
  const src = { index, dir, folder };
  let unseen = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    infos[i] = infoOf(index, dir, folder, r, src);
    files[i] = r.file;
    if (!r.letters.includes('S')) unseen++;
  }
  return { key, infos, files, writes: index.writes, unseen };
}

/**
 * The listing of a folder's first build, from the messages it recorded (their rows are written later): the
 * infos are made when first read (infoAt), not thousands at once for the SELECT that built it.
 */
export function listingOfBuilt(index: IndexDb, dir: string, folder: FolderName, key: string, b: Built): Listing {
  const c = b.cols;
  const built = { cols: c, uid0: b.uid0, modseq0: b.modseq0, src: { index, dir, folder } };
  // the names and the unseen count as the build read them: nothing per message here
  return { key, infos: new Array<MessageInfo>(c.length), files: c.files, writes: index.writes, unseen: c.unseen, firstUnseen: c.firstUnseen, built };
}

/** The i-th message's info (made now, once, for a first build's listing). */
export function infoAt(l: Listing, i: number): MessageInfo {
  const info = l.infos[i];
  if (info || !l.built) return info;
  const b = l.built;
  return (l.infos[i] = infoOfNew(b.cols.message(i), b.uid0 + i, b.modseq0 + 1 + i, b.src));
}

/** The i-th message's UID and base name (its key), without making its info. */
export function uidAt(l: Listing, i: number): number {
  return l.built ? l.built.uid0 + i : l.infos[i].uid;
}
export function keyAt(l: Listing, i: number): string {
  return l.built ? l.built.cols.base(i) : l.infos[i].key;
}

/** Every info of a listing (all made, for a caller that takes them all). */
export function allInfos(l: Listing): MessageInfo[] {
  if (l.built) for (let i = 0; i < l.infos.length; i++) infoAt(l, i);
  return l.infos;
}

/** n UIDs from uid0 (a function that ends with its loop: see maildir-build.ts). */
function uidRange(uid0: number, n: number): number[] {
  const uids = new Array<number>(n);
  for (let i = 0; i < n; i++) uids[i] = uid0 + i;
  return uids;
}

/** A first build's listing for readers only (listShared): the infos made as they are read, shared by all readers. */
class BuiltInfos implements LazyInfos {
  private letters: string | null = null;
  private flags: readonly string[] = [];
  constructor(private readonly l: Listing & { built: NonNullable<Listing['built']> }) {}
  get length(): number {
    return this.l.infos.length;
  }
  /** A first build's messages have no keywords (sharedFlagsOf(letters, '')): where the first unseen one is, counted as listed. */
  get firstUnseenPlain(): number | undefined {
    return this.l.firstUnseen;
  }
  get uids(): readonly number[] {
    const b = this.l.built;
    return (b.uids ??= uidRange(b.uid0, b.cols.length));
  }
  at(i: number): MessageInfo {
    return infoAt(this.l, i);
  }
  flagsAt(i: number): readonly string[] {
    const made = this.l.infos[i];
    if (made) return made.flags;
    const letters = this.l.built.cols.letters(i);
    if (letters !== this.letters) {
      this.letters = letters;
      this.flags = sharedFlagsOf(letters, '');
    }
    return this.flags;
  }
}

/** What listShared hands out for a listing: a first build's lazily, else a copy of the infos array. */
export function sharedInfos(l: Listing): readonly MessageInfo[] | LazyInfos {
  return l.built ? new BuiltInfos(l as Listing & { built: NonNullable<Listing['built']> }) : l.infos.slice();
}

/** "inbox", "Inbox" → "INBOX"; other names are case-sensitive. */
export const canon = (folder: FolderName): FolderName => (folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder);

/** The key of one owner's folder, for its lock and its watcher. */
export function folderKey(owner: Owner, folder: FolderName): string {
  return `${owner.toLowerCase()}\0${folder}`;
}

/** A folder's directory under a Maildir root (INBOX is the root); a name that cannot be stored is refused. */
export function folderPath(root: string, folder: FolderName): string {
  if (folder === 'INBOX') return root;
  const enc = encodeFolder(folder);
  if (enc === null) throw new StoreError('CANNOT', `folder name not allowed: ${folder}`);
  return path.join(root, '.' + enc);
}

/** A directory's inode, 0 when it is gone. */
function rootIno(dir: string): number {
  return fs.statSync(dir, { throwIfNoEntry: false })?.ino ?? 0;
}

export class MaildirUsers {
  private users = new Map<string, UserHandle>();
  private mutex = new KeyedMutex();
  private readonly maxOpen: number;
  private cachedMessages = 0;
  private readonly dirtyWindowMs: number;
  private readonly rootOf: (dataDir: string, owner: Owner) => string;

  constructor(
    private readonly dataDir: string,
    opts: MaildirStoreOptions = {},
  ) {
    this.maxOpen = opts.maxOpenIndexes ?? 256;
    this.dirtyWindowMs = opts.dirtyWindowMs ?? 1000;
    this.rootOf = opts.rootOf ?? maildirRoot;
  }

  /**
   * Run fn with the owner's open index; indexes are opened lazily and the least recently used idle ones closed.
   * checkIndex (listings and status): reopen when the index file was deleted, so it is rebuilt.
   */
  async withUser<T>(owner: Owner, fn: (u: UserHandle) => Promise<T>, checkIndex = false): Promise<T> {
    const id = owner.toLowerCase();
    let u = this.users.get(id);
    if (u && u.busy === 0 && ((checkIndex && !fs.existsSync(path.join(u.root, INDEX_FILE))) || !this.sameRoot(u))) {
      // the index was deleted while open, or the whole folder moved away (the account was deleted: an
      // orphan) and perhaps made again: drop the handle so the folder and its index are opened afresh
      this.dropListings(u);
      u.index.close();
      this.users.delete(id);
      u = undefined;
    }
    if (u) {
      this.users.delete(id);
      this.users.set(id, u); // most recently used last
    } else {
      const root = this.rootOf(this.dataDir, id);
      await ensureMaildir(root);
      await fsp.mkdir(path.join(root, 'cur'), { recursive: true, mode: 0o700 });
      await fsp.mkdir(path.join(root, 'new'), { recursive: true, mode: 0o700 });
      await fsp.mkdir(path.join(root, 'tmp'), { recursive: true, mode: 0o700 });
      u = this.users.get(id); // another call may have opened it meanwhile
      if (!u) {
        u = { root, ino: rootIno(root), index: new IndexDb(path.join(root, INDEX_FILE)), busy: 0, listings: new Map(), inoChecked: false };
        this.users.set(id, u);
        this.evict();
      }
    }
    u.busy++;
    try {
      return await fn(u);
    } finally {
      u.busy--;
    }
  }

  /** The owner's open handle, if there is one: no opening, no root check, no change to the LRU order (readListedInto). */
  peek(owner: Owner): UserHandle | undefined {
    return this.users.get(owner.toLowerCase());
  }

  /**
   * Is the handle's root still the directory it opened (same inode)? Stat'ed at most once per turn of the event
   * loop: a FETCH or SEARCH reads thousands of messages in one turn, and nothing of this process can delete and
   * make an account again between two of them.
   */
  private sameRoot(u: UserHandle): boolean {
    if (u.inoChecked) return true;
    if (rootIno(u.root) !== u.ino) return false;
    u.inoChecked = true;
    setImmediate(() => (u.inoChecked = false));
    return true;
  }

  /** Run fn under the lock of one owner's folder (in this process). */
  locked<T>(owner: Owner, folder: FolderName, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(folderKey(owner, folder), fn);
  }

  /**
   * Bring the folder's index in line with its directory (see maildir-sync.ts); call it under the folder's lock.
   * A first build's messages become the folder's listing as they are (its rows are written later).
   */
  async sync(u: UserHandle, folder: FolderName, dir: string, force: boolean): Promise<void> {
    // the folder's listing, while it is what the index holds, stands for its rows when cur/ is compared
    const cached = u.listings.get(folder);
    const current = cached && cached.writes === u.index.writes && cached.key === listingKey(u.index.folder(folder)) ? cached : null;
    const known = current && { count: current.infos.length, uid: (i: number) => uidAt(current, i), key: (i: number) => keyAt(current, i), files: current.files };
    await syncFolder(u.index, this.dirtyWindowMs, folder, dir, force, known);
    const f = u.index.folder(folder);
    const key = listingKey(f);
    const built = u.index.takeBuilt(folder, key);
    if (built) this.cacheListing(u, folder, listingOfBuilt(u.index, dir, folder, key, built));
  }

  dirOf(u: UserHandle, folder: FolderName): string {
    return folderPath(u.root, folder);
  }

  /** A folder's directory without opening the owner's index (throws for an unsafe owner or folder name). */
  pathOf(owner: Owner, folder: FolderName): string {
    return folderPath(this.rootOf(this.dataDir, owner.toLowerCase()), folder);
  }

  /** The folder's directory, or NONEXISTENT when it has no cur/ (INBOX always exists). */
  async existingDir(u: UserHandle, folder: FolderName): Promise<string> {
    const dir = this.dirOf(u, folder);
    if (folder === 'INBOX') return dir;
    try {
      await fsp.access(path.join(dir, 'cur'));
    } catch {
      throw new StoreError('NONEXISTENT', `no folder ${folder}`);
    }
    return dir;
  }

  /**
   * A message's file is `size` octets where the index said otherwise (a ",S=" in another writer's name that lies):
   * the index takes the file's size, and the folder's change notice reaches every reader of a listing (each IMAP
   * session with the folder selected sees the exact RFC822.SIZE from its next command on, docs/imap.md).
   */
  correctSize(u: UserHandle, owner: Owner, folder: FolderName, uid: number, size: number): void {
    u.index.setSize(folder, uid, size);
    this.dropListings(u);
    mailboxEvents.changed(owner, folder);
  }

  dropListings(u: UserHandle): void {
    for (const l of u.listings.values()) this.cachedMessages -= l.infos.length;
    u.listings.clear();
  }

  /** Keep a listing, within a bound on cached messages across all users (dropping all others when over). */
  cacheListing(u: UserHandle, folder: FolderName, listing: Listing): void {
    const prev = u.listings.get(folder);
    if (prev) this.cachedMessages -= prev.infos.length;
    if (this.cachedMessages + listing.infos.length > MAX_CACHED_MESSAGES) {
      for (const other of this.users.values()) other.listings.clear();
      this.cachedMessages = 0;
    }
    u.listings.set(folder, listing);
    this.cachedMessages += listing.infos.length;
  }

  /** Close every open index (shutdown, tests). */
  close(): void {
    for (const u of this.users.values()) u.index.close();
    this.users.clear();
  }

  private evict(): void {
    if (this.users.size <= this.maxOpen) return;
    for (const [id, u] of this.users) {
      if (this.users.size <= this.maxOpen) break;
      if (u.busy === 0) {
        for (const l of u.listings.values()) this.cachedMessages -= l.infos.length;
        u.index.close();
        this.users.delete(id);
      }
    }
  }
}
