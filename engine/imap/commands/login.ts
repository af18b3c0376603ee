// LOGIN (RFC 3501 §6.2.3): user@domain (or a bare user in the listener's domain) and password. Refused
// without TLS unless on loopback or allowed by [imap] allow_insecure_auth. The password is never logged.
import { NOT_AUTHENTICATED, type CommandDef } from '../command.js';
import { checkLogin } from '../auth.js';

export const login: CommandDef = {
  names: ['LOGIN'],
  states: NOT_AUTHENTICATED,
  args: [
    { name: 'user', type: 'astring' },
    { name: 'password', type: 'astring' },
  ],
  async handle(s, a) {
    return checkLogin(s, a.user as string, a.password as string, 'LOGIN');
  },
};
