// DELETE (RFC 3501 §6.3.4): removes a folder and its mail. INBOX cannot be deleted, nor a folder with
// subfolders (we have no \Noselect folders to leave behind). A list archive cannot be deleted (NOPERM).
import { AUTHENTICATED, no, ok, sharedRefusal, type CommandDef } from '../command.js';
import { SEPARATOR } from '../folders.js';
import { findMailbox } from '../mailbox-ref.js';

export const del: CommandDef = {
  names: ['DELETE'],
  states: AUTHENTICATED,
  args: [{ name: 'mailbox', type: 'mailbox' }],
  async handle(s, a) {
    const name = a.mailbox as string;
    if (name === 'INBOX') return no('INBOX cannot be deleted', 'CANNOT');
    const ref = await findMailbox(s, name);
    if (!ref) return no('No such mailbox', 'NONEXISTENT');
    if (ref.shared) return sharedRefusal();
    const folder = ref.folder;
    const all = await s.store.listFolders(s.owner);
    if (all.some((f) => f.startsWith(folder + SEPARATOR))) return no('Mailbox has subfolders', 'INUSE');
    if (s.selected && !s.selected.shared && s.selected.folder === folder) s.unselect();
    await s.store.deleteFolder(s.owner, folder);
    await s.store.setSubscribed(s.owner, folder, false);
    s.log('delete', { folder });
    return ok('DELETE completed');
  },
};
