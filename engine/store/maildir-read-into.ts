// A whole message read synchronously into the caller's buffer (POP3 RETR's path): only when the folder's cached
// listing names its file and size without any I/O, with one open, one read and one close. Whatever it cannot do
// so (no open handle or listing, a listing older than this process's last index write, a file renamed or removed
// since, a size other than the recorded one, a large message) it leaves to read(), which re-reads the directory,
// checks the account's root and corrects the index; it never writes anything itself.
import fs from 'node:fs';
import type { FolderName, Owner } from './mailbox-store.js';
import { OPEN_MESSAGE } from './maildir.js';
import { notAMessage } from './maildir-links.js';
import { listedFile } from './maildir-messages.js';
import { canon, folderPath, type MaildirUsers } from './maildir-users.js';

/** Larger messages are left to read() (asynchronous, never blocking the event loop for long). */
export const READ_INTO_MAX = 256 * 1024;

/**
 * Read message `uid` into `buf` from offset `at`; returns its length, or null when read() must do it. `buf` needs
 * room for one octet more than the message, so a file longer than recorded is noticed.
 *
 * Without the root's inode check of read(): a file opened by its unique Maildir name under the root's path is
 * that message's file whichever directory the path leads to now (a deleted account's Maildir moved away leaves
 * ENOENT, and then read() runs its checks).
 */
export function readListedInto(users: MaildirUsers, owner: Owner, folder: FolderName, uid: number, buf: Buffer, at: number): number | null {
  const u = users.peek(owner);
  if (!u) return null;
  folder = canon(folder);
  const row = listedFile(u, folder, uid);
  if (!row || row.size > READ_INTO_MAX || buf.length - at < row.size + 1) return null;
  let fd: number;
  try {
    fd = fs.openSync(folderPath(u.root, folder) + '/cur/' + row.file, OPEN_MESSAGE);
  } catch (e) {
    if (notAMessage(e)) return null;
    throw e;
  }
  try {
    let n = 0;
    for (;;) {
      const want = row.size + 1 - n;
      const got = fs.readSync(fd, buf, at + n, want, n);
      n += got;
      // a read short of what was asked ends at the end of a regular file: done when that is the recorded size
      if (got === 0 || (got < want && n === row.size)) break;
      if (n > row.size) return null; // longer than recorded: read() reads it whole and corrects the index
    }
    return n === row.size ? n : null;
  } finally {
    fs.closeSync(fd);
  }
}
