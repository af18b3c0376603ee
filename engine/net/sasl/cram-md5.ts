// SASL CRAM-MD5 (RFC 2195): the server sends a unique challenge, the client answers "user HMAC-MD5(secret,
// challenge)" in lower-case hex. Needs the account's recoverable secret ([auth] recoverable_secrets).
import crypto from 'node:crypto';
import type { Credentials, Mechanism, MechStep } from './mechanism.js';

/** A unique, unpredictable challenge: <pid.random.time@hostname> (also the APOP timestamp, RFC 1939 §7). */
export function makeChallenge(hostname: string): string {
  return `<${process.pid}.${crypto.randomBytes(8).toString('hex')}.${Date.now()}@${hostname}>`;
}

export class CramMd5Mechanism implements Mechanism {
  readonly clientFirst = false;
  private challenge: string | null = null;
  constructor(private readonly creds: Credentials) {}

  async step(message: Buffer | null): Promise<MechStep> {
    if (this.challenge === null) {
      if (message !== null) return { kind: 'malformed', text: 'CRAM-MD5 takes no initial response' };
      this.challenge = makeChallenge(this.creds.hostname);
      return { kind: 'challenge', data: Buffer.from(this.challenge) };
    }
    const text = (message ?? Buffer.alloc(0)).toString('utf8');
    const m = /^(.+) ([0-9a-fA-F]{32})$/s.exec(text);
    if (!m || m[1].includes('\0')) return { kind: 'malformed', text: 'CRAM-MD5 wants "user digest"' };
    return { kind: 'done', result: await this.creds.cramMd5(m[1], this.challenge, m[2].toLowerCase()) };
  }
}
