// SUBSCRIBE (RFC 3501 §6.3.6): adds an existing folder to the LSUB list.
import { AUTHENTICATED, no, ok, type CommandDef } from '../command.js';
import { existingFolder } from '../folders.js';

export const subscribe: CommandDef = {
  names: ['SUBSCRIBE'],
  states: AUTHENTICATED,
  args: [{ name: 'mailbox', type: 'mailbox' }],
  async handle(s, a) {
    const folder = await existingFolder(s.store, s.owner, a.mailbox as string);
    if (!folder) return no('No such mailbox', 'NONEXISTENT');
    await s.store.setSubscribed(s.owner, folder, true);
    return ok('SUBSCRIBE completed');
  },
};
