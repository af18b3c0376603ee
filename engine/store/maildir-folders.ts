// Folder operations of the MaildirStore: list, create, delete and rename Maildir++ folder directories
// (".a", ".a.b"; a folder's children move with it) and keep subscriptions; the index follows each change.
// It never writes or alters a message; a rename moves message files whole (INBOX's into the new folder).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FolderName, Owner } from './mailbox-store.js';
import { syncDir } from './maildir.js';
import { mailboxEvents } from './events.js';
import { decodeFolder, encodeFolder, isFolderEntry } from './maildir-names.js';
import { StoreError } from './store-error.js';
import { canon, type MaildirUsers } from './maildir-users.js';
import { countFolders, recordChange } from './maildirsize.js';

export async function listFolders(users: MaildirUsers, owner: Owner): Promise<FolderName[]> {
  return users.withUser(owner, async (u) => {
    const names = ['INBOX'];
    for (const d of await fsp.readdir(u.root, { withFileTypes: true })) {
      if (isFolderEntry(d)) {
        names.push(decodeFolder(d.name.slice(1)));
      }
    }
    return names.sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  });
}

export async function createFolder(users: MaildirUsers, owner: Owner, folder: FolderName): Promise<void> {
  folder = canon(folder);
  if (folder === 'INBOX') throw new StoreError('ALREADYEXISTS', 'INBOX always exists');
  await users.withUser(owner, async (u) => {
    const dir = users.dirOf(u, folder);
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
    users.dropListings(u);
    u.index.folder(folder);
  });
  mailboxEvents.changed(owner, folder);
}

export async function deleteFolder(users: MaildirUsers, owner: Owner, folder: FolderName): Promise<void> {
  folder = canon(folder);
  if (folder === 'INBOX') throw new StoreError('CANNOT', 'INBOX cannot be deleted');
  await users.withUser(owner, async (u) => {
    const dir = await users.existingDir(u, folder);
    await users.locked(owner, folder, async () => {
      // rename away first so a half-removed folder is never seen as a folder
      const trash = path.join(u.root, `..deleted.${process.pid}.${Date.now()}`);
      await fsp.rename(dir, trash);
      u.index.dropFolder(folder);
      users.dropListings(u);
      const freed = await countFolders(trash); // (the folder alone: its children are ".a.b" beside it, not inside)
      await fsp.rm(trash, { recursive: true, force: true });
      await recordChange(u.root, -freed.bytes, -freed.messages);
    });
  });
  mailboxEvents.changed(owner, folder);
}

export async function renameFolder(users: MaildirUsers, owner: Owner, from: FolderName, to: FolderName): Promise<void> {
  from = canon(from);
  to = canon(to);
  if (to === 'INBOX') throw new StoreError('ALREADYEXISTS', 'INBOX always exists');
  await users.withUser(owner, async (u) => {
    const dst = users.dirOf(u, to);
    if (fs.existsSync(dst)) throw new StoreError('ALREADYEXISTS', `${to} already exists`);
    const src = users.dirOf(u, from);
    const fromEnc = from === 'INBOX' ? '' : encodeFolder(from)!;
    const children = from === 'INBOX' ? [] : (await fsp.readdir(u.root)).filter((n) => n.startsWith(`.${fromEnc}.`));
    const exists = fs.existsSync(path.join(src, 'cur'));
    if (!exists && !children.length) throw new StoreError('NONEXISTENT', `no folder ${from}`);
    if (from === 'INBOX') {
      // RFC 3501 §6.3.5: INBOX's messages move to the new folder; INBOX stays, empty
      await users.locked(owner, from, async () => {
        await users.sync(u, from, src, true);
        await fsp.mkdir(dst);
        for (const sub of ['tmp', 'new', 'cur']) await fsp.mkdir(path.join(dst, sub));
        await fsp.writeFile(path.join(dst, 'maildirfolder'), '');
        for (const row of u.index.messages(from)) {
          await fsp.rename(path.join(src, 'cur', row.file), path.join(dst, 'cur', row.file)).catch(() => undefined);
        }
        await syncDir(path.join(dst, 'cur'));
        u.index.moveAllMessages(from, to);
        users.dropListings(u);
      });
      mailboxEvents.changed(owner, from);
      return;
    }
    if (to.startsWith(from + '/')) throw new StoreError('CANNOT', 'cannot rename a folder into itself');
    const toEnc = encodeFolder(to);
    if (toEnc === null) throw new StoreError('CANNOT', `folder name not allowed: ${to}`);
    await users.locked(owner, from, async () => {
      // the folder and its children (".a" and ".a.*") move together
      if (exists) await fsp.rename(src, dst);
      for (const c of children) {
        const target = path.join(u.root, `.${toEnc}${c.slice(fromEnc.length + 1)}`);
        await fsp.rename(path.join(u.root, c), target).catch(() => undefined);
      }
      await syncDir(u.root);
      u.index.renameFolder(from, to);
      users.dropListings(u);
    });
    mailboxEvents.changed(owner, from);
  });
}

export async function subscriptions(users: MaildirUsers, owner: Owner): Promise<FolderName[]> {
  return users.withUser(owner, async (u) => u.index.subscriptions());
}

export async function setSubscribed(users: MaildirUsers, owner: Owner, folder: FolderName, subscribed: boolean): Promise<void> {
  folder = canon(folder);
  await users.withUser(owner, async (u) => u.index.setSubscribed(folder, subscribed));
  mailboxEvents.changed(owner, folder);
}
