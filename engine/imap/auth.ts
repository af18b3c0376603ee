// Checks an IMAP login (LOGIN or AUTHENTICATE PLAIN) against the account directory: plaintext policy,
// failed-login throttling per client IP, bare users resolved in the listener's virtual host, special folders
// created on first login. It never logs or keeps a password.
import { sleep } from '../policy/auth-throttle.js';
import { no, ok, type Result } from './command.js';
import { ensureSpecialFolders } from './folders.js';
import { capabilities, loginAllowed, type Session } from './session.js';

export async function checkLogin(s: Session, login: string, password: string, mechanism: string): Promise<Result> {
  if (!loginAllowed(s)) return no('Plaintext authentication disallowed without TLS; use STARTTLS', 'PRIVACYREQUIRED');
  const decision = s.shared.throttle.check(s.remoteAddress);
  if (decision.kind === 'blocked') {
    s.log('login.blocked', { login: login.slice(0, 100), mechanism }, 'warn');
    return no('Too many failed logins; try again later', 'UNAVAILABLE');
  }
  if (decision.delayMs) await sleep(decision.delayMs);
  const defaultDomain = s.config.domains.by_ip[s.localAddress];
  const user = await s.shared.directory.authenticate(login, password, defaultDomain);
  if (!user) {
    const startedBlock = s.shared.throttle.fail(s.remoteAddress);
    s.log('login.fail', { login: login.slice(0, 100), mechanism, blocked: startedBlock || undefined }, 'warn');
    return no('Authentication failed', 'AUTHENTICATIONFAILED');
  }
  s.authenticated(user);
  try {
    await ensureSpecialFolders(s.store, user.address);
  } catch (e) {
    s.log('folders.error', { error: (e as Error).message }, 'warn');
  }
  s.log('login', { mechanism });
  return ok('Logged in', `CAPABILITY ${capabilities(s).join(' ')}`);
}

/** SASL PLAIN message: authzid NUL authcid NUL password. */
export function decodePlain(b64: string): { login: string; password: string } | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return null;
  const parts = Buffer.from(b64, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3 || !parts[1] || (parts[0] && parts[0] !== parts[1])) return null;
  return { login: parts[1], password: parts[2] };
}
