// RENAME (RFC 3501 §6.3.5): renames a folder with its subfolders; renaming INBOX moves its mail into a new
// folder and leaves INBOX empty. A list archive cannot be renamed, nor a folder renamed into "#lists/".
import { AUTHENTICATED, no, ok, sharedRefusal, type CommandDef } from '../command.js';
import { isSharedName } from '../list-archives.js';
import { findMailbox } from '../mailbox-ref.js';
import { SEPARATOR, existingFolder, validNewName } from '../folders.js';
import { folderLimit, missingParents } from './create.js';

export const rename: CommandDef = {
  names: ['RENAME'],
  states: AUTHENTICATED,
  args: [
    { name: 'from', type: 'mailbox' },
    { name: 'to', type: 'mailbox' },
  ],
  async handle(s, a) {
    const src = await findMailbox(s, a.from as string);
    if (!src) return no('No such mailbox', 'NONEXISTENT');
    if (src.shared) return sharedRefusal();
    const from = src.folder;
    const to = a.to as string;
    if (isSharedName(to)) return sharedRefusal();
    if (to === 'INBOX' || (await existingFolder(s.store, s.owner, to))) return no('Target mailbox exists', 'ALREADYEXISTS');
    if (!validNewName(to)) return no('Invalid mailbox name', 'CANNOT');
    if (to.startsWith(from + SEPARATOR)) return no('Cannot move a mailbox into itself', 'CANNOT');
    // the parents a rename creates count against [accounts] max_folders (create.ts)
    const parents = await missingParents(s, to);
    const over = parents.length ? await folderLimit(s, parents.length) : null;
    if (over) return over;
    for (const parent of parents) await s.store.createFolder(s.owner, parent);
    if (s.selected && !s.selected.shared && (s.selected.folder === from || s.selected.folder.startsWith(from + SEPARATOR))) s.unselect();
    await s.store.renameFolder(s.owner, from, to);
    const subs = await s.store.subscriptions(s.owner);
    for (const f of subs) {
      if (from !== 'INBOX' && (f === from || f.startsWith(from + SEPARATOR))) {
        await s.store.setSubscribed(s.owner, f, false);
        await s.store.setSubscribed(s.owner, to + f.slice(from.length), true);
      }
    }
    s.log('rename', { from, to });
    return ok('RENAME completed');
  },
};
