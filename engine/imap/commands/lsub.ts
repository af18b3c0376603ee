// LSUB (RFC 3501 §6.3.9): like LIST over the subscribed names only.
import { AUTHENTICATED, type CommandDef } from '../command.js';
import { listFolders } from './list.js';

export const lsub: CommandDef = {
  names: ['LSUB'],
  states: AUTHENTICATED,
  args: [
    { name: 'reference', type: 'pattern' },
    { name: 'pattern', type: 'pattern' },
  ],
  handle: (s, a) => listFolders(s, a, 'LSUB'),
};
