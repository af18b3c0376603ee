// SASL SCRAM-SHA-256 (RFC 5802, RFC 7677), without channel binding (the -PLUS variant is not offered):
//   C: n,[a=authzid],n=user,r=cnonce          S: r=cnonce+snonce,s=salt,i=iterations
//   C: c=biws,r=cnonce+snonce,p=proof         S: v=ServerSignature   (then an empty client response)
// The server keeps only StoredKey and ServerKey (password.ts), so it works with [auth] recoverable_secrets off.
// An unknown or disabled account gets a decoy verifier and fails at the proof, like a wrong password.
import crypto from 'node:crypto';
import type { ScramLookup } from '../../accounts/directory.js';
import type { Credentials, LoginResult, Mechanism, MechStep } from './mechanism.js';

const hmac = (key: Buffer, data: string) => crypto.createHmac('sha256', key).update(data, 'utf8').digest();
const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest();

/** RFC 5802 saslname: "=2C" stands for "," and "=3D" for "="; any other "=" is an error (null). */
function decodeSaslName(s: string): string | null {
  if (/=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

const malformed = (text: string): MechStep => ({ kind: 'malformed', text: `SCRAM-SHA-256: ${text}` });

export class ScramSha256Mechanism implements Mechanism {
  readonly clientFirst = true;
  private state: 'start' | 'first' | 'final' | 'verified' = 'start';
  private login = '';
  private gs2Header = '';
  private nonce = '';
  private authMessageStart = '';
  private lookup: ScramLookup | null = null;
  private outcome: LoginResult | null = null;

  constructor(
    private readonly creds: Credentials,
    /** The server's part of the nonce (random; fixed only by the RFC 7677 test-vector test). */
    private readonly serverNonce: () => string = () => crypto.randomBytes(18).toString('base64'),
  ) {}

  async step(message: Buffer | null): Promise<MechStep> {
    switch (this.state) {
      case 'start':
        if (message === null) {
          this.state = 'first';
          return { kind: 'challenge', data: Buffer.alloc(0) };
        }
        return this.clientFirst_(message.toString('utf8'));
      case 'first':
        return this.clientFirst_((message ?? Buffer.alloc(0)).toString('utf8'));
      case 'final':
        return this.clientFinal((message ?? Buffer.alloc(0)).toString('utf8'));
      case 'verified':
        // the client acknowledges the server signature with an empty response (RFC 4422 §5 additional data)
        return { kind: 'done', result: this.outcome! };
    }
  }

  private async clientFirst_(text: string): Promise<MechStep> {
    // gs2-header: cbind flag "n" (no channel binding) or "y" (client could, thinks we cannot); "p=" asks for it
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(text);
    if (!m) return malformed(text.startsWith('p=') ? 'channel binding is not offered' : 'bad client-first-message');
    const bare = m[3];
    const fields = /^n=([^,]*),r=([\x21-\x2b\x2d-\x7e]+)(?:,.*)?$/s.exec(bare);
    if (!fields) return malformed(bare.startsWith('m=') ? 'mandatory extension not supported' : 'bad client-first-message');
    const login = decodeSaslName(fields[1]);
    const authzid = m[2] ? decodeSaslName(m[2].slice(2)) : '';
    if (!login || authzid === null) return malformed('bad user name');
    this.login = login;
    if (authzid && !this.creds.sameAccount(authzid, login)) {
      this.state = 'verified';
      return { kind: 'done', result: await this.creds.scramFinish(login, undefined) };
    }
    const start = await this.creds.scramStart(login);
    if ('stop' in start) return { kind: 'done', result: start.stop };
    this.lookup = start.lookup;
    const { salt, iterations } = start.lookup.keys;
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.nonce = fields[2] + this.serverNonce().replace(/,/g, '');
    const serverFirst = `r=${this.nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.authMessageStart = `${bare},${serverFirst}`;
    this.state = 'final';
    return { kind: 'challenge', data: Buffer.from(serverFirst) };
  }

  private async clientFinal(text: string): Promise<MechStep> {
    const m = /^(c=([A-Za-z0-9+/=]*),r=([^,]*)(?:,[^p][^,]*)*),p=([A-Za-z0-9+/=]+)$/s.exec(text);
    if (!m) return malformed('bad client-final-message');
    const [, withoutProof, binding, nonce, proofB64] = m;
    const keys = this.lookup!.keys;
    const proof = Buffer.from(proofB64, 'base64');
    const bindingOk = binding === Buffer.from(this.gs2Header).toString('base64');
    const authMessage = `${this.authMessageStart},${withoutProof}`;
    const clientSignature = hmac(keys.storedKey, authMessage);
    let matches = false;
    if (bindingOk && nonce === this.nonce && proof.length === clientSignature.length) {
      const clientKey = Buffer.from(proof.map((b, i) => b ^ clientSignature[i]));
      matches = crypto.timingSafeEqual(sha256(clientKey), keys.storedKey);
    }
    const result = await this.creds.scramFinish(this.login, matches ? this.lookup!.user : undefined);
    if (result.kind !== 'ok') return { kind: 'done', result };
    this.outcome = result;
    this.state = 'verified';
    return { kind: 'challenge', data: Buffer.from(`v=${hmac(keys.serverKey, authMessage).toString('base64')}`) };
  }
}
