// LOGIN (RFC 3501 §6.2.3): user@domain (or a bare user in the listener's domain) and password, checked by the
// shared login flow. Refused without TLS unless on loopback or allowed by [imap] allow_insecure_auth. The
// password is never logged.
import { NOT_AUTHENTICATED, no, type CommandDef } from '../command.js';
import { loginResult, PLAINTEXT_REFUSED } from '../auth.js';
import { loginAllowed } from '../session.js';

export const login: CommandDef = {
  names: ['LOGIN'],
  states: NOT_AUTHENTICATED,
  args: [
    { name: 'user', type: 'astring' },
    { name: 'password', type: 'astring' },
  ],
  async handle(s, a) {
    if (!loginAllowed(s)) return no(PLAINTEXT_REFUSED, 'PRIVACYREQUIRED');
    return loginResult(s, await s.shared.login.password(s.loginContext, a.user as string, a.password as string, 'LOGIN'));
  },
};
