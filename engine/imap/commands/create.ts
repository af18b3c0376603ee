// CREATE (RFC 3501 §6.3.3): a new folder; a trailing separator is dropped, missing parents are created.
// Nothing is created in the shared namespace "#lists/" (list archives exist as their lists do): NOPERM for all.
import { AUTHENTICATED, no, ok, sharedRefusal, type CommandDef } from '../command.js';
import { isSharedName } from '../list-archives.js';
import { SEPARATOR, existingFolder, validNewName } from '../folders.js';

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
    const levels = name.split(SEPARATOR);
    for (let i = 1; i < levels.length; i++) {
      const parent = levels.slice(0, i).join(SEPARATOR);
      if (!(await existingFolder(s.store, s.owner, parent))) await s.store.createFolder(s.owner, parent);
    }
    await s.store.createFolder(s.owner, name);
    s.log('create', { folder: name });
    return ok('CREATE completed');
  },
};
