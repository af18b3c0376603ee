// SUBSCRIBE (RFC 3501 §6.3.6): adds an existing folder to the LSUB list. The list archives a user can see are
// always subscribed: SUBSCRIBE to one is a no-op.
import { AUTHENTICATED, no, ok, type CommandDef } from '../command.js';
import { findMailbox } from '../mailbox-ref.js';

export const subscribe: CommandDef = {
  names: ['SUBSCRIBE'],
  states: AUTHENTICATED,
  args: [{ name: 'mailbox', type: 'mailbox' }],
  async handle(s, a) {
    const ref = await findMailbox(s, a.mailbox as string);
    if (!ref) return no('No such mailbox', 'NONEXISTENT');
    if (!ref.shared) await s.store.setSubscribed(s.owner, ref.folder, true);
    return ok('SUBSCRIBE completed');
  },
};
