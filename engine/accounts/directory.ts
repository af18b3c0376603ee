// The account directory interface: users, domains, aliases, and the credentials logins are checked against.
// The SMTP, POP3, IMAP and web layers depend only on this (through engine/net/login.ts for logins), so the
// SQLite implementation can be swapped for PostgreSQL without touching them.
import type { ScramKeys } from './password.js';
import type { ListRole } from './list-directory.js';

export interface User {
  address: string;
  local: string;
  domain: string;
  fullName: string;
  replyTo: string;
  /** Forward targets (the seed's comma-separated forward list). */
  forward: string[];
  /** Keep a copy in the local mailbox when forwarding. */
  keepCopy: boolean;
  disabled: boolean;
  cannotChangePassword: boolean;
  webAccess: boolean;
  hostAdmin: boolean;
  listAdmin: boolean;
  systemAdmin: boolean;
}

/** Where mail for one address goes after aliases are applied (one level; the router expands further). */
export type Resolution =
  | { kind: 'mailbox'; user: User }
  | { kind: 'alias'; targets: string[] }
  /** postmaster@ a local domain with no account of its own: the mailbox dir still exists. */
  | { kind: 'postmaster'; address: string; forwardTo?: string }
  /** An address of a mailing list (engine/lists): its posts, requests and bounces are handled in the worker. */
  | { kind: 'list'; list: string; role: ListRole; token?: string }
  | { kind: 'unknown' }
  | { kind: 'remote' };

export interface NewUser {
  address: string;
  password: string;
  fullName?: string;
  forward?: string[];
  systemAdmin?: boolean;
  disabled?: boolean;
}

/** What a SCRAM-SHA-256 exchange is checked against (see AccountDirectory.scramVerifier). */
export interface ScramLookup {
  /** The account, only when it exists, is enabled and has stored keys. */
  user?: User;
  keys: ScramKeys;
}

export interface AccountDirectory {
  /** The canonical local domain a name stands for (host aliases map to their domain), or null. */
  localDomain(name: string): string | null;
  /** All local domains (canonical ones) and host aliases. */
  domains(): { name: string; aliasOf?: string }[];
  /** The primary domain: bare logins and bare "postmaster" resolve in it. */
  primaryDomain(): string;
  resolve(address: string): Resolution;
  user(address: string): User | undefined;
  /** Check a login (user@domain, or a bare user in `defaultDomain`); undefined for a wrong password, unknown or disabled user. */
  authenticate(login: string, password: string, defaultDomain?: string): Promise<User | undefined>;
  /** The plain secret for challenge-response mechanisms (APOP, CRAM-MD5), when kept; null for a disabled account. */
  secret(address: string): string | null;
  /**
   * The SCRAM-SHA-256 verifier for a login. An unknown login (or an account without stored keys yet) gets a
   * stable decoy that no proof matches, and a disabled account its real keys without `user`, so the exchange
   * never tells which accounts exist or are disabled.
   */
  scramVerifier(login: string, defaultDomain?: string): ScramLookup;
  /** The canonical address a login names, or undefined. */
  loginAddress(login: string, defaultDomain?: string): string | undefined;
  /** Addresses an authenticated user may use as envelope sender: own address plus aliases pointing at it. */
  senderAddresses(user: User): Set<string>;
}
