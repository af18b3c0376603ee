// The SMTP commands (RFC 5321 §4.1, 1869 EHLO, 2920 PIPELINING, 3207 STARTTLS, 4954 AUTH, 3461 DSN) of one
// connection, with the replies clients have always had from this server. Each either answers at once or sets
// the connection busy until its hook calls back (then resumeInput()).
import { mailParamsError, paramSyntaxError, parseAddressCommand, rcptParamsError } from './address.js';
import type { SmtpConnection } from './connection.js';
import { MAILBOX_SYNTAX, MAIL_OK, RCPT_OK, SENDER_SYNTAX } from './reply.js';
import type { SaslReply, SmtpSession } from './types.js';

 
const CONTROL = /[\x00-\x1F\x7F-\x9F]/;
const MAX_HELO = 300;

type Handler = (c: SmtpConnection, line: string) => void;

const HANDLERS: Record<string, Handler> = {
  EHLO: (c, line) => hello(c, line, 'EHLO'),
  HELO: (c, line) => hello(c, line, 'HELO'),
  QUIT: (c) => {
    c.reply(221, 'Bye');
    c.close();
  },
  NOOP: (c) => c.reply(250, 'OK'),
  RSET: (c) => {
    c.resetTransaction();
    c.reply(250, 'Flushed');
  },
  HELP: (c) => c.reply(214, 'See https://tools.ietf.org/html/rfc5321 for details'),
  VRFY: (c, line) => {
    const arg = words(line).slice(1).join(' ');
    if (!arg) return c.reply(501, 'Error: Syntax: VRFY address');
    wait(c);
    c.o.onVrfy(arg, c.session, (code, text) => {
      c.reply(code, text);
      c.resumeInput();
    });
  },
  EXPN: (c, line) => {
    const expn = c.o.onExpn;
    if (!expn) return c.reply(502, 'Error: EXPN not available');
    wait(c);
    expn(words(line).slice(1).join(' '), c.session, (code, text) => {
      c.reply(code, text);
      c.resumeInput();
    });
  },
  STARTTLS: (c, line) => {
    if (words(line).length > 1) return c.reply(501, 'Error: syntax: STARTTLS');
    if (c.session.secure) return c.reply(503, 'Error: TLS already active');
    c.startTls();
  },
  AUTH: auth,
  MAIL: mail,
  RCPT: rcpt,
  DATA: data,
};

/** Runs one command line whose verb is `verb` (upper case). */
export function runCommand(c: SmtpConnection, verb: string, line: string): void {
  const handler = Object.hasOwn(HANDLERS, verb) ? HANDLERS[verb] : undefined;
  if (verb === 'HELO' || verb === 'EHLO') c.session.openingCommand = verb;
  if (!handler || (verb === 'STARTTLS' && !c.o.tls && !c.session.secure)) {
    if (++c.unrecognized >= 10) return c.reply(421, 'Error: too many unrecognized commands');
    return c.reply(500, 'Error: command not recognized');
  }
  const s = c.session;
  // a submission port: a client that will not log in gets a few commands, then the door
  if (!s.user && !c.o.authOptional && verb !== 'AUTH' && ++c.unauthenticated >= 10) return c.reply(421, 'Error: too many unauthenticated commands');
  if (!s.hostNameAppearsAs && (verb === 'MAIL' || verb === 'RCPT' || verb === 'DATA' || verb === 'AUTH')) return c.reply(503, 'Error: send HELO/EHLO first');
  if (!s.user && !c.o.authOptional && (verb === 'MAIL' || verb === 'RCPT' || verb === 'DATA')) return c.reply(530, 'Error: authentication Required');
  try {
    handler(c, line);
  } catch (e) {
    c.o.onError(s, e as Error);
    c.reply(451, 'Error: internal server error');
    c.resumeInput();
  }
}

function words(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** The command waits for a hook; input stays buffered until resumeInput(). */
function wait(c: SmtpConnection): void {
  c.busy = true;
}

function hello(c: SmtpConnection, line: string, verb: 'HELO' | 'EHLO'): void {
  const parts = words(line);
  const host = parts[1] ?? '';
  if (parts.length !== 2) return c.reply(501, verb === 'EHLO' ? 'Error: syntax: EHLO hostname' : 'Error: Syntax: HELO hostname', false);
  if (host.length > MAX_HELO || CONTROL.test(host)) return c.reply(501, 'Error: Bad hostname syntax', false);
  const s = c.session;
  s.hostNameAppearsAs = host.toLowerCase();
  s.openingCommand = verb;
  s.transmissionType = transmissionType(s);
  c.resetTransaction(); // HELO/EHLO is a RSET as well
  const greeting = `${c.o.name} Nice to meet you, ${s.clientHostname}`;
  if (verb === 'HELO') return c.reply(250, greeting, false);
  const features = [greeting, 'PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN'];
  const mechanisms = c.o.authMethodsFor(s, s.secure);
  if (mechanisms.length && !s.user) features.push(`AUTH ${mechanisms.join(' ')}`);
  if (!s.secure && c.o.tls) features.push('STARTTLS');
  if (c.o.size) features.push(`SIZE ${c.o.size}`);
  c.reply(250, features, false);
}

export function transmissionType(s: SmtpSession): string {
  return `${s.openingCommand === 'EHLO' ? 'E' : ''}SMTP${s.secure ? 'S' : ''}${s.user ? 'A' : ''}`;
}

function auth(c: SmtpConnection, line: string): void {
  const args = words(line).slice(1);
  const method = (args.shift() ?? '').toUpperCase();
  const s = c.session;
  if (s.user) return c.reply(503, 'Error: No identity changes permitted');
  // RFC 4954 §4: not within a transaction — its MAIL FROM was judged for a stranger (sender ownership, the
  // sending limits), and a login now would let its RCPTs relay under that unchecked sender
  if (s.envelope.mailFrom) return c.reply(503, 'Error: AUTH not permitted during a mail transaction');
  if (!c.o.authMethods.includes(method)) return c.reply(504, 'Error: Unrecognized authentication type');
  if (!c.o.authMethodsFor(s, s.secure).includes(method)) return c.reply(538, '5.7.11 Encryption required for requested authentication mechanism');
  if (args.length > 1) return c.reply(501, '5.5.4 Syntax: AUTH mechanism [initial-response]');
  const exchange = c.o.onSaslStart(method, s);
  const answer = (r: SaslReply) => {
    if (r.user) {
      s.user = r.user;
      s.transmissionType = transmissionType(s);
    }
    if (r.more) c.saslNext = (response) => void exchange.respond(response).then(answer, failed);
    c.reply(r.code, r.message);
    c.resumeInput();
  };
  const failed = (e: Error) => {
    c.o.onError(s, e);
    c.reply(454, '4.7.0 Temporary authentication failure');
    c.resumeInput();
  };
  wait(c);
  exchange.start(args[0]).then(answer, failed);
}

function mail(c: SmtpConnection, line: string): void {
  const p = parseAddressCommand('MAIL FROM', line);
  if (!p.ok) return c.reply(501, 'Error: Bad sender address syntax', SENDER_SYNTAX);
  const syntax = paramSyntaxError(p, 'MAIL');
  if (syntax) return c.reply(syntax.code, syntax.text);
  const env = c.session.envelope;
  if (env.mailFrom) return c.reply(503, 'Error: nested MAIL command');
  const bad = mailParamsError(p, c.o.size);
  if (bad) return c.reply(bad.code, bad.text, bad.enhanced);
  wait(c);
  c.o.onMailFrom(p.value, c.session, (err) => {
    if (err) c.reply(err.responseCode || 550, err.message);
    else {
      // the parameters are the transaction's only once its MAIL is accepted: a refused MAIL leaves nothing behind
      // for the next one (its RET and ENVID were kept and became the next message's; security review 11)
      const e = c.session.envelope;
      const args = p.value.args || {};
      if (typeof args.BODY === 'string') e.bodyType = args.BODY.toLowerCase();
      if (args.SMTPUTF8 === true) e.smtpUtf8 = true;
      if (typeof args.RET === 'string') e.dsn.ret = args.RET.toUpperCase();
      if (typeof args.ENVID === 'string') e.dsn.envid = args.ENVID;
      e.mailFrom = p.value;
      c.reply(250, 'Accepted', MAIL_OK);
    }
    c.resumeInput();
  });
}

function rcpt(c: SmtpConnection, line: string): void {
  const p = parseAddressCommand('RCPT TO', line);
  if (!p.ok || !p.value.address) return c.reply(501, 'Error: Bad recipient address syntax', MAILBOX_SYNTAX);
  const syntax = paramSyntaxError(p, 'RCPT');
  if (syntax) return c.reply(syntax.code, syntax.text);
  if (!c.session.envelope.mailFrom) return c.reply(503, 'Error: need MAIL command');
  const bad = rcptParamsError(p);
  if (bad) return c.reply(bad.code, bad.text);
  wait(c);
  c.o.onRcptTo(p.value, c.session, (err) => {
    if (err) c.reply(err.responseCode || 550, err.message);
    else {
      const key = p.value.address.toLowerCase();
      const list = c.session.envelope.rcptTo;
      const i = list.findIndex((r) => r.address.toLowerCase() === key);
      if (i >= 0) list[i] = p.value;
      else list.push(p.value);
      c.reply(250, 'Accepted', RCPT_OK);
    }
    c.resumeInput();
  });
}

function data(c: SmtpConnection): void {
  if (!c.session.envelope.rcptTo.length) return c.reply(503, 'Error: need RCPT command');
  const stream = c.startMessage();
  c.o.onData(stream, c.session, (err, text) => c.messageAnswered(err, text));
  c.reply(354, 'End data with <CR><LF>.<CR><LF>');
}
