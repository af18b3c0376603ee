// The embedded mailbox store: Maildir++ folders on disk plus a per-user SQLite index (index-db.ts) for UIDs,
// flags and MODSEQ. Delivery workers write into new/ directly; every list/status syncs the index from the
// directory (new/ → cur/ with ":2,", files removed behind our back disappear), re-reading cur/ only when its
// mtime moved. It never speaks a protocol and never holds a whole folder's messages in memory.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { AppendOptions, FlagMode, FolderName, FolderStatus, MailboxStore, MessageInfo, Owner } from './mailbox-store.js';
import { ensureMaildir, hasDedupKey, maildirRoot, syncDir, uniqueName, writeMaildirMessage } from './maildir.js';
import { mailboxEvents } from './events.js';
import { IndexDb, type MessageRow, type NewMessage } from './index-db.js';
import { applyFlags, flagsOf, maildirName } from './maildir-flags.js';
import { decodeFolder, encodeFolder } from './maildir-names.js';
import { StoreError } from './store-error.js';
import { compareMaildirNames, syncFolder } from './maildir-sync.js';

export { compareMaildirNames };

export { StoreError, type StoreErrorCode } from './store-error.js';

export const INDEX_FILE = 'tegami-index.sqlite';
/** Messages up to this size are read with one blocking read (see read()). */
const SYNC_READ_MAX = 256 * 1024;
/** Listings kept in memory, counted in messages over all users (about 200 bytes each). */
const MAX_CACHED_MESSAGES = 200_000;

export interface MaildirStoreOptions {
  /** At most this many users' index databases stay open; the least recently used idle ones are closed. */
  maxOpenIndexes?: number;
  /** A cur/ directory modified less than this long ago is always re-read (mtime granularity). Default 1000 ms. */
  dirtyWindowMs?: number;
}

interface UserHandle {
  root: string;
  index: IndexDb;
  busy: number;
  /** Per folder: the last listing and the folder state it reflects; every change moves MODSEQ or UIDNEXT. */
  listings: Map<FolderName, { key: string; infos: MessageInfo[] }>;
}

/** Serialises async work per key (one owner's folder) inside this process. */
class KeyedMutex {
  private tails = new Map<string, Promise<unknown>>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

const canon = (folder: FolderName): FolderName => (folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder);

export class MaildirStore implements MailboxStore {
  private users = new Map<string, UserHandle>();
  private mutex = new KeyedMutex();
  private watchers = new Map<string, { watcher: fs.FSWatcher | null; fns: Set<() => void>; timer: NodeJS.Timeout | null }>();
  private readonly maxOpen: number;
  private cachedMessages = 0;
  private readonly dirtyWindowMs: number;

  constructor(
    private readonly dataDir: string,
    opts: MaildirStoreOptions = {},
  ) {
    this.maxOpen = opts.maxOpenIndexes ?? 256;
    this.dirtyWindowMs = opts.dirtyWindowMs ?? 1000;
  }

  // ---- messages ----

  async append(owner: Owner, folder: FolderName, message: Buffer, opts: AppendOptions = {}): Promise<{ uid: number; uidValidity: number }> {
    folder = canon(folder);
    return this.withUser(owner, async (u) => {
      const dir = await this.existingDir(u, folder);
      const result = await this.mutex.run(this.key(owner, folder), async () => {
        if (opts.dedupKey && (await hasDedupKey(dir, opts.dedupKey))) {
          await syncFolder(u.index, this.dirtyWindowMs, folder, dir, true);
          const row = u.index.messages(folder).find((m) => m.base.includes(`_${opts.dedupKey}.`));
          if (row) return { uid: row.uid, uidValidity: u.index.folder(folder).uidvalidity };
        }
        const name = await writeMaildirMessage(dir, [message], { dedupKey: opts.dedupKey });
        const inNew = path.join(dir, 'new', name);
        const idate = opts.internalDate ?? Date.now();
        if (opts.internalDate !== undefined) await fsp.utimes(inNew, idate / 1000, idate / 1000);
        const { letters, keywords } = applyFlags('', '', 'replace', opts.flags ?? []);
        const file = maildirName(name, letters);
        try {
          await fsp.rename(inNew, path.join(dir, 'cur', file));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          // another process's sync took it first: it is in the index under its base name
          await syncFolder(u.index, this.dirtyWindowMs, folder, dir, true);
          const row = u.index.byBase(folder, name);
          if (!row) throw new Error(`appended message ${name} vanished`);
          if (opts.flags?.length) await this.changeFlags(u, folder, dir, [row.uid], 'replace', opts.flags);
          return { uid: row.uid, uidValidity: u.index.folder(folder).uidvalidity };
        }
        await syncDir(path.join(dir, 'cur'));
        const [uid] = u.index.apply(folder, { add: [{ base: name, file, size: message.length, idate, letters, keywords }] });
        return { uid, uidValidity: u.index.folder(folder).uidvalidity };
      });
      mailboxEvents.changed(owner, folder);
      return result;
    });
  }

  async list(owner: Owner, folder: FolderName): Promise<MessageInfo[]> {
    folder = canon(folder);
    return this.withUser(owner, async (u) => {
      const dir = await this.existingDir(u, folder);
      await this.mutex.run(this.key(owner, folder), () => syncFolder(u.index, this.dirtyWindowMs, folder, dir, false));
      const f = u.index.folder(folder);
      const key = `${f.uidvalidity}/${f.uidnext}/${f.modseq}`;
      let cached = u.listings.get(folder);
      if (!cached || cached.key !== key) {
        cached = { key, infos: u.index.messages(folder).map(toInfo) };
        this.cacheListing(u, folder, cached);
      }
      // callers may keep or change what they get: hand out copies
      return cached.infos.map((m) => ({ ...m, flags: [...m.flags] }));
    }, true);
  }

  async status(owner: Owner, folder: FolderName): Promise<FolderStatus> {
    folder = canon(folder);
    return this.withUser(owner, async (u) => {
      const dir = await this.existingDir(u, folder);
      await this.mutex.run(this.key(owner, folder), () => syncFolder(u.index, this.dirtyWindowMs, folder, dir, false));
      const f = u.index.folder(folder);
      const s = u.index.stats(folder);
      return { uidValidity: f.uidvalidity, uidNext: f.uidnext, messages: s.n, unseen: s.unseen, highestModseq: f.modseq };
    }, true);
  }

  async read(owner: Owner, folder: FolderName, uid: number): Promise<Buffer> {
    folder = canon(folder);
    return this.withUser(owner, async (u) => {
      const dir = this.dirOf(u, folder);
      for (let attempt = 0; attempt < 2; attempt++) {
        const row = u.index.fileOf(folder, uid);
        if (!row) break;
        try {
          const file = path.join(dir, 'cur', row.file);
          // A small message is read synchronously: it is almost always in the page cache, and one blocking
          // read of a few KB costs far less than the four thread-pool round trips of an async readFile.
          return row.size <= SYNC_READ_MAX ? fs.readFileSync(file) : await fsp.readFile(file);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          // renamed (flags) or removed by another process: re-read the directory once
          await this.mutex.run(this.key(owner, folder), () => syncFolder(u.index, this.dirtyWindowMs, folder, dir, true));
        }
      }
      throw new StoreError('NONEXISTENT', `no message with UID ${uid} in ${folder}`);
    });
  }

  async updateFlags(
    owner: Owner, folder: FolderName, uids: number[], mode: FlagMode, flags: string[], unchangedSince?: number,
  ): Promise<{ updated: MessageInfo[]; failed: number[] }> {
    folder = canon(folder);
    const r = await this.withUser(owner, async (u) => {
      const dir = await this.existingDir(u, folder);
      return this.mutex.run(this.key(owner, folder), () => this.changeFlags(u, folder, dir, uids, mode, flags, unchangedSince));
    });
    if (r.changed) mailboxEvents.changed(owner, folder);
    return { updated: r.updated, failed: r.failed };
  }

  async expunge(owner: Owner, folder: FolderName, uids: number[]): Promise<void> {
    folder = canon(folder);
    if (!uids.length) return;
    await this.withUser(owner, async (u) => {
      const dir = await this.existingDir(u, folder);
      await this.mutex.run(this.key(owner, folder), async () => {
        const rows = u.index.messagesFor(folder, uids);
        await inParallel(rows, async (row) => {
          await fsp.unlink(path.join(dir, 'cur', row.file)).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'ENOENT') throw e;
          });
        });
        const gone = rows.map((r) => r.uid);
        if (gone.length) u.index.apply(folder, { remove: gone });
      });
    });
    mailboxEvents.changed(owner, folder);
  }

  async copy(owner: Owner, from: FolderName, uids: number[], to: FolderName): Promise<{ uidValidity: number; mapping: [number, number][] }> {
    from = canon(from);
    to = canon(to);
    const result = await this.withUser(owner, async (u) => {
      const src = await this.existingDir(u, from);
      const dst = await this.existingDir(u, to);
      // 1. under the source's lock: hard-link each file into the target's tmp/ (content shared, as Dovecot does)
      const staged = await this.mutex.run(this.key(owner, from), async () => {
        const rows = u.index.messagesFor(from, uids);
        const linked = await inParallel(rows, async (row) => {
          const name = uniqueName(row.size);
          const source = path.join(src, 'cur', row.file);
          const target = path.join(dst, 'tmp', name);
          try {
            await fsp.link(source, target);
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') return null;
            if (code !== 'EXDEV' && code !== 'EPERM') throw e;
            await fsp.copyFile(source, target);
          }
          return { srcUid: row.uid, name, row };
        });
        const out = linked.filter((x): x is { srcUid: number; name: string; row: MessageRow } => x !== null);
        return out;
      });
      // 2. under the target's lock: move into cur/ with the same flags and index them
      return this.mutex.run(this.key(owner, to), async () => {
        const add: NewMessage[] = await inParallel(staged, async (s) => {
          const file = maildirName(s.name, s.row.letters);
          await fsp.rename(path.join(dst, 'tmp', s.name), path.join(dst, 'cur', file));
          return { base: s.name, file, size: s.row.size, idate: s.row.idate, letters: s.row.letters, keywords: s.row.keywords };
        });
        if (add.length) await syncDir(path.join(dst, 'cur'));
        const newUids = add.length ? u.index.apply(to, { add }) : [];
        return {
          uidValidity: u.index.folder(to).uidvalidity,
          mapping: staged.map((s, i) => [s.srcUid, newUids[i]] as [number, number]),
        };
      });
    });
    if (result.mapping.length) mailboxEvents.changed(owner, to);
    return result;
  }

  watch(owner: Owner, folder: FolderName, onChange: () => void): () => void {
    folder = canon(folder);
    const off = mailboxEvents.subscribe(owner, folder, onChange);
    const key = this.key(owner, folder);
    let w = this.watchers.get(key);
    if (!w) {
      w = { watcher: null, fns: new Set(), timer: null };
      const entry = w;
      try {
        const root = maildirRoot(this.dataDir, owner.toLowerCase());
        const newDir = path.join(this.folderPath(root, folder), 'new');
        entry.watcher = fs.watch(newDir, { persistent: false }, () => {
          // debounce: a burst of deliveries is one notice
          if (entry.timer) return;
          entry.timer = setTimeout(() => {
            entry.timer = null;
            for (const fn of entry.fns) fn();
          }, 25);
        });
        entry.watcher.on('error', () => undefined);
      } catch {
        entry.watcher = null; // no new/ yet: the in-process events still work
      }
      this.watchers.set(key, w);
    }
    w.fns.add(onChange);
    const entry = w;
    return () => {
      off();
      entry.fns.delete(onChange);
      if (!entry.fns.size) {
        entry.watcher?.close();
        if (entry.timer) clearTimeout(entry.timer);
        if (this.watchers.get(key) === entry) this.watchers.delete(key);
      }
    };
  }

  // ---- folders ----

  async listFolders(owner: Owner): Promise<FolderName[]> {
    return this.withUser(owner, async (u) => {
      const names = ['INBOX'];
      for (const d of await fsp.readdir(u.root, { withFileTypes: true })) {
        if (d.isDirectory() && d.name.startsWith('.') && d.name !== '.' && d.name !== '..' && d.name.length > 1) {
          names.push(decodeFolder(d.name.slice(1)));
        }
      }
      return names.sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0));
    });
  }

  async createFolder(owner: Owner, folder: FolderName): Promise<void> {
    folder = canon(folder);
    if (folder === 'INBOX') throw new StoreError('ALREADYEXISTS', 'INBOX always exists');
    await this.withUser(owner, async (u) => {
      const dir = this.dirOf(u, folder);
      try {
        await fsp.mkdir(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new StoreError('ALREADYEXISTS', `${folder} already exists`);
        throw e;
      }
      for (const sub of ['tmp', 'new', 'cur']) await fsp.mkdir(path.join(dir, sub), { recursive: true });
      await fsp.writeFile(path.join(dir, 'maildirfolder'), '');
      await syncDir(u.root);
      u.index.dropFolder(folder);
      this.dropListings(u);
      u.index.folder(folder);
    });
  }

  async deleteFolder(owner: Owner, folder: FolderName): Promise<void> {
    folder = canon(folder);
    if (folder === 'INBOX') throw new StoreError('CANNOT', 'INBOX cannot be deleted');
    await this.withUser(owner, async (u) => {
      const dir = await this.existingDir(u, folder);
      await this.mutex.run(this.key(owner, folder), async () => {
        // rename away first so a half-removed folder is never seen as a folder
        const trash = path.join(u.root, `..deleted.${process.pid}.${Date.now()}`);
        await fsp.rename(dir, trash);
        u.index.dropFolder(folder);
        this.dropListings(u);
        await fsp.rm(trash, { recursive: true, force: true });
      });
    });
    mailboxEvents.changed(owner, folder);
  }

  async renameFolder(owner: Owner, from: FolderName, to: FolderName): Promise<void> {
    from = canon(from);
    to = canon(to);
    if (to === 'INBOX') throw new StoreError('ALREADYEXISTS', 'INBOX always exists');
    await this.withUser(owner, async (u) => {
      const dst = this.dirOf(u, to);
      if (fs.existsSync(dst)) throw new StoreError('ALREADYEXISTS', `${to} already exists`);
      const src = this.dirOf(u, from);
      const fromEnc = from === 'INBOX' ? '' : encodeFolder(from)!;
      const children = from === 'INBOX' ? [] : (await fsp.readdir(u.root)).filter((n) => n.startsWith(`.${fromEnc}.`));
      const exists = fs.existsSync(path.join(src, 'cur'));
      if (!exists && !children.length) throw new StoreError('NONEXISTENT', `no folder ${from}`);
      if (from === 'INBOX') {
        // RFC 3501 §6.3.5: INBOX's messages move to the new folder; INBOX stays, empty
        await this.mutex.run(this.key(owner, from), async () => {
          await syncFolder(u.index, this.dirtyWindowMs, from, src, true);
          await fsp.mkdir(dst);
          for (const sub of ['tmp', 'new', 'cur']) await fsp.mkdir(path.join(dst, sub));
          await fsp.writeFile(path.join(dst, 'maildirfolder'), '');
          for (const row of u.index.messages(from)) {
            await fsp.rename(path.join(src, 'cur', row.file), path.join(dst, 'cur', row.file)).catch(() => undefined);
          }
          await syncDir(path.join(dst, 'cur'));
          u.index.moveAllMessages(from, to);
          this.dropListings(u);
        });
        mailboxEvents.changed(owner, from);
        return;
      }
      if (to.startsWith(from + '/')) throw new StoreError('CANNOT', 'cannot rename a folder into itself');
      const toEnc = encodeFolder(to);
      if (toEnc === null) throw new StoreError('CANNOT', `folder name not allowed: ${to}`);
      await this.mutex.run(this.key(owner, from), async () => {
        // the folder and its children (".a" and ".a.*") move together
        if (exists) await fsp.rename(src, dst);
        for (const c of children) {
          const target = path.join(u.root, `.${toEnc}${c.slice(fromEnc.length + 1)}`);
          await fsp.rename(path.join(u.root, c), target).catch(() => undefined);
        }
        await syncDir(u.root);
        u.index.renameFolder(from, to);
        this.dropListings(u);
      });
      mailboxEvents.changed(owner, from);
    });
  }

  async subscriptions(owner: Owner): Promise<FolderName[]> {
    return this.withUser(owner, async (u) => u.index.subscriptions());
  }

  async setSubscribed(owner: Owner, folder: FolderName, subscribed: boolean): Promise<void> {
    folder = canon(folder);
    await this.withUser(owner, async (u) => u.index.setSubscribed(folder, subscribed));
  }

  /** Close every open index and watcher (shutdown, tests). */
  async close(): Promise<void> {
    for (const w of this.watchers.values()) {
      w.watcher?.close();
      if (w.timer) clearTimeout(w.timer);
    }
    this.watchers.clear();
    for (const u of this.users.values()) u.index.close();
    this.users.clear();
  }

  // ---- internals ----

  private key(owner: Owner, folder: FolderName): string {
    return `${owner.toLowerCase()}\0${folder}`;
  }

  private folderPath(root: string, folder: FolderName): string {
    if (folder === 'INBOX') return root;
    const enc = encodeFolder(folder);
    if (enc === null) throw new StoreError('CANNOT', `folder name not allowed: ${folder}`);
    return path.join(root, '.' + enc);
  }

  private dirOf(u: UserHandle, folder: FolderName): string {
    return this.folderPath(u.root, folder);
  }

  private async existingDir(u: UserHandle, folder: FolderName): Promise<string> {
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
   * Run fn with the owner's open index; indexes are opened lazily and the least recently used idle ones closed.
   * checkIndex (listings and status): reopen when the index file was deleted, so it is rebuilt.
   */
  private async withUser<T>(owner: Owner, fn: (u: UserHandle) => Promise<T>, checkIndex = false): Promise<T> {
    const id = owner.toLowerCase();
    let u = this.users.get(id);
    if (u && checkIndex && u.busy === 0 && !fs.existsSync(path.join(u.root, INDEX_FILE))) {
      // the index was deleted while open: drop the handle so it is rebuilt from the Maildir
      this.dropListings(u);
      u.index.close();
      this.users.delete(id);
      u = undefined;
    }
    if (u) {
      this.users.delete(id);
      this.users.set(id, u); // most recently used last
    } else {
      const root = maildirRoot(this.dataDir, id);
      await ensureMaildir(root);
      await fsp.mkdir(path.join(root, 'cur'), { recursive: true });
      await fsp.mkdir(path.join(root, 'new'), { recursive: true });
      await fsp.mkdir(path.join(root, 'tmp'), { recursive: true });
      u = this.users.get(id); // another call may have opened it meanwhile
      if (!u) {
        u = { root, index: new IndexDb(path.join(root, INDEX_FILE)), busy: 0, listings: new Map() };
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

  private dropListings(u: UserHandle): void {
    for (const l of u.listings.values()) this.cachedMessages -= l.infos.length;
    u.listings.clear();
  }

  /** Keep a listing, within a bound on cached messages across all users (dropping all others when over). */
  private cacheListing(u: UserHandle, folder: FolderName, listing: { key: string; infos: MessageInfo[] }): void {
    const prev = u.listings.get(folder);
    if (prev) this.cachedMessages -= prev.infos.length;
    if (this.cachedMessages + listing.infos.length > MAX_CACHED_MESSAGES) {
      for (const other of this.users.values()) other.listings.clear();
      this.cachedMessages = 0;
    }
    u.listings.set(folder, listing);
    this.cachedMessages += listing.infos.length;
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

  private async changeFlags(
    u: UserHandle, folder: FolderName, dir: string, uids: number[], mode: FlagMode, flagList: string[], unchangedSince?: number,
  ): Promise<{ updated: MessageInfo[]; failed: number[]; changed: boolean }> {
    const failed: number[] = [];
    const planned: { row: MessageRow; file: string; letters: string; keywords: string }[] = [];
    const unchanged: number[] = [];
    for (const row of u.index.messagesFor(folder, uids)) {
      if (unchangedSince !== undefined && row.modseq > unchangedSince) {
        failed.push(row.uid);
        continue;
      }
      const next = applyFlags(row.letters, row.keywords, mode, flagList);
      if (next.letters === row.letters && next.keywords === row.keywords) unchanged.push(row.uid);
      else planned.push({ row, file: next.letters === row.letters ? row.file : maildirName(row.base, next.letters), ...next });
    }
    // system flags live in the file name: rename first, record in the index what was renamed
    const done = await inParallel(planned, async (p) => {
      if (p.file === p.row.file) return p;
      try {
        await fsp.rename(path.join(dir, 'cur', p.row.file), path.join(dir, 'cur', p.file));
        return p;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; // gone behind our back
        throw e;
      }
    });
    const changes = done
      .filter((p): p is NonNullable<typeof p> => p !== null)
      .map((p) => ({ uid: p.row.uid, file: p.file, letters: p.letters, keywords: p.keywords }));
    if (changes.length) u.index.apply(folder, { flags: changes });
    const updated = u.index.messagesFor(folder, [...unchanged, ...changes.map((c) => c.uid)]).map(toInfo);
    return { updated, failed: failed.sort((a, b) => a - b), changed: changes.length > 0 };
  }
}

/** Run fn over items with at most `limit` running at once (file operations use the libuv thread pool); results in order. */
async function inParallel<T, R>(items: T[], fn: (item: T) => Promise<R>, limit = 16): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function toInfo(r: MessageRow): MessageInfo {
  return { uid: r.uid, size: r.size, flags: flagsOf(r.letters, r.keywords), internalDate: r.idate, modseq: r.modseq, key: r.base };
}
