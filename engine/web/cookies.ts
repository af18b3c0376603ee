// The web servers' cookies: names with the __Host- prefix (the browser then insists on Secure, Path=/ and
// no Domain, so no sibling host can plant one), one session cookie per kind of server, because cookies
// do not tell ports apart: the admin (8181) and the webmail (8383) on one host see each other's cookies.
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { WebKind } from './types.js';

export const sessionCookie = (kind: WebKind): string => `__Host-tegami-${kind}`;
/** Before login, the CSRF token of the login and language forms (double submit: cookie = form field). */
export const preLoginCsrfCookie = (kind: WebKind): string => `__Host-tegami-${kind}-csrf`;
export const LANG_COOKIE = '__Host-tegami-lang';

/** Session and CSRF cookies: never readable by script, never sent cross-site, HTTPS only. */
export const SECRET_COOKIE: CookieSerializeOptions = { path: '/', secure: true, httpOnly: true, sameSite: 'strict' };
/** The language choice, remembered for a year. */
export const LANG_COOKIE_OPTIONS: CookieSerializeOptions = { ...SECRET_COOKIE, maxAge: 365 * 86_400 };
