// STARTTLS (RFC 3501 §6.2.1): answer OK, then the session switches the socket to TLS and drops any
// plaintext the client pipelined after the command. Refused once TLS is on.
import { NOT_AUTHENTICATED, bad, ok, type CommandDef } from '../command.js';

export const starttls: CommandDef = {
  names: ['STARTTLS'],
  states: NOT_AUTHENTICATED,
  args: [],
  async handle(s) {
    if (s.secure) return bad('TLS is already active');
    s.tlsPending = true;
    return ok('Begin TLS negotiation now');
  },
};
