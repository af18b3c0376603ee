// DELETE (RFC 3501 §6.3.4): removes a folder and its mail. INBOX cannot be deleted, nor a folder with
// subfolders (we have no \Noselect folders to leave behind).
import { AUTHENTICATED, no, ok, type CommandDef } from '../command.js';
import { SEPARATOR, existingFolder } from '../folders.js';

export const del: CommandDef = {
  names: ['DELETE'],
  states: AUTHENTICATED,
  args: [{ name: 'mailbox', type: 'mailbox' }],
  async handle(s, a) {
    const name = a.mailbox as string;
    if (name === 'INBOX') return no('INBOX cannot be deleted', 'CANNOT');
    const folder = await existingFolder(s.store, s.owner, name);
    if (!folder) return no('No such mailbox', 'NONEXISTENT');
    const all = await s.store.listFolders(s.owner);
    if (all.some((f) => f.startsWith(folder + SEPARATOR))) return no('Mailbox has subfolders', 'INUSE');
    if (s.selected?.folder === folder) s.unselect();
    await s.store.deleteFolder(s.owner, folder);
    await s.store.setSubscribed(s.owner, folder, false);
    s.log('delete', { folder });
    return ok('DELETE completed');
  },
};
