// Where a list keeps its files: <data_dir>/lists/<domain>/<name>/ with held/ (posts awaiting moderation),
// digest/ (posts collected for the next digest) and archive/ (a Maildir). Names are checked before they
// become paths; nothing here writes.
import crypto from 'node:crypto';
import path from 'node:path';

export function listDir(dataDir: string, list: { name: string; domain: string }): string {
  for (const part of [list.name, list.domain]) {
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(part) || part.includes('..')) throw new Error(`unsafe list name: ${list.name}@${list.domain}`);
  }
  return path.join(dataDir, 'lists', list.domain, list.name);
}

export function heldFile(dataDir: string, list: { name: string; domain: string }, id: string): string {
  if (!/^[a-z2-7]{10}$/.test(id)) throw new Error(`bad held id: ${id}`);
  return path.join(listDir(dataDir, list), 'held', `${id}.eml`);
}

export function digestDir(dataDir: string, list: { name: string; domain: string }): string {
  return path.join(listDir(dataDir, list), 'digest');
}

/** The archive: a Maildir (cur/ new/ tmp/) of every distributed copy. */
export function archiveDir(dataDir: string, list: { name: string; domain: string }): string {
  return path.join(listDir(dataDir, list), 'archive');
}

/** A short stable hash (hex) for names made from list addresses and post keys. */
export function shortHash(...parts: string[]): string {
  return crypto.createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 24);
}
