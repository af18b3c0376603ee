// The connection-level ManageSieve commands (RFC 5804 §2.1–2.5, 2.11, 2.14): AUTHENTICATE with the shared login
// flow's SASL mechanisms (strings as challenges, "*" cancels), STARTTLS, UNAUTHENTICATE, LOGOUT, CAPABILITY and
// NOOP. Plaintext mechanisms only where the login flow allows them; failures counted per session.
import { no, ok, sieveString, type CommandDef } from '../command.js';
import type { Session } from '../session.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The client's next SASL response: one string (quoted or literal); null when it sent something else or left. */
async function saslResponse(s: Session): Promise<string | null> {
  const ev = await s.next();
  if (!ev || ev.kind !== 'command' || ev.tokens.length !== 1 || ev.tokens[0].t !== 'string') return null;
  try {
    return utf8.decode(ev.tokens[0].v);
  } catch {
    return null;
  }
}

export const authenticate: CommandDef = {
  name: 'AUTHENTICATE',
  states: ['nonauth'],
  args: [
    { name: 'mechanism', type: 'string' },
    { name: 'initial', type: 'string', optional: true },
  ],
  async handle(s, a) {
    const name = (a.mechanism as string).toUpperCase();
    if ((name === 'PLAIN' || name === 'LOGIN') && !s.plaintextOk) return no('Plaintext authentication needs TLS: use STARTTLS', 'ENCRYPT-NEEDED');
    const x = s.shared.login.sasl(s.loginContext, name, s.shared.login.mechanisms(s.plaintextOk));
    if (!x) return no(`Unsupported authentication mechanism ${name.slice(0, 30)}`);
    const initial = a.initial as string | undefined;
    let step = await x.start(initial === undefined ? undefined : initial === '' ? '=' : initial);
    while (step.kind === 'challenge') {
      s.write(`${sieveString(step.data)}\r\n`);
      const line = await saslResponse(s);
      if (line === null) return no('Authentication aborted: expected a string');
      step = await x.respond(line);
    }
    if (step.kind === 'cancelled') return no('Authentication cancelled');
    if (step.kind === 'malformed') return no(step.text);
    const r = step.result;
    if (r.kind === 'blocked') return no('Too many failed logins; try again later', 'TRYLATER');
    if (r.kind === 'busy') return no('Login temporarily unavailable; try again later', 'TRYLATER');
    if (r.kind === 'failed') {
      if (++s.authFailures >= 3) return { status: 'BYE', text: 'Too many failed logins' };
      return no('Authentication failed');
    }
    s.authenticated(r.user);
    return ok('Logged in');
  },
};

export const starttls: CommandDef = {
  name: 'STARTTLS',
  states: ['nonauth'],
  args: [],
  async handle(s) {
    if (s.secure) return no('TLS is already active');
    s.tlsPending = true;
    return ok('Begin TLS negotiation now');
  },
};

export const unauthenticate: CommandDef = {
  name: 'UNAUTHENTICATE',
  states: ['auth'],
  args: [],
  async handle(s) {
    s.log('unauthenticate');
    s.unauthenticate();
    return ok('Logged out; authenticate again');
  },
};

export const logout: CommandDef = {
  name: 'LOGOUT',
  states: ['nonauth', 'auth'],
  args: [],
  async handle(s) {
    s.closing = true;
    return ok('Logout completed');
  },
};

export const capability: CommandDef = {
  name: 'CAPABILITY',
  states: ['nonauth', 'auth'],
  args: [],
  async handle(s) {
    s.write(s.capabilities());
    return ok('Capability completed');
  },
};

export const noop: CommandDef = {
  name: 'NOOP',
  states: ['nonauth', 'auth'],
  args: [{ name: 'tag', type: 'string', optional: true }],
  async handle(_s, a) {
    return a.tag === undefined ? ok('Done') : ok('Done', `TAG ${sieveString(a.tag as string)}`);
  },
};
