// The web login check, behind one small interface so the shared login flow (engine/net/) can replace the
// default adapter. The default uses the AuthThrottle instance SMTP, POP3 and IMAP share (guessing on the
// web counts against IMAP too) and the account directory. It never logs or keeps a password.
import type { AccountDirectory, User } from '../accounts/directory.js';
import { sleep, type AuthThrottle } from '../policy/auth-throttle.js';
import type { Roles } from './roles.js';
import type { WebKind } from './types.js';

export type AuthOutcome = { ok: true; user: User } | { ok: false; reason: 'invalid' | 'blocked' | 'forbidden' };

export type Authenticate = (login: string, password: string, ip: string, service: WebKind) => Promise<AuthOutcome>;

/** Whether an account may use this kind of web server at all (checked at login and on every request). */
export function mayUse(kind: WebKind, user: User, roles: Roles): boolean {
  if (user.disabled) return false;
  return kind === 'admin' ? roles.hasAdminRight(user) : user.webAccess;
}

export function throttledDirectoryAuth(
  directory: Pick<AccountDirectory, 'authenticate'>,
  throttle: AuthThrottle,
  roles: Roles,
  wait: (ms: number) => Promise<void> = sleep,
): Authenticate {
  return async (login, password, ip, service) => {
    const decision = throttle.check(ip);
    if (decision.kind === 'blocked') return { ok: false, reason: 'blocked' };
    if (decision.delayMs) await wait(decision.delayMs);
    const user = await directory.authenticate(login, password);
    if (!user) {
      throttle.fail(ip);
      return { ok: false, reason: 'invalid' };
    }
    // the password was right: no throttle failure, but no session without the right to this server
    if (!mayUse(service, user, roles)) return { ok: false, reason: 'forbidden' };
    return { ok: true, user };
  };
}
