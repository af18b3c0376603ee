// A mailbox's usage for the user page: messages and bytes in every folder (new/ and cur/ of the Maildir and
// its .Folder subfolders), counted by listing and stat, with a cap on the files looked at so one huge mailbox
// cannot hold a page. It only reads directory entries and sizes, never a message.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { maildirRoot } from '../../store/maildir.js';

export interface Usage {
  messages: number;
  bytes: number;
  /** The cap was reached: the figures are at least this much. */
  partial: boolean;
}

const MAX_FILES = 200_000;

export async function mailboxUsage(dataDir: string, address: string): Promise<Usage | null> {
  let root: string;
  try {
    root = maildirRoot(dataDir, address);
  } catch {
    return null;
  }
  const folders = [root];
  try {
    for (const e of await fsp.readdir(root, { withFileTypes: true })) if (e.isDirectory() && e.name.startsWith('.')) folders.push(path.join(root, e.name));
  } catch {
    return null; // no mailbox yet
  }
  const u: Usage = { messages: 0, bytes: 0, partial: false };
  for (const f of folders) {
    for (const sub of ['new', 'cur']) {
      let names: string[];
      try {
        names = await fsp.readdir(path.join(f, sub));
      } catch {
        continue;
      }
      for (const n of names) {
        if (u.messages >= MAX_FILES) return { ...u, partial: true };
        try {
          const st = await fsp.stat(path.join(f, sub, n));
          if (!st.isFile()) continue;
          u.messages++;
          u.bytes += st.size;
        } catch {
          // expunged meanwhile
        }
      }
    }
  }
  return u;
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
