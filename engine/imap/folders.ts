// Folder naming for IMAP: the special-use folders (RFC 6154) created on first login, LIST wildcard matching,
// and the LIST/LSUB line for one folder. The hierarchy separator is "/". It never changes mail.
import type { MailboxStore } from '../store/mailbox-store.js';
import { encodeMutf7 } from '../util/mutf7.js';
import { Response } from './protocol/response.js';

export const SEPARATOR = '/';

/** Folder → special-use attribute; the spam filter files mail into "Spam". */
export const SPECIAL_USE: Record<string, string> = {
  Spam: '\\Junk',
  Sent: '\\Sent',
  Drafts: '\\Drafts',
  Trash: '\\Trash',
};

export const SPAM_FOLDER = 'Spam';

const created = new WeakMap<MailboxStore, Set<string>>();

export async function ensureSpecialFolders(store: MailboxStore, owner: string): Promise<void> {
  let done = created.get(store);
  if (!done) {
    done = new Set();
    created.set(store, done);
  }
  if (done.has(owner)) return;
  const have = new Set((await store.listFolders(owner)).map((f) => (f.toUpperCase() === 'INBOX' ? 'INBOX' : f)));
  const subs = new Set(await store.subscriptions(owner));
  for (const f of ['INBOX', ...Object.keys(SPECIAL_USE)]) {
    if (!have.has(f)) {
      try {
        await store.createFolder(owner, f);
      } catch {
        // created concurrently by another session: fine
      }
    }
    if (!subs.has(f)) await store.setSubscribed(owner, f, true);
  }
  done.add(owner);
}

/**
 * Does a folder name match a LIST pattern ("*" anything, "%" anything but the separator)? Names are
 * case-sensitive, except that a pattern starting with "inbox" in any case names INBOX.
 */
export function matchPattern(pattern: string, name: string): boolean {
  const raw = /^inbox(\/|$)/i.test(pattern) ? 'INBOX' + pattern.slice(5) : pattern;
  // runs of wildcards are one wildcard ("*" if any of them is "*"); each other character takes one of the name's
  const p = raw.replace(/[*%]{2,}/g, (run) => (run.includes('*') ? '*' : '%'));
  if (p.replace(/[*%]/g, '').length > name.length) return false;
  // reach[j]: the pattern so far matches the name's first j characters. Dynamic programming, O(|p|·|name|):
  // a regular expression with many wildcards backtracks exponentially and would stall the whole server
  let reach: boolean[] = Array.from({ length: name.length + 1 }, (_, j) => j === 0);
  for (const ch of p) {
    const next: boolean[] = new Array<boolean>(name.length + 1).fill(false);
    if (ch === '*' || ch === '%') {
      let carry = false;
      for (let j = 0; j <= name.length; j++) {
        if (ch === '%' && j > 0 && name[j - 1] === SEPARATOR) carry = false;
        carry = carry || reach[j];
        next[j] = carry;
      }
    } else for (let j = 1; j <= name.length; j++) next[j] = reach[j - 1] && name[j - 1] === ch;
    if (!next.includes(true)) return false;
    reach = next;
  }
  return reach[name.length];
}

/** Attributes of a folder for LIST: \HasChildren/\HasNoChildren, special use, \Noselect for implied parents. */
export function folderAttributes(name: string, all: Set<string>, opts: { noselect?: boolean } = {}): string[] {
  const attrs: string[] = [];
  if (opts.noselect) attrs.push('\\Noselect');
  const prefix = name + SEPARATOR;
  let children = false;
  for (const f of all) if (f.startsWith(prefix)) {
    children = true;
    break;
  }
  attrs.push(children ? '\\HasChildren' : '\\HasNoChildren');
  const special = SPECIAL_USE[name];
  if (special) attrs.push(special);
  return attrs;
}

export function listLine(kind: 'LIST' | 'LSUB', attrs: string[], name: string): Response {
  const r = new Response().raw(`* ${kind} (${attrs.join(' ')}) "${SEPARATOR}" `);
  return r.astr(encodeMutf7(name));
}

/** A mailbox name for the wire (status lines, COPYUID...). */
export function wireName(name: string): Response {
  return new Response().astr(encodeMutf7(name));
}

/** The stored name of an existing folder (INBOX in any case), or undefined. */
export async function existingFolder(store: MailboxStore, owner: string, name: string): Promise<string | undefined> {
  const all = await store.listFolders(owner);
  if (name.toUpperCase() === 'INBOX') return all.some((f) => f.toUpperCase() === 'INBOX') ? 'INBOX' : undefined;
  return all.find((f) => f === name);
}

/** A new folder name is acceptable: no empty levels, no leading/trailing separator, no control characters. */
export function validNewName(name: string): boolean {
  if (!name || name.length > 255 || name.startsWith(SEPARATOR) || name.endsWith(SEPARATOR) || name.includes(SEPARATOR + SEPARATOR)) return false;
  if (/[\x00-\x1f\x7f*%\\]/.test(name)) return false;
  return !name.split(SEPARATOR).some((p) => p === '.' || p === '..' || p.startsWith('.'));
}
