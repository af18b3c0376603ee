// UNSUBSCRIBE (RFC 3501 §6.3.7): removes a name from the LSUB list (the folder itself stays). Shared names
// ("#lists/...") never reach the user's store: a visible list archive stays subscribed (CANNOT), others do not exist.
import { AUTHENTICATED, no, ok, type CommandDef } from '../command.js';
import { isSharedName } from '../list-archives.js';

export const unsubscribe: CommandDef = {
  names: ['UNSUBSCRIBE'],
  states: AUTHENTICATED,
  args: [{ name: 'mailbox', type: 'mailbox' }],
  async handle(s, a) {
    const name = a.mailbox as string;
    if (isSharedName(name)) {
      return s.shared.archives?.resolve(s.owner, name)
        ? no('List archives are always subscribed', 'CANNOT')
        : no('No such mailbox', 'NONEXISTENT');
    }
    await s.store.setSubscribed(s.owner, name, false);
    return ok('UNSUBSCRIBE completed');
  },
};
