// NOOP (RFC 3501 §6.1.2): does nothing; the session loop sends pending mailbox updates after it.
import { ANY_STATE, ok, type CommandDef } from '../command.js';

export const noop: CommandDef = {
  names: ['NOOP'],
  states: ANY_STATE,
  args: [],
  async handle() {
    return ok('NOOP completed');
  },
};
