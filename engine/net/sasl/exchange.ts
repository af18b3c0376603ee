// One SASL exchange (RFC 4422) as every protocol speaks it on the wire: base64 lines in, challenges and a final
// result out, as values. SMTP AUTH (RFC 4954), POP3 AUTH (RFC 5034), IMAP AUTHENTICATE (RFC 3501, SASL-IR
// RFC 4959), ManageSieve and the web logins all drive the same object and only map its steps to their replies:
//   challenge → "334 …" / "+ …";  done → 235/535, +OK/-ERR, OK/NO;  malformed → 501, -ERR, BAD;  cancelled → the same.
// It never decodes credentials itself (the mechanism does) and never touches a socket.
import type { LoginResult, Mechanism, MechStep } from './mechanism.js';

export type SaslStep =
  /** Send this challenge (base64; "" for an empty one) and feed the client's next line to respond(). */
  | { kind: 'challenge'; data: string }
  | { kind: 'done'; result: LoginResult }
  /** Bad base64, or a message the mechanism cannot parse: a syntax error (RFC 4954 §4: 501), not a failed login. */
  | { kind: 'malformed'; text: string }
  /** The client sent "*" (RFC 4422 §3.5). */
  | { kind: 'cancelled' };

/** Decoded client messages are small; anything longer is an attack on memory, not a login. */
const MAX_MESSAGE = 8192;
/** Round trips after which an exchange is abandoned (SCRAM needs three). */
const MAX_STEPS = 6;

export class SaslExchange {
  private steps = 0;
  private finished = false;

  constructor(
    readonly mechanism: string,
    private readonly mech: Mechanism,
  ) {}

  /**
   * Begin. `initial` is the initial response as sent with the command (SASL-IR): base64, "=" for an empty one;
   * undefined when the client sent none.
   */
  start(initial?: string): Promise<SaslStep> {
    if (initial === undefined) return this.run(null);
    if (!this.mech.clientFirst) return Promise.resolve(this.end({ kind: 'malformed', text: `${this.mechanism} takes no initial response` }));
    return this.respond(initial === '=' ? '' : initial);
  }

  /** The client's line answering the last challenge. */
  respond(line: string): Promise<SaslStep> {
    const text = line.trim();
    if (text === '*') return Promise.resolve(this.end({ kind: 'cancelled' }));
    const message = decodeBase64(text);
    if (message === null) return Promise.resolve(this.end({ kind: 'malformed', text: 'Invalid base64 in SASL response' }));
    if (message.length > MAX_MESSAGE) return Promise.resolve(this.end({ kind: 'malformed', text: 'SASL response too long' }));
    return this.run(message);
  }

  get done(): boolean {
    return this.finished;
  }

  private async run(message: Buffer | null): Promise<SaslStep> {
    if (this.finished) return { kind: 'malformed', text: 'The exchange is over' };
    if (++this.steps > MAX_STEPS) return this.end({ kind: 'malformed', text: 'Too many SASL round trips' });
    const s: MechStep = await this.mech.step(message);
    if (s.kind === 'challenge') return { kind: 'challenge', data: s.data.toString('base64') };
    return this.end(s);
  }

  private end<S extends SaslStep>(s: S): S {
    this.finished = true;
    return s;
  }
}

/** Strict base64 (RFC 4648 §4, padding required): null for anything else. An empty line is an empty message. */
export function decodeBase64(text: string): Buffer | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const b = Buffer.from(text, 'base64');
  // "ab=c"-like or non-canonical padding bits: only accept what re-encodes to the same text
  return b.toString('base64') === text ? b : null;
}
