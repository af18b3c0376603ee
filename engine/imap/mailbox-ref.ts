// Which store, owner and folder a mailbox name given by the client stands for: one of the user's own
// folders, or a list archive in the shared "#lists/" namespace (list-archives.ts) that this account may read.
// A shared name the account may not read is answered exactly like one that does not exist. It never writes.
import type { MailboxStore } from '../store/mailbox-store.js';
import { existingFolder } from './folders.js';
import { isSharedName, SHARED_PREFIX } from './list-archives.js';
import type { Session } from './session.js';

export interface MailboxRef {
  store: MailboxStore;
  owner: string;
  /** The folder in that store (a list archive is its owner's INBOX). */
  folder: string;
  /** The name for the client ("#lists/dev@example.test" for an archive). */
  name: string;
  /** A list archive: read-only, never the target of a write. */
  shared: boolean;
  /** The list address of an archive. */
  list?: string;
}

/** The mailbox a name stands for when it exists and this user may see it; null otherwise. */
export async function findMailbox(s: Session, name: string): Promise<MailboxRef | null> {
  if (isSharedName(name)) {
    const list = s.shared.archives?.resolve(s.owner, name);
    if (!list) return null;
    return { store: s.shared.archives!.store, owner: list, folder: 'INBOX', name: SHARED_PREFIX + list, shared: true, list };
  }
  const folder = await existingFolder(s.store, s.owner, name);
  return folder === undefined ? null : { store: s.store, owner: s.owner, folder, name: folder, shared: false };
}
