// Message operations of the MaildirStore: append, list, status, read, flag changes, expunge and copy, each
// under its folder's lock, with the file in cur/ changed first and the index row recorded after it.
// It never creates, renames or removes folders, and never holds a folder's message contents in memory.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { AppendOptions, FlagMode, FolderName, FolderStatus, LazyInfos, MessageInfo, Owner } from './mailbox-store.js';
import { hasDedupKey, OPEN_MESSAGE, syncDir, uniqueName, writeMaildirMessage } from './maildir.js';
import { mailboxEvents } from './events.js';
import type { MessageRow, MovedMessage, NewMessage } from './index-db.js';
import { applyFlags, maildirName } from './maildir-flags.js';
import { copyInfo, infoOf, statIdate, UNKNOWN_IDATE } from './maildir-idate.js';
import { StoreError } from './store-error.js';
import { allInfos, canon, listingKey, listingOf, sharedInfos, uidAt, type MaildirUsers, type UserHandle } from './maildir-users.js';
import { inParallel } from '../util/in-parallel.js';
import { recordChange } from './maildirsize.js';
import { notAMessage } from './maildir-links.js';
import { moveFile } from './maildir-files.js';

/** Messages up to this size are read with one blocking read (see read()). */
const SYNC_READ_MAX = 256 * 1024;

export async function append(users: MaildirUsers, owner: Owner, folder: FolderName, message: Buffer, opts: AppendOptions = {}): Promise<{ uid: number; uidValidity: number }> {
  folder = canon(folder);
  return users.withUser(owner, async (u) => {
    const dir = await users.existingDir(u, folder);
    const result = await users.locked(owner, folder, async () => {
      if (opts.dedupKey && (await hasDedupKey(dir, opts.dedupKey))) {
        await users.sync(u, folder, dir, true);
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
        await users.sync(u, folder, dir, true);
        const row = u.index.byBase(folder, name);
        if (!row) throw new Error(`appended message ${name} vanished`);
        if (opts.flags?.length) await changeFlags(u, folder, dir, [row.uid], 'replace', opts.flags);
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

/** The folder's listing, as list() gives it; `shared`: its own infos, never to be changed, instead of copies. */
export async function list(users: MaildirUsers, owner: Owner, folder: FolderName): Promise<MessageInfo[]>;
export async function list(users: MaildirUsers, owner: Owner, folder: FolderName, shared: true): Promise<readonly MessageInfo[] | LazyInfos>;
export async function list(users: MaildirUsers, owner: Owner, folder: FolderName, shared = false): Promise<readonly MessageInfo[] | LazyInfos> {
  folder = canon(folder);
  return users.withUser(owner, async (u) => {
    const dir = await users.existingDir(u, folder);
    await users.locked(owner, folder, () => users.sync(u, folder, dir, false));
    const key = listingKey(u.index.folder(folder));
    let cached = u.listings.get(folder);
    if (!cached || cached.key !== key) {
      cached = listingOf(u.index, dir, folder, key, u.index.messages(folder));
      users.cacheListing(u, folder, cached);
    }
    // callers may keep or change what they get: hand out copies, unless they promise to only read
    return shared ? sharedInfos(cached) : allInfos(cached).map(copyInfo);
  }, true);
}

export async function status(users: MaildirUsers, owner: Owner, folder: FolderName): Promise<FolderStatus> {
  folder = canon(folder);
  return users.withUser(owner, async (u) => {
    const dir = await users.existingDir(u, folder);
    await users.locked(owner, folder, () => users.sync(u, folder, dir, false));
    const f = u.index.folder(folder);
    // a listing of the folder as it is now (a first build's) counts without a query
    const cached = u.listings.get(folder);
    const s = cached && cached.key === listingKey(f) ? { n: cached.infos.length, unseen: cached.unseen } : u.index.stats(folder);
    return { uidValidity: f.uidvalidity, uidNext: f.uidnext, messages: s.n, unseen: s.unseen, highestModseq: f.modseq };
  }, true);
}

export async function read(users: MaildirUsers, owner: Owner, folder: FolderName, uid: number): Promise<Buffer> {
  folder = canon(folder);
  return users.withUser(owner, async (u) => {
    const dir = users.dirOf(u, folder);
    for (let attempt = 0; attempt < 2; attempt++) {
      // the folder's listing knows the file while this process has not written the index since; a name another
      // process changed meanwhile is not found (ENOENT) and the second attempt asks the index
      const row = (attempt === 0 && listedFile(u, folder, uid)) || u.index.fileOf(folder, uid);
      if (!row) break;
      try {
        const file = dir + '/cur/' + row.file;
        // A small message is read synchronously: it is almost always in the page cache, and one blocking
        // read of a few KB costs far less than the four thread-pool round trips of an async readFile.
        const data = row.size <= SYNC_READ_MAX ? readKnownSize(file, row.size) : await readWhole(file);
        if (data.length !== row.size) {
          // the size came from a ",S=" the file contradicts: the index, later listings and open sessions get it
          users.correctSize(u, owner, folder, uid, data.length);
        }
        return data;
      } catch (e) {
        if (!notAMessage(e)) throw e;
        // renamed (flags), removed or replaced by a link by another process: re-read the directory once
        await users.locked(owner, folder, () => users.sync(u, folder, dir, true));
      }
    }
    throw new StoreError('NONEXISTENT', `no message with UID ${uid} in ${folder}`);
  });
}

/**
 * A file whose size the index knows, read with one read call and no fstat (open, read, close); one octet more is
 * asked for, so a file longer than recorded is still read whole (then by readFileSync).
 */
function readKnownSize(file: string, size: number): Buffer {
  const fd = fs.openSync(file, OPEN_MESSAGE);
  let n = 0;
  const buf = Buffer.allocUnsafeSlow(size + 1);
  try {
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) return buf.subarray(0, n);
      n += got;
      if (n === buf.length) break; // longer than the index says
    }
  } finally {
    fs.closeSync(fd);
  }
  const whole = fs.openSync(file, OPEN_MESSAGE);
  try {
    return fs.readFileSync(whole);
  } finally {
    fs.closeSync(whole);
  }
}

/** A larger message read whole, asynchronously (opened as OPEN_MESSAGE says). */
async function readWhole(file: string): Promise<Buffer> {
  const fh = await fsp.open(file, OPEN_MESSAGE);
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** A message's file and size from the folder's cached listing, when it is still what the index says. */
export function listedFile(u: UserHandle, folder: FolderName, uid: number): { file: string; size: number } | undefined {
  const l = u.listings.get(folder);
  if (!l || l.writes !== u.index.writes) return undefined;
  let lo = 0;
  let hi = l.infos.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = uidAt(l, mid);
    if (m === uid) return { file: l.files[mid], size: l.built ? l.built.cols.sizes[mid] : l.infos[mid].size };
    if (m < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

export async function updateFlags(
  users: MaildirUsers, owner: Owner, folder: FolderName, uids: number[], mode: FlagMode, flags: string[], unchangedSince?: number,
): Promise<{ updated: MessageInfo[]; failed: number[] }> {
  folder = canon(folder);
  const r = await users.withUser(owner, async (u) => {
    const dir = await users.existingDir(u, folder);
    return users.locked(owner, folder, () => changeFlags(u, folder, dir, uids, mode, flags, unchangedSince));
  });
  if (r.changed) mailboxEvents.changed(owner, folder);
  return { updated: r.updated, failed: r.failed };
}

export async function expunge(users: MaildirUsers, owner: Owner, folder: FolderName, uids: number[]): Promise<void> {
  folder = canon(folder);
  if (!uids.length) return;
  await users.withUser(owner, async (u) => {
    const dir = await users.existingDir(u, folder);
    await users.locked(owner, folder, async () => {
      const rows = u.index.messagesFor(folder, uids);
      const removed = await inParallel(rows, async (row) => {
        return fsp.unlink(path.join(dir, 'cur', row.file)).then(
          () => row.size,
          (e: NodeJS.ErrnoException) => {
            if (e.code !== 'ENOENT') throw e;
            return -1; // gone already: whoever removed it counted it (or the next rebuild does)
          },
        );
      });
      const gone = rows.map((r) => r.uid);
      if (gone.length) u.index.apply(folder, { remove: gone });
      const freed = removed.filter((n) => n >= 0);
      await recordChange(u.root, -freed.reduce((a, b) => a + b, 0), -freed.length);
    });
  });
  mailboxEvents.changed(owner, folder);
}

export async function copy(users: MaildirUsers, owner: Owner, from: FolderName, uids: number[], to: FolderName): Promise<{ uidValidity: number; mapping: [number, number][] }> {
  from = canon(from);
  to = canon(to);
  const result = await users.withUser(owner, async (u) => {
    const src = await users.existingDir(u, from);
    const dst = await users.existingDir(u, to);
    // 1. under the source's lock: hard-link each file into the target's tmp/ (content shared, as Dovecot does)
    const staged = await users.locked(owner, from, async () => {
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
        // a date not stat'ed yet is taken from the source now (a copied file, unlike a link, has a new mtime)
        const idate = row.idate === UNKNOWN_IDATE ? statIdate(u.index, src, from, row) : row.idate;
        return { srcUid: row.uid, name, row: { ...row, idate } };
      });
      const out = linked.filter((x): x is { srcUid: number; name: string; row: MessageRow } => x !== null);
      return out;
    });
    // 2. under the target's lock: move into cur/ with the same flags and index them. The copy keeps the
    // original's base name (so its email id: one email in two mailboxes, and a MOVE keeps its id) unless that
    // name is already taken in the target (a copy of a copy back into the same folder): then it is a new email.
    return users.locked(owner, to, async () => {
      const taken = new Set<string>();
      const add: NewMessage[] = [];
      for (const s of staged) {
        const base = !taken.has(s.row.base) && !u.index.byBase(to, s.row.base) ? s.row.base : s.name;
        taken.add(base);
        add.push({ base, file: maildirName(base, s.row.letters), size: s.row.size, idate: s.row.idate, letters: s.row.letters, keywords: s.row.keywords });
      }
      await inParallel(staged.map((s, i) => ({ s, file: add[i].file })), ({ s, file }) => fsp.rename(path.join(dst, 'tmp', s.name), path.join(dst, 'cur', file)));
      if (add.length) await syncDir(path.join(dst, 'cur'));
      const newUids = add.length ? u.index.apply(to, { add }) : [];
      await recordChange(u.root, add.reduce((n, m) => n + m.size, 0), add.length);
      return {
        uidValidity: u.index.folder(to).uidvalidity,
        mapping: staged.map((s, i) => [s.srcUid, newUids[i]] as [number, number]),
      };
    });
  });
  if (result.mapping.length) mailboxEvents.changed(owner, to);
  return result;
}

/**
 * Move messages to another folder by renaming their files (base names, hence email ids, kept unless taken in
 * the target), under both folders' locks taken in name order (two opposite moves cannot deadlock). The index
 * records the move in one transaction: the account sees each email change mailbox, never vanish.
 */
export async function move(users: MaildirUsers, owner: Owner, from: FolderName, uids: number[], to: FolderName): Promise<{ uidValidity: number; mapping: [number, number][] }> {
  from = canon(from);
  to = canon(to);
  if (from === to) throw new StoreError('CANNOT', 'source and target are the same folder');
  const [first, second] = from < to ? [from, to] : [to, from];
  const result = await users.withUser(owner, async (u) => {
    const src = await users.existingDir(u, from);
    const dst = await users.existingDir(u, to);
    return users.locked(owner, first, () =>
      users.locked(owner, second, async () => {
        const rows = u.index.messagesFor(from, uids);
        const taken = new Set<string>();
        const moved: (MovedMessage | null)[] = [];
        for (const row of rows) {
          const base = !taken.has(row.base) && !u.index.byBase(to, row.base) ? row.base : uniqueName(row.size);
          taken.add(base);
          const file = maildirName(base, row.letters);
          try {
            await moveFile(path.join(src, 'cur', row.file), path.join(dst, 'cur', file));
            moved.push({ uid: row.uid, base, file, size: row.size, idate: row.idate, letters: row.letters, keywords: row.keywords });
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
            moved.push(null); // gone behind our back
          }
        }
        const done = moved.filter((m): m is MovedMessage => m !== null);
        if (done.length) await Promise.all([syncDir(path.join(dst, 'cur')), syncDir(path.join(src, 'cur'))]);
        const newUids = done.length ? u.index.transfer(from, to, done) : [];
        return { uidValidity: u.index.folder(to).uidvalidity, mapping: done.map((m, i) => [m.uid, newUids[i]] as [number, number]) };
      }),
    );
  });
  if (result.mapping.length) {
    mailboxEvents.changed(owner, from);
    mailboxEvents.changed(owner, to);
  }
  return result;
}

/** Apply a flag change to the messages of a folder whose lock the caller holds. */
async function changeFlags(
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
  const updated = u.index.messagesFor(folder, [...unchanged, ...changes.map((c) => c.uid)]).map((r) => infoOf(u.index, dir, folder, r));
  return { updated, failed: failed.sort((a, b) => a - b), changed: changes.length > 0 };
}
