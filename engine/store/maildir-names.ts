// Folder names on disk: Maildir++ directories (".Spam", "a/b" → ".a.b") with non-ASCII names in IMAP's
// modified UTF-7 (RFC 3501 §5.1.3), as Dovecot stores them, so it can read the same tree.
// It never creates or removes directories.
import { decodeMutf7, encodeMutf7 } from '../util/mutf7.js';

/** API name ("Archive/2024", "INBOX") → the name part after the leading dot (Archive.2024), or null if not storable. */
export function encodeFolder(folder: string): string | null {
  const parts = folder.split('/');
  if (parts.some((p) => p === '' || p.includes('.') || /[\0-\x1f\x7f\\]/.test(p))) return null;
  return parts.map(encodeMutf7).join('.');
}

/** ".Archive.2024" directory name (without the dot) → "Archive/2024". */
export function decodeFolder(dirName: string): string {
  return dirName.split('.').map((p) => decodeMutf7(p) ?? p).join('/');
}

/** A directory entry of a Maildir that is a Maildir++ folder (".name"; not "." or ".."). */
export function isFolderEntry(d: { name: string; isDirectory(): boolean }): boolean {
  return d.name.length > 1 && d.name.startsWith('.') && d.name !== '..' && d.isDirectory();
}
