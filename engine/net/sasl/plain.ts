// SASL PLAIN (RFC 4616): one message, [authzid] NUL authcid NUL passwd. The same rules for every protocol: the
// authzid is empty or names the authcid's own account (compared case-insensitively), and the password is not
// empty; anything else fails like a wrong password. It never logs or keeps the password.
import type { Credentials, Mechanism, MechStep } from './mechanism.js';

export class PlainMechanism implements Mechanism {
  readonly clientFirst = true;
  constructor(private readonly creds: Credentials) {}

  async step(message: Buffer | null): Promise<MechStep> {
    if (message === null) return { kind: 'challenge', data: Buffer.alloc(0) };
    const parts = message.toString('utf8').split('\0');
    if (parts.length !== 3 || !parts[1]) return { kind: 'malformed', text: 'PLAIN wants authzid NUL authcid NUL password' };
    const [authzid, authcid, password] = parts;
    // acting for another account is not offered: such a login fails as a wrong password would (no hash is spent)
    const allowed = !authzid || this.creds.sameAccount(authzid, authcid);
    return { kind: 'done', result: await this.creds.password(authcid, allowed ? password : '') };
  }
}
