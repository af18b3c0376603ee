// The account view of the MaildirStore (what JMAP reads): bring every folder's index up to date, read the
// header facts of emails not seen before (threads), and hand out folders with counts, emails, threads and
// the change log. Folder locks are taken one at a time; it never changes a message file.
import { fillUnknownIdates } from './maildir-idate.js';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { AccountFolder, AccountState, ChangesPage, ChangeType, EmailExtra, EmailRow, FolderName, Owner } from './mailbox-store.js';
import { metaOf, META_HEAD_LIMIT } from './message-meta.js';
import { StoreError } from './store-error.js';
import { listFolders } from './maildir-folders.js';
import type { MaildirUsers, UserHandle } from './maildir-users.js';
import { headerEnd } from '../mime/address-list.js';
import { inParallel } from '../util/in-parallel.js';
import { OPEN_MESSAGE } from './maildir.js';

/** Header facts are read for this many emails at a time. */
const META_BATCH = 256;

/**
 * Sync every folder of the account with the disk (new mail, renames and removals by other processes), forget
 * folders whose directory is gone, and read the header facts of emails that have none. Returns the state.
 */
export async function refreshAccount(users: MaildirUsers, owner: Owner): Promise<AccountState> {
  const names = await listFolders(users, owner);
  return users.withUser(owner, async (u) => {
    const onDisk = new Set<string>();
    for (const name of names) {
      let dir: string;
      try {
        dir = await users.existingDir(u, name);
      } catch (e) {
        if (e instanceof StoreError) continue; // ".a.b" without ".a", a half-deleted folder: not a folder
        throw e;
      }
      try {
        await users.locked(owner, name, async () => {
          await users.sync(u, name, dir, false);
          // the account view reads dates from the index rows: none may be left unknown (maildir-idate.ts)
          fillUnknownIdates(u.index, dir, name);
        });
        onDisk.add(name);
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
      }
    }
    for (const f of u.index.folderRows()) {
      if (onDisk.has(f.name)) continue;
      await users.locked(owner, f.name, async () => {
        u.index.dropFolder(f.name);
        users.dropListings(u);
      });
    }
    await readPendingMeta(users, owner, u);
    u.index.log.trim();
    return u.index.log.state();
  }, true);
}

async function readPendingMeta(users: MaildirUsers, owner: Owner, u: UserHandle): Promise<void> {
  const failed = new Set<string>();
  for (;;) {
    const batch = u.index.account.pending(META_BATCH + failed.size).filter((p) => !failed.has(p.eid));
    if (!batch.length) return;
    const read = await inParallel(batch, async (p) => {
      try {
        return { p, head: await readHead(path.join(users.dirOf(u, p.folder), 'cur', p.file)) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        return { p, head: null };
      }
    }, 24);
    u.index.account.setMetaBatch(read.filter((r) => r.head).map((r) => ({ eid: r.p.eid, meta: metaOf(r.head!) })));
    for (const { p, head } of read) {
      if (!head) {
        // renamed behind our back (flags by another process): read the folder again, try once more
        failed.add(p.eid);
        const dir = users.dirOf(u, p.folder);
        await users.locked(owner, p.folder, () => users.sync(u, p.folder, dir, true)).catch(() => undefined);
      }
    }
    if (read.every((r) => r.head === null)) {
      // nothing readable in this batch: retry those files once after the syncs above, then give up on them
      const again = u.index.account.pending(META_BATCH + failed.size).filter((p) => failed.has(p.eid));
      for (const p of again) {
        const head = await readHead(path.join(users.dirOf(u, p.folder), 'cur', p.file)).catch(() => null);
        if (head) u.index.account.setMeta(p.eid, metaOf(head));
      }
      return;
    }
  }
}

/** The header section of a stored message (at most META_HEAD_LIMIT bytes). */
async function readHead(file: string): Promise<Buffer> {
  const fh = await fsp.open(file, OPEN_MESSAGE);
  try {
    let want = 64 * 1024;
    for (;;) {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await fh.read(buf, 0, want, 0);
      const got = buf.subarray(0, bytesRead);
      const end = headerEnd(got);
      if (end !== null) return got.subarray(0, end);
      if (bytesRead < want || want >= META_HEAD_LIMIT) return got;
      want = META_HEAD_LIMIT;
    }
  } finally {
    await fh.close();
  }
}

export async function accountFolders(users: MaildirUsers, owner: Owner): Promise<AccountFolder[]> {
  return users.withUser(owner, async (u) => {
    const counts = u.index.account.folderCounts();
    const subscribed = new Set(u.index.subscriptions());
    return u.index.folderRows().map((f) => ({
      name: f.name,
      uidValidity: f.uidvalidity,
      sortOrder: f.sort_order,
      subscribed: subscribed.has(f.name),
      counts: counts.get(f.name) ?? { total: 0, unread: 0, threads: 0, unreadThreads: 0 },
    }));
  });
}

export function accountEmails(users: MaildirUsers, owner: Owner, ids?: string[]): Promise<EmailRow[]> {
  return users.withUser(owner, async (u) => u.index.account.emails(ids));
}

export function threadMembers(users: MaildirUsers, owner: Owner, threadIds: string[]): Promise<Map<string, string[]>> {
  return users.withUser(owner, async (u) => u.index.account.threadMembers(threadIds));
}

export function accountChanges(users: MaildirUsers, owner: Owner, type: ChangeType, since: number, max: number): Promise<ChangesPage | null> {
  return users.withUser(owner, async (u) => u.index.log.changes(type, since, max));
}

export function setSortOrder(users: MaildirUsers, owner: Owner, folder: FolderName, order: number | null): Promise<void> {
  return users.withUser(owner, async (u) => {
    await users.existingDir(u, folder);
    u.index.setSortOrder(folder, order);
  });
}

export function setEmailExtra(users: MaildirUsers, owner: Owner, emailId: string, extra: EmailExtra): Promise<void> {
  return users.withUser(owner, async (u) => u.index.account.setExtra(emailId, extra));
}
