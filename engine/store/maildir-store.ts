// The embedded mailbox store: Maildir++ folders on disk plus a per-user SQLite index (index-db.ts) for UIDs,
// flags and MODSEQ. It only delegates: open users, locks and listings (maildir-users.ts), messages
// (maildir-messages.ts, large ones as files in maildir-files.ts), folders (maildir-folders.ts), change notices (maildir-watch.ts); sync in maildir-sync.ts.
// It never speaks a protocol and never holds a whole folder's messages in memory.
import type {
  AccountFolder, AccountState, AppendOptions, ChangesPage, ChangeType, EmailExtra, EmailRow, FlagMode, FolderName, FolderStatus, LazyInfos,
  MailAccountStore, MailboxStore, MessageHandle, MessageInfo, Owner,
} from './mailbox-store.js';
import { mailboxEvents } from './events.js';
import * as account from './maildir-account.js';
import { compareMaildirNames } from './maildir-sync.js';
import { MaildirUsers, type MaildirStoreOptions } from './maildir-users.js';
import { FolderWatchers } from './maildir-watch.js';
import * as messages from './maildir-messages.js';
import { readListedInto } from './maildir-read-into.js';
import * as files from './maildir-files.js';
import * as folders from './maildir-folders.js';
import { mailboxUsage } from './maildirsize.js';
import type { Quota, Usage } from '../accounts/quota.js';

export { compareMaildirNames };

export { StoreError, type StoreErrorCode } from './store-error.js';

export { INDEX_FILE, type MaildirStoreOptions } from './maildir-users.js';

export class MaildirStore implements MailboxStore, MailAccountStore {
  private readonly users: MaildirUsers;
  private readonly watchers: FolderWatchers;
  /** tmp/ directories whose stale files were swept (once per owner and process). */
  private readonly swept = new Set<string>();

  constructor(dataDir: string, opts: MaildirStoreOptions = {}) {
    this.users = new MaildirUsers(dataDir, opts);
    this.watchers = new FolderWatchers((owner, folder) => this.users.pathOf(owner, folder));
  }

  // ---- messages ----

  append(owner: Owner, folder: FolderName, message: Buffer, opts: AppendOptions = {}): Promise<{ uid: number; uidValidity: number }> {
    return messages.append(this.users, owner, folder, message, opts);
  }

  stagingPath(owner: Owner): Promise<string> {
    return files.stagingPath(this.users, owner, this.swept);
  }

  appendFile(owner: Owner, folder: FolderName, file: string, opts: Omit<AppendOptions, 'dedupKey'> = {}): Promise<{ uid: number; uidValidity: number }> {
    return files.appendFile(this.users, owner, folder, file, opts);
  }

  list(owner: Owner, folder: FolderName): Promise<MessageInfo[]> {
    return messages.list(this.users, owner, folder);
  }

  listShared(owner: Owner, folder: FolderName): Promise<readonly MessageInfo[] | LazyInfos> {
    return messages.list(this.users, owner, folder, true);
  }

  status(owner: Owner, folder: FolderName): Promise<FolderStatus> {
    return messages.status(this.users, owner, folder);
  }

  read(owner: Owner, folder: FolderName, uid: number): Promise<Buffer> {
    return messages.read(this.users, owner, folder, uid);
  }

  readInto(owner: Owner, folder: FolderName, uid: number, buf: Buffer, at: number): number | null {
    return readListedInto(this.users, owner, folder, uid, buf, at);
  }

  open(owner: Owner, folder: FolderName, uid: number): Promise<MessageHandle> {
    return files.open(this.users, owner, folder, uid);
  }

  updateFlags(
    owner: Owner, folder: FolderName, uids: number[], mode: FlagMode, flags: string[], unchangedSince?: number,
  ): Promise<{ updated: MessageInfo[]; failed: number[] }> {
    return messages.updateFlags(this.users, owner, folder, uids, mode, flags, unchangedSince);
  }

  expunge(owner: Owner, folder: FolderName, uids: number[]): Promise<void> {
    return messages.expunge(this.users, owner, folder, uids);
  }

  copy(owner: Owner, from: FolderName, uids: number[], to: FolderName): Promise<{ uidValidity: number; mapping: [number, number][] }> {
    return messages.copy(this.users, owner, from, uids, to);
  }

  watch(owner: Owner, folder: FolderName, onChange: () => void): () => void {
    return this.watchers.watch(owner, folder, onChange);
  }

  /** From the Maildir++ maildirsize file, rebuilt from the folders when it is missing or stale. */
  usage(owner: Owner, quota: Quota): Promise<Usage> {
    return mailboxUsage(this.users.pathOf(owner, 'INBOX'), quota);
  }

  move(owner: Owner, from: FolderName, uids: number[], to: FolderName): Promise<{ uidValidity: number; mapping: [number, number][] }> {
    return messages.move(this.users, owner, from, uids, to);
  }

  // ---- the account view (JMAP) ----

  refreshAccount(owner: Owner): Promise<AccountState> {
    return account.refreshAccount(this.users, owner);
  }

  accountFolders(owner: Owner): Promise<AccountFolder[]> {
    return account.accountFolders(this.users, owner);
  }

  accountEmails(owner: Owner, ids?: string[]): Promise<EmailRow[]> {
    return account.accountEmails(this.users, owner, ids);
  }

  threadMembers(owner: Owner, threadIds: string[]): Promise<Map<string, string[]>> {
    return account.threadMembers(this.users, owner, threadIds);
  }

  accountChanges(owner: Owner, type: ChangeType, since: number, max: number): Promise<ChangesPage | null> {
    return account.accountChanges(this.users, owner, type, since, max);
  }

  setSortOrder(owner: Owner, folder: FolderName, order: number | null): Promise<void> {
    return account.setSortOrder(this.users, owner, folder, order);
  }

  setEmailExtra(owner: Owner, emailId: string, extra: EmailExtra): Promise<void> {
    return account.setEmailExtra(this.users, owner, emailId, extra);
  }

  /**
   * Any change in the owner's account: the in-process notices of every folder, plus the disk watch of each
   * folder's new/ (deliveries by other processes), kept in line with the folder list as folders come and go.
   */
  watchAccount(owner: Owner, onChange: () => void): () => void {
    const folderWatches = new Map<string, () => void>();
    let closed = false;
    const follow = async () => {
      let names: string[];
      try {
        names = await this.listFolders(owner);
      } catch {
        return;
      }
      if (closed) return;
      for (const n of names) if (!folderWatches.has(n)) folderWatches.set(n, this.watchers.watch(owner, n, onChange));
      for (const [n, off] of folderWatches) if (!names.includes(n)) {
        off();
        folderWatches.delete(n);
      }
    };
    // a folder that cannot be watched (gone meanwhile) is picked up by the next change or the caller's backstop
    const followQuietly = (): void => {
      follow().catch(() => {});
    };
    const off = mailboxEvents.subscribeAccount(owner, () => {
      onChange();
      followQuietly();
    });
    followQuietly();
    return () => {
      closed = true;
      off();
      for (const o of folderWatches.values()) o();
      folderWatches.clear();
    };
  }

  // ---- folders ----

  listFolders(owner: Owner): Promise<FolderName[]> {
    return folders.listFolders(this.users, owner);
  }

  createFolder(owner: Owner, folder: FolderName): Promise<void> {
    return folders.createFolder(this.users, owner, folder);
  }

  deleteFolder(owner: Owner, folder: FolderName): Promise<void> {
    return folders.deleteFolder(this.users, owner, folder);
  }

  renameFolder(owner: Owner, from: FolderName, to: FolderName): Promise<void> {
    return folders.renameFolder(this.users, owner, from, to);
  }

  subscriptions(owner: Owner): Promise<FolderName[]> {
    return folders.subscriptions(this.users, owner);
  }

  setSubscribed(owner: Owner, folder: FolderName, subscribed: boolean): Promise<void> {
    return folders.setSubscribed(this.users, owner, folder, subscribed);
  }

  /** Close every open index and watcher (shutdown, tests). */
  async close(): Promise<void> {
    this.watchers.close();
    this.users.close();
  }
}
