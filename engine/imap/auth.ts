// IMAP's side of a login (LOGIN and AUTHENTICATE): the shared login flow's result as a tagged reply, and what a
// successful IMAP login sets up (special folders on first login, the CAPABILITY in the OK). The checks,
// throttling and logs are the login flow's (engine/net/login.ts). It never logs or keeps a password.
import type { LoginResult } from '../net/login.js';
import { no, ok, type Result } from './command.js';
import { ensureSpecialFolders } from './folders.js';
import { capabilities, type Session } from './session.js';

export async function loginResult(s: Session, r: LoginResult): Promise<Result> {
  switch (r.kind) {
    case 'failed':
      return no('Authentication failed', 'AUTHENTICATIONFAILED');
    case 'blocked':
      return no('Too many failed logins; try again later', 'UNAVAILABLE');
    case 'busy':
      return no('Login temporarily unavailable; try again later', 'UNAVAILABLE');
    case 'ok':
      break;
  }
  s.authenticated(r.user);
  try {
    await ensureSpecialFolders(s.store, r.user.address);
  } catch (e) {
    s.log('folders.error', { error: (e as Error).message }, 'warn');
  }
  return ok('Logged in', `CAPABILITY ${capabilities(s).join(' ')}`);
}

export const PLAINTEXT_REFUSED = 'Plaintext authentication disallowed without TLS; use STARTTLS';
