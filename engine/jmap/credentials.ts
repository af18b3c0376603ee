// Credentials of JMAP clients that are not the webmail page: HTTP Basic with the account password, checked by
// the web foundation's Authenticate (the AuthThrottle SMTP, POP3 and IMAP share: a wrong password here counts
// there), or Bearer with a JMAP app token. A Basic success is remembered for a minute (by a hash of the header,
// the account re-read each time) so a client's stream of requests does not run scrypt each time. What is remembered
// is tied to the account's stored credentials (its SCRAM salt and key, new with every password set): after a
// password change, on this node or another, the old password is checked afresh and refused at once.
import crypto from 'node:crypto';
import type { AccountDirectory } from '../accounts/directory.js';
import { mayUse, type Authenticate } from '../web/authenticate.js';
import type { Roles } from '../web/roles.js';
import type { ApiAuth } from '../web/types.js';
import type { JmapTokens } from './access-tokens.js';

const REMEMBER_MS = 60_000;
const MAX_REMEMBERED = 1000;

export function jmapApiAuth(o: {
  authenticate: Authenticate;
  tokens: JmapTokens;
  directory: Pick<AccountDirectory, 'user' | 'scramVerifier'>;
  roles: Roles;
  now?: () => number;
}): ApiAuth {
  const now = o.now ?? Date.now;
  const remembered = new Map<string, { address: string; until: number; stamp: string }>();
  const stampOf = (address: string): string => {
    const k = o.directory.scramVerifier(address).keys;
    return `${k.salt.toString('base64')}:${k.storedKey.toString('base64')}`;
  };
  return async (authorization, ip) => {
    const bearer = /^Bearer +(\S+)$/i.exec(authorization);
    if (bearer) {
      const info = o.tokens.verify(bearer[1]);
      const user = info ? o.directory.user(info.address) : undefined;
      if (!info || !user) return { ok: false, status: 401, reason: 'bad token' };
      if (!mayUse('webmail', user, o.roles)) return { ok: false, status: 403, reason: 'no web access' };
      return { ok: true, caller: { user, via: 'token', tokenId: info.id } };
    }
    const basic = /^Basic +([A-Za-z0-9+/]{1,2000}={0,2})$/i.exec(authorization);
    if (!basic) return { ok: false, status: 401, reason: 'unsupported authorization' };
    const key = crypto.createHash('sha256').update(authorization).digest('hex');
    const hit = remembered.get(key);
    if (hit && hit.until > now()) {
      const user = o.directory.user(hit.address);
      if (user && mayUse('webmail', user, o.roles) && stampOf(hit.address) === hit.stamp) return { ok: true, caller: { user, via: 'basic' } };
      remembered.delete(key);
    }
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return { ok: false, status: 401, reason: 'malformed Basic credentials' };
    const r = await o.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1), ip, 'webmail');
    if (!r.ok) {
      remembered.delete(key);
      return r.reason === 'blocked' ? { ok: false, status: 429, reason: 'too many failed logins' } : r.reason === 'forbidden' ? { ok: false, status: 403, reason: 'no web access' } : { ok: false, status: 401, reason: 'bad credentials' };
    }
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(key, { address: r.user.address, until: now() + REMEMBER_MS, stamp: stampOf(r.user.address) });
    return { ok: true, caller: { user: r.user, via: 'basic' } };
  };
}
