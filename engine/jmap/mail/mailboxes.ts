// Folders as JMAP Mailboxes (RFC 8621 §2): ids from UIDVALIDITY, names as the last level of the folder path
// ("/" is the hierarchy), parentId from the path, roles from the special-use folders IMAP creates and marks
// (INBOX, Drafts, Sent, Trash, Spam = junk, and Archive), counts from the index. Pure.
import type { AccountFolder } from '../../store/mailbox-store.js';
import { mailboxIdOf } from '../../store/email-ids.js';
import { SPECIAL_USE } from '../../imap/folders.js';

/** Folder → role: IMAP's SPECIAL-USE folders (\Junk is "junk", RFC 8621 §2 roles are the attributes in lower case), plus Archive. */
export const ROLE_OF: Record<string, string> = {
  INBOX: 'inbox',
  ...Object.fromEntries(Object.entries(SPECIAL_USE).map(([f, attr]) => [f, attr.slice(1).toLowerCase()])),
  Archive: 'archive',
};
export const FOLDER_OF_ROLE: Record<string, string> = Object.fromEntries(Object.entries(ROLE_OF).map(([f, r]) => [r, f]));

const DEFAULT_ORDER: Record<string, number> = { inbox: 1, drafts: 2, sent: 3, archive: 4, junk: 5, trash: 6 };

export interface MailboxView {
  id: string;
  name: string;
  parentId: string | null;
  role: string | null;
  sortOrder: number;
  totalEmails: number;
  unreadEmails: number;
  totalThreads: number;
  unreadThreads: number;
  myRights: Record<string, boolean>;
  isSubscribed: boolean;
  /** The folder behind it (not a Mailbox property). */
  folder: string;
}

export const MAILBOX_PROPERTIES = ['id', 'name', 'parentId', 'role', 'sortOrder', 'totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads', 'myRights', 'isSubscribed'];

/** Folders whose role is fixed by their name may be neither renamed nor deleted (IMAP would create them again). */
export const fixedFolder = (folder: string): boolean => folder === 'INBOX' || (folder in ROLE_OF && folder !== 'Archive');

export function mailboxViews(folders: AccountFolder[]): MailboxView[] {
  const byName = new Map(folders.map((f) => [f.name, f]));
  return folders.map((f) => {
    const slash = f.name.lastIndexOf('/');
    const parent = slash > 0 ? byName.get(f.name.slice(0, slash)) : undefined;
    const role = ROLE_OF[f.name] ?? null;
    const fixed = fixedFolder(f.name);
    return {
      id: mailboxIdOf(f.uidValidity),
      name: f.name === 'INBOX' ? 'Inbox' : parent ? f.name.slice(slash + 1) : f.name,
      parentId: parent ? mailboxIdOf(parent.uidValidity) : null,
      role,
      sortOrder: f.sortOrder ?? (role ? DEFAULT_ORDER[role] ?? 10 : 10),
      totalEmails: f.counts.total,
      unreadEmails: f.counts.unread,
      totalThreads: f.counts.threads,
      unreadThreads: f.counts.unreadThreads,
      myRights: {
        mayReadItems: true,
        mayAddItems: true,
        mayRemoveItems: true,
        maySetSeen: true,
        maySetKeywords: true,
        mayCreateChild: true,
        mayRename: !fixed,
        mayDelete: !fixed,
        maySubmit: true,
      },
      isSubscribed: f.subscribed,
      folder: f.name,
    };
  });
}
