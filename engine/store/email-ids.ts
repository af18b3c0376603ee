// Account-wide object ids of the mailbox store, shared by IMAP's index and JMAP: an email is named by a hash of
// its Maildir base name (which survives flag renames, moves and an index rebuild; a copy keeps it too), a folder by
// its UIDVALIDITY (kept across renames), a thread by the email that started it. It never reads the disk.
import crypto from 'node:crypto';

const ASCII = /^[\x00-\x7f]*$/;

/**
 * The id of the email stored under this Maildir base name ("M" + 24 hex digits of the SHA-256 of its latin1
 * octets). One-shot crypto.hash (no Hash object per id: a first index build names thousands); a name beyond
 * ASCII is hashed from the same latin1 octets as before, so ids already in an index never change.
 */
export function emailIdOf(base: string): string {
  return 'M' + crypto.hash('sha256', ASCII.test(base) ? base : Buffer.from(base, 'latin1'), 'hex').slice(0, 24);
}

/** The id of a folder with this UIDVALIDITY. */
export function mailboxIdOf(uidValidity: number): string {
  return 'F' + String(uidValidity);
}

/** A folder's UIDVALIDITY from its mailbox id, or null for anything else. */
export function uidValidityOf(mailboxId: string): number | null {
  const m = /^F([1-9][0-9]{0,14})$/.exec(mailboxId);
  return m ? Number(m[1]) : null;
}

/** The id of a thread started by this email. */
export function threadIdOf(emailId: string): string {
  return 'T' + emailId.slice(1);
}

export const EMAIL_ID = /^M[0-9a-f]{24}$/;
export const THREAD_ID = /^T[0-9a-f]{24}$/;
