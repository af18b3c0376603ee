// CHECK (RFC 3501 §6.4.1): a checkpoint; the store is always durable, so it only reports updates like NOOP.
import { SELECTED, ok, type CommandDef } from '../command.js';

export const check: CommandDef = {
  names: ['CHECK'],
  states: SELECTED,
  args: [],
  async handle() {
    return ok('CHECK completed');
  },
};
