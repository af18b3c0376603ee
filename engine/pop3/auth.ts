// POP3 credential checks: USER/PASS and AUTH PLAIN (password), APOP and AUTH CRAM-MD5 (challenge-response
// on the recoverable secret), with the shared failed-login throttle and the listener's domain for bare logins
// (P4). Answers are values; it never writes to the socket and never logs or returns a password.
import crypto from 'node:crypto';
import os from 'node:os';
import type { AccountDirectory, User } from '../accounts/directory.js';
import type { AuthThrottle } from '../policy/auth-throttle.js';
import { sleep } from '../policy/auth-throttle.js';

export type AuthOutcome =
  | { kind: 'ok'; user: User }
  | { kind: 'fail' }
  | { kind: 'blocked' };

export interface AuthContext {
  directory: AccountDirectory;
  throttle: AuthThrottle;
  ip: string;
  /** Domain for a bare login: the listener address's virtual host, else undefined (primary domain). */
  defaultDomain?: string;
}

/** A unique challenge: <pid.random.time@hostname> (RFC 1939 APOP timestamp, RFC 2195 challenge). */
export function makeChallenge(hostname = os.hostname()): string {
  return `<${process.pid}.${crypto.randomBytes(8).toString('hex')}.${Date.now()}@${hostname}>`;
}

/** The by_ip domain for the listener address the client reached, if any (IPv4-mapped IPv6 unwrapped). */
export function domainForLocalAddress(byIp: Record<string, string>, local: string | undefined): string | undefined {
  if (!local) return undefined;
  const ip = local.startsWith('::ffff:') ? local.slice(7) : local;
  return byIp[ip] ?? byIp[local] ?? undefined;
}

/** Password logins: USER/PASS and AUTH PLAIN. */
export async function checkPassword(ctx: AuthContext, login: string, password: string): Promise<AuthOutcome> {
  return throttled(ctx, () => ctx.directory.authenticate(login, password, ctx.defaultDomain));
}

/** APOP: digest = MD5(timestamp + secret), lower-case hex (RFC 1939 §7). */
export async function checkApop(ctx: AuthContext, login: string, timestamp: string, digest: string): Promise<AuthOutcome> {
  return throttled(ctx, async () => {
    const user = userWithSecret(ctx, login);
    if (!user) return undefined;
    const expected = crypto.createHash('md5').update(timestamp + user.secret, 'utf8').digest('hex');
    return sameHex(expected, digest) ? user.user : undefined;
  });
}

/** CRAM-MD5: response = "user HMAC-MD5(secret, challenge)" (RFC 2195). */
export async function checkCramMd5(ctx: AuthContext, challenge: string, response: string): Promise<AuthOutcome> {
  return throttled(ctx, async () => {
    const sp = response.lastIndexOf(' ');
    if (sp <= 0) return undefined;
    const user = userWithSecret(ctx, response.slice(0, sp));
    if (!user) return undefined;
    const expected = crypto.createHmac('md5', user.secret).update(challenge, 'utf8').digest('hex');
    return sameHex(expected, response.slice(sp + 1)) ? user.user : undefined;
  });
}

/** Decode a SASL PLAIN message: [authzid] NUL authcid NUL passwd; only authzid = authcid (or empty) is allowed. */
export function parsePlain(b64: string): { login: string; password: string } | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return null;
  const parts = Buffer.from(b64, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3 || !parts[1] || !parts[2]) return null;
  if (parts[0] && parts[0].toLowerCase() !== parts[1].toLowerCase()) return null;
  return { login: parts[1], password: parts[2] };
}

function userWithSecret(ctx: AuthContext, login: string): { user: User; secret: string } | undefined {
  const address = ctx.directory.loginAddress(login, ctx.defaultDomain);
  if (!address) return undefined;
  const user = ctx.directory.user(address);
  if (!user || user.disabled) return undefined;
  const secret = ctx.directory.secret(address);
  return secret === null ? undefined : { user, secret };
}

function sameHex(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

async function throttled(ctx: AuthContext, check: () => Promise<User | undefined>): Promise<AuthOutcome> {
  const d = ctx.throttle.check(ctx.ip);
  if (d.kind === 'blocked') return { kind: 'blocked' };
  if (d.delayMs > 0) await sleep(d.delayMs);
  const user = await check();
  if (user && !user.disabled) return { kind: 'ok', user };
  ctx.throttle.fail(ctx.ip);
  return { kind: 'fail' };
}
