// Large messages as files in the MaildirStore: a staging path in the owner's tmp/ for a message that arrives in
// pieces (an IMAP APPEND literal), storing such a file by renaming it into the folder's cur/ (fsynced first), and
// opening a stored message to read it in chunks. It never reads a whole message into memory.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { AppendOptions, FolderName, MessageHandle, Owner } from './mailbox-store.js';
import { OPEN_MESSAGE, syncDir, uniqueName } from './maildir.js';
import { mailboxEvents } from './events.js';
import { notAMessage } from './maildir-links.js';
import { applyFlags, maildirName } from './maildir-flags.js';
import { StoreError } from './store-error.js';
import { canon, type MaildirUsers } from './maildir-users.js';
import { recordChange } from './maildirsize.js';

/** The Maildir convention: a file left in tmp/ this long belongs to a writer that died. */
const STALE_MS = 36 * 3600_000;

/** A fresh path in the owner's tmp/; the first time for an owner (per `swept`), stale files there are removed. */
export async function stagingPath(users: MaildirUsers, owner: Owner, swept: Set<string>): Promise<string> {
  return users.withUser(owner, async (u) => {
    const tmp = path.join(u.root, 'tmp');
    if (!swept.has(tmp)) {
      if (swept.size > 10_000) swept.clear();
      swept.add(tmp);
      await sweepStale(tmp);
    }
    return path.join(tmp, uniqueName(0));
  });
}

export async function appendFile(
  users: MaildirUsers, owner: Owner, folder: FolderName, file: string, opts: Omit<AppendOptions, 'dedupKey'> = {},
): Promise<{ uid: number; uidValidity: number }> {
  folder = canon(folder);
  const result = await users.withUser(owner, async (u) => {
    const dir = await users.existingDir(u, folder);
    if (path.dirname(path.resolve(file)) !== path.join(u.root, 'tmp')) throw new StoreError('CANNOT', 'not a staged file of this mailbox');
    // the data is on disk before the file gets a name in cur/; the rename is on disk before the UID is given out
    const size = await syncFile(file);
    const idate = opts.internalDate ?? Date.now();
    if (opts.internalDate !== undefined) await fsp.utimes(file, idate / 1000, idate / 1000);
    const { letters, keywords } = applyFlags('', '', 'replace', opts.flags ?? []);
    return users.locked(owner, folder, async () => {
      const base = uniqueName(size);
      const name = maildirName(base, letters);
      await moveFile(file, path.join(dir, 'cur', name));
      await syncDir(path.join(dir, 'cur'));
      const [uid] = u.index.apply(folder, { add: [{ base, file: name, size, idate, letters, keywords }] });
      await recordChange(u.root, size, 1);
      return { uid, uidValidity: u.index.folder(folder).uidvalidity };
    });
  });
  mailboxEvents.changed(owner, folder);
  return result;
}

export async function open(users: MaildirUsers, owner: Owner, folder: FolderName, uid: number): Promise<MessageHandle> {
  folder = canon(folder);
  return users.withUser(owner, async (u) => {
    const dir = users.dirOf(u, folder);
    for (let attempt = 0; attempt < 2; attempt++) {
      const row = u.index.fileOf(folder, uid);
      if (!row) break;
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(path.join(dir, 'cur', row.file), OPEN_MESSAGE);
      } catch (e) {
        if (!notAMessage(e)) throw e;
        // renamed (flags), removed or replaced by a link by another process: re-read the directory once
        await users.locked(owner, folder, () => users.sync(u, folder, dir, true));
        continue;
      }
      try {
        // an open file survives renames and unlinks: its size now is the size of what will be read
        const size = (await fh.stat()).size;
        if (size !== row.size) {
          // the size came from a ",S=" the file contradicts: the index, later listings and open sessions get it
          users.correctSize(u, owner, folder, uid, size);
        }
        return fileHandle(fh, size);
      } catch (e) {
        await fh.close();
        throw e;
      }
    }
    throw new StoreError('NONEXISTENT', `no message with UID ${uid} in ${folder}`);
  });
}

function fileHandle(fh: fsp.FileHandle, size: number): MessageHandle {
  return {
    size,
    async read(position, length) {
      const n = Math.max(0, Math.min(length, size - position));
      const buf = Buffer.alloc(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(buf, got, n - got, position + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === n ? buf : buf.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

/** fsync a file's data; its size. */
async function syncFile(file: string): Promise<number> {
  const fh = await fsp.open(file, 'r');
  try {
    await fh.datasync();
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}

/** Rename; across file systems (a folder mounted elsewhere) copy, fsync and remove the original. */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await fsp.rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await fsp.copyFile(from, to, fsp.constants.COPYFILE_EXCL);
    await syncFile(to);
    await fsp.unlink(from);
  }
}

/** Remove files a dead writer left in tmp/ (best effort). */
async function sweepStale(tmp: string): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(tmp);
  } catch {
    return;
  }
  const now = Date.now();
  for (const n of names) {
    const p = path.join(tmp, n);
    try {
      const st = await fsp.stat(p);
      if (st.isFile() && now - st.mtimeMs > STALE_MS) await fsp.unlink(p);
    } catch {
      /* gone meanwhile */
    }
  }
}
