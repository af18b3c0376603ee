// UNSELECT (RFC 3691): leaves the selected state without expunging anything.
import { SELECTED, ok, type CommandDef } from '../command.js';

export const unselect: CommandDef = {
  names: ['UNSELECT'],
  states: SELECTED,
  args: [],
  async handle(s) {
    s.unselect();
    return ok('UNSELECT completed');
  },
};
