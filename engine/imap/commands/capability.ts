// CAPABILITY (RFC 3501 §6.1.1): what this session may use now; the list changes after STARTTLS and login.
import { ANY_STATE, ok, type CommandDef } from '../command.js';
import { capabilities } from '../session.js';

export const capability: CommandDef = {
  names: ['CAPABILITY'],
  states: ANY_STATE,
  args: [],
  async handle(s) {
    s.send(`* CAPABILITY ${capabilities(s).join(' ')}`);
    return ok('CAPABILITY completed');
  },
};
