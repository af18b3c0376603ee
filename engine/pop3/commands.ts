// The POP3 commands (RFC 1939, CAPA RFC 2449, STLS RFC 2595, AUTH RFC 5034), each declaring the states it
// is valid in; session.ts checks that before running it. Logins (USER/PASS, APOP, AUTH with every SASL
// mechanism of the shared login flow) only map the flow's results to replies. XTND XMIT and password change
// are not offered. Handlers answer through the session; they never touch the socket directly or log a credential.
import { Maildrop, type DropMessage } from './maildrop.js';
import type { LoginResult, SaslExchange, SaslStep } from '../net/login.js';
import { multilineBody, retrReply, topBody } from './message-output.js';
import type { Pop3Session, State } from './session.js';

export interface Command {
  states: State[];
  run(s: Pop3Session, arg: string): Promise<void>;
}

const AUTHZ: State[] = ['AUTHORIZATION'];
const TRANS: State[] = ['TRANSACTION'];
const BOTH: State[] = ['AUTHORIZATION', 'TRANSACTION'];

/** A message number argument: 1–9 digits, no sign, no leading zero. */
function msgNumber(arg: string): number | null {
  return /^[1-9]\d{0,8}$/.test(arg) ? Number(arg) : null;
}

/** Look up a message by number; answers -ERR itself when there is none. */
function message(s: Pop3Session, arg: string) {
  const n = msgNumber(arg);
  if (n === null) {
    s.error('Invalid message number');
    return null;
  }
  const m = s.drop!.get(n);
  if (!m) {
    s.reply(s.drop!.exists(n) ? `-ERR Message ${n} already deleted` : `-ERR No such message`);
    return null;
  }
  return { n, m };
}

/** The message's octets, or null (answered -ERR) when another client removed it during this session (the store's NONEXISTENT). */
async function readMessage(s: Pop3Session, m: DropMessage): Promise<Buffer | null> {
  try {
    return await s.drop!.read(m);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'NONEXISTENT') {
      s.reply('-ERR Message was removed by another session');
      return null;
    }
    throw e;
  }
}

async function finishLogin(s: Pop3Session, result: LoginResult, mechanism: string): Promise<void> {
  if (result.kind !== 'ok') return s.loginFailed(result.kind);
  const drop = await Maildrop.open(s.deps.store, result.user.address);
  return s.loggedIn(result.user, mechanism, drop);
}

/** Map one step of a SASL exchange to POP3 (RFC 5034): "+ challenge", or the outcome. */
async function saslStep(s: Pop3Session, x: SaslExchange, step: SaslStep): Promise<void> {
  switch (step.kind) {
    case 'challenge':
      s.expectSaslResponse(async (line) => saslStep(s, x, await x.respond(line)));
      return s.reply(`+ ${step.data}`);
    case 'cancelled':
      return s.error('Authentication cancelled');
    case 'malformed':
      return s.error(step.text);
    case 'done':
      return finishLogin(s, step.result, x.mechanism);
  }
}

const PLAINTEXT_REFUSED = '-ERR [AUTH] Plaintext authentication disallowed on non-secure connections; use STLS';

export const COMMANDS: Record<string, Command> = {
  CAPA: {
    states: BOTH,
    async run(s) {
      const caps = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
      if (s.state === 'AUTHORIZATION') {
        if (s.plaintextAllowed) caps.push('USER');
        const mechs = s.mechanisms();
        if (mechs.length) caps.push(`SASL ${mechs.join(' ')}`);
        if (s.canStartTls) caps.push('STLS');
      }
      caps.push('IMPLEMENTATION tegami');
      s.reply(`+OK Capability list follows\r\n${caps.join('\r\n')}\r\n.`);
    },
  },

  STLS: {
    states: AUTHZ,
    async run(s, arg) {
      if (arg) return s.error('STLS takes no argument');
      if (s.secure) return s.error('Already using TLS');
      if (!s.canStartTls) return s.error('TLS not available');
      s.reply('+OK Begin TLS negotiation');
      await s.startTls();
    },
  },

  USER: {
    states: AUTHZ,
    async run(s, arg) {
      if (!s.plaintextAllowed) return s.reply(PLAINTEXT_REFUSED);
      if (!arg || arg.length > 255) return s.error('USER needs a name');
      s.userName = arg;
      s.reply('+OK Send your password');
    },
  },

  PASS: {
    states: AUTHZ,
    async run(s, arg) {
      if (!s.plaintextAllowed) return s.reply(PLAINTEXT_REFUSED);
      const login = s.userName;
      s.userName = undefined;
      if (!login) return s.error('USER first');
      if (!arg) return s.error('PASS needs a password');
      await finishLogin(s, await s.deps.login.password(s.loginContext, login, arg, 'USER'), 'USER');
    },
  },

  APOP: {
    states: AUTHZ,
    async run(s, arg) {
      if (!s.apopEnabled) return s.error('APOP not available');
      const m = /^(\S+) ([0-9A-Fa-f]{32})$/.exec(arg);
      if (!m) return s.error('Syntax: APOP name digest');
      await finishLogin(s, await s.deps.login.apop(s.loginContext, m[1], s.timestamp, m[2]), 'APOP');
    },
  },

  AUTH: {
    states: AUTHZ,
    async run(s, arg) {
      const mechs = s.mechanisms();
      if (!arg) {
        // the mechanism list (RFC 1734 practice, which some clients still send)
        return s.reply(`+OK\r\n${mechs.join('\r\n')}${mechs.length ? '\r\n' : ''}.`);
      }
      const [mechRaw, initial, extra] = arg.split(' ');
      const mech = mechRaw.toUpperCase();
      if (extra !== undefined) return s.error('Syntax: AUTH mechanism [initial-response]');
      if ((mech === 'PLAIN' || mech === 'LOGIN') && !s.plaintextAllowed) return s.reply(PLAINTEXT_REFUSED);
      const x = s.deps.login.sasl(s.loginContext, mech, mechs);
      if (!x) return s.error('Unsupported authentication mechanism');
      await saslStep(s, x, await x.start(initial));
    },
  },

  STAT: {
    states: TRANS,
    async run(s, arg) {
      if (arg) return s.error('STAT takes no argument');
      const { count, size } = s.drop!.stat();
      s.reply(`+OK ${count} ${size}`);
    },
  },

  LIST: {
    states: TRANS,
    async run(s, arg) {
      const drop = s.drop!;
      if (arg) {
        const r = message(s, arg);
        if (r) s.reply(`+OK ${r.n} ${r.m.size}`);
        return;
      }
      const { count, size } = drop.stat();
      const lines = [`+OK ${count} messages (${size} octets)`];
      drop.messages.forEach((m, i) => {
        if (!m.deleted) lines.push(`${i + 1} ${m.size}`);
      });
      lines.push('.');
      await s.replyMulti(lines.join('\r\n'), []);
    },
  },

  UIDL: {
    states: TRANS,
    async run(s, arg) {
      const drop = s.drop!;
      if (arg) {
        const r = message(s, arg);
        if (r) s.reply(`+OK ${r.n} ${r.m.uidl}`);
        return;
      }
      const lines = ['+OK Unique-ID listing follows'];
      drop.messages.forEach((m, i) => {
        if (!m.deleted) lines.push(`${i + 1} ${m.uidl}`);
      });
      lines.push('.');
      await s.replyMulti(lines.join('\r\n'), []);
    },
  },

  RETR: {
    states: TRANS,
    async run(s, arg) {
      const r = message(s, arg);
      if (!r) return;
      const drop = s.drop!;
      const status = `+OK ${r.m.size} octets`;
      // read into the reply's own buffer when the store knows the file; else (renamed, removed, large) read()
      const whole = retrReply(status, r.m.size, (buf, at) => drop.readInto(r.m, buf, at));
      if (whole) {
        drop.markRetrieved(r.m);
        return s.replyBuffer(whole.buf, whole.len);
      }
      const body = await readMessage(s, r.m);
      if (!body) return;
      drop.markRetrieved(r.m);
      await s.replyMulti(status, multilineBody(body));
    },
  },

  TOP: {
    states: TRANS,
    async run(s, arg) {
      const m = /^(\S+) (\d{1,9})$/.exec(arg);
      if (!m) return s.error('Syntax: TOP msg lines');
      const r = message(s, m[1]);
      if (!r) return;
      const body = await readMessage(s, r.m);
      if (!body) return;
      await s.replyMulti('+OK Top of message follows', topBody(body, Number(m[2])));
    },
  },

  DELE: {
    states: TRANS,
    async run(s, arg) {
      const r = message(s, arg);
      if (!r) return;
      r.m.deleted = true;
      s.reply(`+OK Message ${r.n} deleted`);
    },
  },

  RSET: {
    states: TRANS,
    async run(s, arg) {
      if (arg) return s.error('RSET takes no argument');
      s.drop!.reset();
      const { count, size } = s.drop!.stat();
      s.reply(`+OK ${count} messages (${size} octets)`);
    },
  },

  NOOP: {
    states: TRANS,
    async run(s) {
      s.reply('+OK');
    },
  },

  QUIT: {
    states: BOTH,
    async run(s) {
      if (s.state === 'AUTHORIZATION') {
        s.reply(`+OK ${s.config.hostname} POP3 server signing off`);
        return s.end();
      }
      s.state = 'UPDATE';
      try {
        const removed = await s.drop!.commit();
        const left = s.drop!.messages.length - removed;
        s.log('info', 'update', { user: s.user?.address, deleted: removed });
        await s.finish(true);
        s.reply(`+OK ${s.config.hostname} POP3 server signing off (${left} messages left)`);
      } catch (e) {
        s.log('error', 'update-failed', { error: (e as Error).message });
        await s.finish(true);
        s.reply('-ERR [SYS/TEMP] Some deleted messages not removed');
      }
      await s.end();
    },
  },
};
