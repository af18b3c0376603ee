// AUTHENTICATE PLAIN (RFC 3501 §6.2.2, RFC 4616), with the initial response inline (SASL-IR) or after "+ ".
// "*" from the client cancels. Same plaintext policy and throttling as LOGIN.
import { NOT_AUTHENTICATED, bad, no, type CommandDef } from '../command.js';
import { checkLogin, decodePlain } from '../auth.js';
import { loginAllowed } from '../session.js';

export const authenticate: CommandDef = {
  names: ['AUTHENTICATE'],
  states: NOT_AUTHENTICATED,
  args: [
    { name: 'mechanism', type: 'atom' },
    { name: 'initial', type: 'atom', optional: true },
  ],
  async handle(s, a) {
    if ((a.mechanism as string).toUpperCase() !== 'PLAIN') return no('Unsupported authentication mechanism', 'CANNOT');
    if (!loginAllowed(s)) return no('Plaintext authentication disallowed without TLS; use STARTTLS', 'PRIVACYREQUIRED');
    let response = a.initial as string | undefined;
    if (response === undefined) {
      s.send('+ ');
      const ev = await s.next('line');
      if (!ev || ev.kind !== 'line') return bad('Authentication aborted');
      response = ev.data.toString('latin1').trim();
    }
    if (response === '*') return bad('Authentication cancelled');
    const creds = decodePlain(response === '=' ? '' : response);
    if (!creds) return bad('Malformed PLAIN response');
    return checkLogin(s, creds.login, creds.password, 'PLAIN');
  },
};
