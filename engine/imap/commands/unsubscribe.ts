// UNSUBSCRIBE (RFC 3501 §6.3.7): removes a name from the LSUB list (the folder itself stays).
import { AUTHENTICATED, ok, type CommandDef } from '../command.js';

export const unsubscribe: CommandDef = {
  names: ['UNSUBSCRIBE'],
  states: AUTHENTICATED,
  args: [{ name: 'mailbox', type: 'mailbox' }],
  async handle(s, a) {
    await s.store.setSubscribed(s.owner, a.mailbox as string, false);
    return ok('UNSUBSCRIBE completed');
  },
};
