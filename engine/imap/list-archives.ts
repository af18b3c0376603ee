// The shared IMAP namespace "#lists/" (RFC 2342): "#lists/NAME@DOMAIN" is that list's archive Maildir
// (<data_dir>/lists/DOMAIN/NAME/archive/, engine/lists/archive.ts), read through a MaildirStore of its own whose
// SQLite index lives in the archive's root, so UIDs stay stable; on PostgreSQL the INBOX of the owner NAME@DOMAIN in
// the shared store, so every node shows the same archive with the same UIDs. Only an account that administers the
// list sees it: a moderator (ListDirectory.admins), a list admin (A2), a host admin of its domain, a system
// admin. For anyone else no shared name exists, whether or not the list does. It never writes to an archive.
import fs from 'node:fs';
import path from 'node:path';
import type { AccountDirectory } from '../accounts/directory.js';
import type { ListDirectory } from '../accounts/list-directory.js';
import { archiveDir } from '../lists/paths.js';
import type { MailboxStore } from '../store/mailbox-store.js';
import { MaildirStore } from '../store/maildir-store.js';

/** The shared namespace's prefix, as NAMESPACE announces it. */
export const SHARED_PREFIX = '#lists/';
/** The prefix without its separator: LIST shows it as a \Noselect parent. */
export const SHARED_ROOT = '#lists';

/** NAME@DOMAIN as list names are made (engine/lists/paths.ts): no separator, no "..", no leading dot. */
const LIST_ADDRESS = /^([a-z0-9][a-z0-9._-]{0,63})@([a-z0-9][a-z0-9.-]{0,252})$/;

/** Is this name in the shared namespace (the prefix itself included)? Such names never reach the user's store. */
export function isSharedName(name: string): boolean {
  return name === SHARED_ROOT || name.toLowerCase().startsWith(SHARED_PREFIX);
}

/** The list address a shared name names, or null when it is not a well-formed one (traversal, extra levels). */
export function parseSharedName(name: string): string | null {
  if (!name.toLowerCase().startsWith(SHARED_PREFIX)) return null;
  const address = name.slice(SHARED_PREFIX.length).toLowerCase();
  const m = LIST_ADDRESS.exec(address);
  if (!m || address.includes('..')) return null;
  return address;
}

/** The archive of a list address, for the store: the address was checked by parseSharedName. */
function archiveRoot(dataDir: string, address: string): string {
  const m = LIST_ADDRESS.exec(address);
  if (!m || address.includes('..')) throw new Error(`unsafe list archive: ${address}`);
  return archiveDir(dataDir, { name: m[1], domain: m[2] });
}

export class ListArchives {
  /** Owners are list addresses; each one's INBOX is the archive (a Maildir, or the shared store's folder). */
  readonly store: MailboxStore;

  /** @param shared [storage] backend = "postgres": the shared mailbox store the workers archive into */
  constructor(
    private readonly dataDir: string,
    private readonly lists: ListDirectory,
    private readonly accounts: Pick<AccountDirectory, 'user'>,
    private readonly shared?: MailboxStore,
  ) {
    this.store = shared ?? new MaildirStore(dataDir, { rootOf: archiveRoot });
  }

  /** The list addresses whose archives this account may read now (rights are read afresh, not from the login). */
  readable(account: string): string[] {
    const user = this.accounts.user(account);
    if (!user || user.disabled) return [];
    return this.lists
      .lists()
      .filter((l) => this.may(account, l.address))
      .map((l) => l.address)
      .sort();
  }

  /** The list address of a shared name when this account may read that archive; otherwise null. */
  resolve(account: string, name: string): string | null {
    const address = parseSharedName(name);
    return address && this.may(account, address) ? address : null;
  }

  private may(account: string, address: string): boolean {
    const user = this.accounts.user(account);
    const list = this.lists.list(address);
    if (!user || user.disabled || !list) return false;
    // archiving on, or turned off after posts were kept: the kept ones stay readable
    if (parseSharedName(SHARED_PREFIX + list.address) !== list.address) return false; // a name no archive path is made from
    // (on the shared store, only while archiving is on: whether posts were kept is a question to the database)
    if (!list.archive && (this.shared || !fs.existsSync(path.join(archiveRoot(this.dataDir, list.address), 'cur')))) return false;
    const me = user.address.toLowerCase();
    return (
      user.systemAdmin ||
      user.listAdminOf.includes(list.address) ||
      user.hostAdminOf.includes(list.domain) ||
      this.lists.admins(list.address).includes(me)
    );
  }
}
