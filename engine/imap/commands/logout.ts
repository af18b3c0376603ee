// LOGOUT (RFC 3501 §6.1.3): untagged BYE, tagged OK, then the session closes the connection.
import { ANY_STATE, ok, type CommandDef } from '../command.js';

export const logout: CommandDef = {
  names: ['LOGOUT'],
  states: ANY_STATE,
  args: [],
  async handle(s) {
    s.send('* BYE tegami logging out');
    s.unselect();
    s.state = 'logout';
    return ok('LOGOUT completed');
  },
};
