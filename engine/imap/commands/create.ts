// CREATE (RFC 3501 §6.3.3): a new folder; a trailing separator is dropped, missing parents are created.
// Nothing is created in the shared namespace "#lists/" (list archives exist as their lists do): NOPERM for all.
// An account keeps at most [accounts] max_folders folders (parents included): NO [LIMIT] (RFC 5530) past it.
import { AUTHENTICATED, no, ok, sharedRefusal, type CommandDef, type Result } from '../command.js';
import { isSharedName } from '../list-archives.js';
import { SEPARATOR, existingFolder, validNewName } from '../folders.js';
import type { Session } from '../session.js';

/** The parents of `name` that do not exist yet, outermost first. */
export async function missingParents(s: Session, name: string): Promise<string[]> {
  const levels = name.split(SEPARATOR);
  const out: string[] = [];
  for (let i = 1; i < levels.length; i++) {
    const parent = levels.slice(0, i).join(SEPARATOR);
    if (!(await existingFolder(s.store, s.owner, parent))) out.push(parent);
  }
  return out;
}

/** NO [LIMIT] when `adding` more folders would pass the account's [accounts] max_folders; null when they fit. */
export async function folderLimit(s: Session, adding: number): Promise<Result | null> {
  const max = s.config.accounts.max_folders;
  const have = (await s.store.listFolders(s.owner)).length;
  return have + adding > max ? no(`An account keeps at most ${max} folders (it has ${have})`, 'LIMIT') : null;
}

export const create: CommandDef = {
  names: ['CREATE'],
  states: AUTHENTICATED,
  args: [{ name: 'mailbox', type: 'mailbox' }],
  async handle(s, a) {
    let name = a.mailbox as string;
    if (name.endsWith(SEPARATOR)) name = name.slice(0, -1);
    if (isSharedName(name)) return sharedRefusal();
    if (name.toUpperCase() === 'INBOX' || (await existingFolder(s.store, s.owner, name))) return no('Mailbox already exists', 'ALREADYEXISTS');
    if (!validNewName(name)) return no('Invalid mailbox name', 'CANNOT');
    const parents = await missingParents(s, name);
    const over = await folderLimit(s, parents.length + 1);
    if (over) return over;
    for (const parent of parents) await s.store.createFolder(s.owner, parent);
    await s.store.createFolder(s.owner, name);
    s.log('create', { folder: name });
    return ok('CREATE completed');
  },
};
