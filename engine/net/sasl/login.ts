// SASL LOGIN (draft-murchison-sasl-login, what Outlook and many MUAs send): "Username:" then "Password:",
// each answered with one message; a username sent as an initial response skips the first prompt. It never
// logs or keeps the password.
import type { Credentials, Mechanism, MechStep } from './mechanism.js';

const USERNAME = Buffer.from('Username:');
const PASSWORD = Buffer.from('Password:');

export class LoginMechanism implements Mechanism {
  readonly clientFirst = true;
  private username: string | null = null;
  constructor(private readonly creds: Credentials) {}

  async step(message: Buffer | null): Promise<MechStep> {
    if (message === null) return { kind: 'challenge', data: USERNAME };
    if (this.username === null) {
      const name = message.toString('utf8');
      if (!name || name.includes('\0')) return { kind: 'malformed', text: 'LOGIN wants a user name' };
      this.username = name;
      return { kind: 'challenge', data: PASSWORD };
    }
    return { kind: 'done', result: await this.creds.password(this.username, message.toString('utf8')) };
  }
}
