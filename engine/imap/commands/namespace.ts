// NAMESPACE (RFC 2342): one personal namespace with "/" as separator; no shared or other users' folders.
import { AUTHENTICATED, ok, type CommandDef } from '../command.js';
import { SEPARATOR } from '../folders.js';

export const namespace: CommandDef = {
  names: ['NAMESPACE'],
  states: AUTHENTICATED,
  args: [],
  async handle(s) {
    s.send(`* NAMESPACE (("" "${SEPARATOR}")) NIL NIL`);
    return ok('NAMESPACE completed');
  },
};
