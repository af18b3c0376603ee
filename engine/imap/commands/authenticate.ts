// AUTHENTICATE (RFC 3501 §6.2.2) with every SASL mechanism of the shared login flow (SCRAM-SHA-256, CRAM-MD5,
// PLAIN, LOGIN), the initial response inline (SASL-IR, RFC 4959) or after "+". "*" cancels; a response that is
// not base64 (or breaks the mechanism's syntax) ends the exchange with BAD. Same plaintext policy and
// throttling as LOGIN.
import { NOT_AUTHENTICATED, bad, no, type CommandDef } from '../command.js';
import { loginResult, PLAINTEXT_REFUSED } from '../auth.js';
import { capabilities, loginAllowed } from '../session.js';

export const authenticate: CommandDef = {
  names: ['AUTHENTICATE'],
  states: NOT_AUTHENTICATED,
  args: [
    { name: 'mechanism', type: 'atom' },
    { name: 'initial', type: 'atom', optional: true },
  ],
  async handle(s, a) {
    const name = (a.mechanism as string).toUpperCase();
    if ((name === 'PLAIN' || name === 'LOGIN') && !loginAllowed(s)) return no(PLAINTEXT_REFUSED, 'PRIVACYREQUIRED');
    const offered = capabilities(s).filter((c) => c.startsWith('AUTH=')).map((c) => c.slice(5));
    const x = s.shared.login.sasl(s.loginContext, name, offered);
    if (!x) return no('Unsupported authentication mechanism', 'CANNOT');
    let step = await x.start(a.initial as string | undefined);
    while (step.kind === 'challenge') {
      s.send(`+ ${step.data}`);
      const ev = await s.next('line');
      if (!ev || ev.kind !== 'line') return bad('Authentication aborted');
      step = await x.respond(ev.data.toString('latin1'));
    }
    if (step.kind === 'cancelled') return bad('Authentication cancelled');
    if (step.kind === 'malformed') return bad(step.text);
    return loginResult(s, step.result);
  },
};
