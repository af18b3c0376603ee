// A mailbox's usage for the user page: the store's own figure (the Maildir++ maildirsize file that delivery
// and IMAP GETQUOTA use), so the page and the protocols agree; and sizes for people. It never reads a message.
import fs from 'node:fs';
import type { Quota } from '../../accounts/quota.js';
import { maildirRoot } from '../../store/maildir.js';
import { mailboxUsage as storeUsage } from '../../store/maildirsize.js';
import type { AdminServices } from './services.js';

export interface Usage {
  messages: number;
  bytes: number;
}

/**
 * The usage the quota is checked against: the store's maildirsize figure (rebuilt by the store's rules when
 * missing or stale), so the page says what delivery and IMAP GETQUOTA see. Null when there is no mailbox yet.
 */
export async function quotaUsage(dataDir: string, address: string, quota: Quota): Promise<Usage | null> {
  let root: string;
  try {
    root = maildirRoot(dataDir, address);
  } catch {
    return null;
  }
  if (!fs.existsSync(root)) return null;
  const u = await storeUsage(root, quota);
  return { messages: u.messages, bytes: u.bytes };
}

/** The usage an admin page or the API shows: the store `serve` runs (PostgreSQL), else the node's Maildir. */
export function accountUsage(svc: Pick<AdminServices, 'dataDir' | 'mailUsage'>, address: string, quota: Quota): Promise<Usage | null> {
  return svc.mailUsage ? svc.mailUsage(address, quota) : quotaUsage(svc.dataDir, address, quota);
}

/** Bytes for people: 1.2 MB, 350 KB (binary multiples, locale digits). */
export function formatBytes(n: number, locale: string): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: i ? 1 : 0 }).format(v)} ${units[i]}`;
}
