// EXAMINE (RFC 3501 §6.3.2): SELECT read-only; no \Seen is set by FETCH and no \Recent is claimed.
import { AUTHENTICATED, type CommandDef } from '../command.js';
import { openMailbox } from './select.js';

export const examine: CommandDef = {
  names: ['EXAMINE'],
  states: AUTHENTICATED,
  args: [
    { name: 'mailbox', type: 'mailbox' },
    { name: 'params', type: 'list', optional: true },
  ],
  handle: (s, a) => openMailbox(s, a, true),
};
