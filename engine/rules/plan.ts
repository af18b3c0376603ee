// What the rules decided for one mailbox, as a plan delivery can carry out: the copies to store (folder, flags),
// the redirects, a reject, the vacation a script asked for. Also the rules around it that are not Sieve's: the
// spam verdict's default folder (an explicit fileinto wins over it), folder names mapped the way the IMAP store
// maps them (an unsafe or missing one falls back to the default folder: a broken rule never loses mail), Sieve
// flags as Maildir letters, and whether a sender is authenticated enough to be sent a rejection notice.
// It never writes a message and never sends one.
import fs from 'node:fs';
import { folderPath } from '../store/maildir-users.js';
import { isFolderEntry } from '../store/maildir-names.js';
import type { Envelope } from '../spool/envelope.js';
import { sameOrganisation } from '../policy/org-domain.js';
import type { SieveResult, VacationParams } from '../sieve/index.js';

export interface PlannedStore {
  /** The folder's API name ("INBOX", "Spam", "経理", "Archive/2024"). */
  folder: string;
  /** Its directory under the owner's Maildir. */
  dir: string;
  /** Maildir info letters for the system flags asked for ("FS"). */
  info: string;
}

export interface Plan {
  stores: PlannedStore[];
  redirects: { address: string; copy: boolean }[];
  reject: { reason: string; extended: boolean } | null;
  /** The script's vacation action, if any (the user's vacation settings take its place when they answer). */
  vacation: VacationParams | null;
  /** Things to log: folders that fell back, keywords that cannot be stored at delivery. */
  notes: string[];
}

/** The folder a message goes to when no rule says otherwise. */
export function defaultFolder(verdict: string | undefined, moveToSpam: boolean): string {
  return (verdict === 'spam' || verdict === 'reject') && moveToSpam ? 'Spam' : 'INBOX';
}

const LETTER: Record<string, string> = { '\\seen': 'S', '\\flagged': 'F', '\\answered': 'R', '\\deleted': 'T', '\\draft': 'D' };

/** Sieve flags → Maildir info letters (system flags); keywords are returned apart (the index keeps those, not names). */
export function flagLetters(flags: readonly string[]): { info: string; keywords: string[] } {
  const letters = new Set<string>();
  const keywords: string[] = [];
  for (const f of flags) {
    const l = LETTER[f.toLowerCase()];
    if (l) letters.add(l);
    else if (f && !f.startsWith('\\')) keywords.push(f);
  }
  return { info: [...letters].sort().join(''), keywords };
}

/**
 * A fileinto name → the folder and its directory, as the IMAP store names folders on disk (modified UTF-7
 * Maildir++). INBOX in any case is INBOX. A name the store cannot hold, or a folder that does not exist without
 * :create (Pigeonhole stores in the INBOX then; we use the default folder, which is the INBOX unless it is spam),
 * gives the default folder and a note; so does a new folder when `room` says the account has no room for one
 * ([accounts] max_folders, as IMAP CREATE). The server's own Spam folder always may be made.
 */
export function resolveFolder(root: string, name: string, create: boolean, fallback: string, exists?: (name: string) => boolean, room?: () => boolean): { folder: string; dir: string; note?: string } {
  const fb = () => ({ folder: fallback, dir: folderPath(root, fallback) });
  if (name.toUpperCase() === 'INBOX') return { folder: 'INBOX', dir: root };
  let dir: string;
  try {
    dir = folderPath(root, name);
  } catch {
    return { ...fb(), note: `folder name "${name}" cannot be stored: kept in ${fallback}` };
  }
  if (name === 'Spam' || (exists ? exists(name) : fs.existsSync(dir))) return { folder: name, dir };
  if (!create) return { ...fb(), note: `no folder "${name}" (fileinto without :create): kept in ${fallback}` };
  // a script that names folders from the mail (${1} of a :matches) must not let senders make folders without end
  if (room && !room()) return { ...fb(), note: `folder "${name}" not made: the account is at [accounts] max_folders; kept in ${fallback}` };
  return { folder: name, dir };
}

/**
 * May one more folder be made ([accounts] max_folders, counted as IMAP CREATE counts: INBOX and every folder)?
 * `folders` (the owner's folders besides INBOX) is read once, at the first new folder; each one made counts too.
 */
export function folderRoom(max: number, folders: () => number): () => boolean {
  let have: number | undefined;
  return () => {
    have ??= 1 + folders();
    if (have >= max) return false;
    have++;
    return true;
  };
}

/** Maildir++ folders (".name" directories) under an owner's Maildir; none while it does not exist. */
export function maildirFolderCount(root: string): number {
  try {
    return fs.readdirSync(root, { withFileTypes: true }).filter(isFolderEntry).length;
  } catch {
    return 0;
  }
}

/** Does the folder exist for this owner (mailboxexists, fileinto without :create)? */
export function folderExists(root: string, name: string): boolean {
  if (name.toUpperCase() === 'INBOX') return true;
  try {
    return fs.existsSync(folderPath(root, name));
  } catch {
    return false;
  }
}

/** The plan for one mailbox from an evaluation (or from nothing: `result` null keeps the message in the default folder). */
export function planFrom(result: SieveResult | null, root: string, fallback: string, exists?: (name: string) => boolean, room?: () => boolean): Plan {
  const plan: Plan = { stores: [], redirects: [], reject: null, vacation: null, notes: [] };
  const store = (name: string, flags: readonly string[], create: boolean) => {
    const f = resolveFolder(root, name, create, fallback, exists, room);
    if (f.note) plan.notes.push(f.note);
    const { info, keywords } = flagLetters(flags);
    if (keywords.length) plan.notes.push(`keywords not stored at delivery: ${keywords.join(' ')}`);
    const same = plan.stores.find((s) => s.dir === f.dir);
    if (same) same.info = [...new Set((same.info + info).split(''))].sort().join('');
    else plan.stores.push({ folder: f.folder, dir: f.dir, info });
  };
  if (!result) {
    store(fallback, [], true);
    return plan;
  }
  for (const a of result.actions) {
    switch (a.type) {
      case 'keep':
        store(fallback, a.flags, true);
        break;
      case 'fileinto':
        store(a.mailbox, a.flags, a.create);
        break;
      case 'redirect':
        plan.redirects.push({ address: a.address, copy: a.copy });
        break;
      case 'reject':
        plan.reject = { reason: a.reason, extended: a.extended };
        break;
      case 'vacation':
        plan.vacation ??= a;
        break;
      case 'discard':
        break;
    }
  }
  if (result.implicitKeep) store(fallback, result.implicitKeep.flags, true);
  // mail is never both refused and kept (joinResults drops a reject another script overrode; this is the same rule)
  if (plan.stores.length || plan.redirects.length) plan.reject = null;
  return plan;
}

/**
 * May a rejection be sent to this sender after the 250 (RFC 5429 §2.1)? Only when it cannot be forged: an
 * authenticated submitter; SPF passing for the MAIL FROM domain itself; or DMARC passing for a From: domain
 * aligned with it (relaxed: one organisational domain under the Public Suffix List, org-domain.ts). Everything
 * else gets no notice at all: never a bounce to a forged sender.
 */
export function senderVerified(env: Envelope, tags: readonly string[], headerFromDomain: string | null): boolean {
  if (!env.mailFrom) return false;
  if (env.client.user) return true;
  const domain = env.mailFrom.slice(env.mailFrom.lastIndexOf('@') + 1).toLowerCase();
  const spf = env.connection?.spf;
  if (spf?.result === 'pass' && spf.domain.toLowerCase() === domain) return true;
  // an aligned DMARC pass: the From: domain in the MAIL FROM domain's organisation (the Public Suffix List's
  // registered domain: never duckdns.org for evil.duckdns.org)
  if (tags.includes('DMARC_PASS') && headerFromDomain && sameOrganisation(headerFromDomain, domain)) return true;
  return false;
}
