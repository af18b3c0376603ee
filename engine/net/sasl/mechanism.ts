// What a SASL mechanism is to the exchange that drives it (exchange.ts): a state machine fed the client's decoded
// messages, answering a challenge, a final result, or "malformed". Mechanisms never see base64, sockets or
// protocol replies, and never check a credential themselves: they ask the Credentials the login flow gives them.
import type { ScramLookup, User } from '../../accounts/directory.js';

export type LoginResult =
  | { kind: 'ok'; user: User }
  /** Wrong credentials, or no such account, or a disabled one: the three are never told apart. */
  | { kind: 'failed' }
  /** This client is refused for now (too many failures). */
  | { kind: 'blocked' }
  /** Too many logins being checked at once, or the account is being guessed at: try again shortly. */
  | { kind: 'busy' };

export type MechStep =
  | { kind: 'challenge'; data: Buffer }
  | { kind: 'done'; result: LoginResult }
  /** The client's message breaks the mechanism's syntax (not a wrong password). */
  | { kind: 'malformed'; text: string };

export interface Mechanism {
  /** May the client's first message come with the command (an initial response)? */
  readonly clientFirst: boolean;
  /** The next step: `message` is the client's decoded response, or null before it has sent anything. */
  step(message: Buffer | null): Promise<MechStep>;
}

/** What mechanisms check against; the login flow implements it with throttling, hashing limits and logs. */
export interface Credentials {
  /** The server's name, for challenges. */
  readonly hostname: string;
  /** A password mechanism (PLAIN, LOGIN). */
  password(login: string, password: string): Promise<LoginResult>;
  /** CRAM-MD5 (RFC 2195): `digest` should be HMAC-MD5(secret, challenge) in hex. */
  cramMd5(login: string, challenge: string, digest: string): Promise<LoginResult>;
  /** SCRAM, first step: throttle check, then the verifier (real or decoy); a result instead stops the exchange. */
  scramStart(login: string): Promise<{ lookup: ScramLookup } | { stop: LoginResult }>;
  /** SCRAM, last step: `user` when the proof matched an enabled account, else undefined (counted as a failure). */
  scramFinish(login: string, user: User | undefined): Promise<LoginResult>;
  /** Do two names given by the client name the same account (PLAIN/SCRAM authzid against authcid)? */
  sameAccount(a: string, b: string): boolean;
}
