// The web login check, behind one small interface: the default goes through the login flow SMTP, POP3 and IMAP
// share (engine/net/login.ts). It never logs or keeps a password.
import type { User } from '../accounts/directory.js';
import type { LoginFlow } from '../net/login.js';
import type { Roles } from './roles.js';
import type { WebKind } from './types.js';

export type AuthOutcome = { ok: true; user: User } | { ok: false; reason: 'invalid' | 'blocked' | 'forbidden' };

export type Authenticate = (login: string, password: string, ip: string, service: WebKind) => Promise<AuthOutcome>;

/** Whether an account may use this kind of web server at all (checked at login and on every request). */
export function mayUse(kind: WebKind, user: User, roles: Roles): boolean {
  if (user.disabled) return false;
  return kind === 'admin' ? roles.hasAdminRight(user) : user.webAccess;
}

/**
 * The web login through the one login flow of every protocol (engine/net/login.ts): the same throttle per client
 * network and per account, the same bound on password hashing, the same log events, so guessing on the web counts
 * against IMAP too and the reverse. A right password without the right to this server is "forbidden", not a failure.
 */
export function loginFlowAuth(flow: Pick<LoginFlow, 'password'>, roles: Roles): Authenticate {
  return async (login, password, ip, service) => {
    const r = await flow.password({ protocol: 'web', session: `${service}-login`, ip }, login, password, 'PASSWORD');
    if (r.kind === 'blocked' || r.kind === 'busy') return { ok: false, reason: 'blocked' };
    if (r.kind !== 'ok') return { ok: false, reason: 'invalid' };
    if (!mayUse(service, r.user, roles)) return { ok: false, reason: 'forbidden' };
    return { ok: true, user: r.user };
  };
}
