// CSRF protection for every state-changing request (POST, PUT, PATCH, DELETE): the request must carry the
// session's token (a hidden _csrf form field or the X-CSRF-Token header of fetch()), or before login the
// token of the pre-login cookie; a cross-site Origin or Sec-Fetch-Site is refused outright. API calls
// authenticated by a bearer token carry no ambient authority and are exempt; HTTP Basic ones only need a same-origin request.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { preLoginCsrfCookie, SECRET_COOKIE } from './cookies.js';
import { looksLikeSecret, newSecret } from './session-store.js';
import type { WebKind } from './types.js';

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const isUnsafeMethod = (method: string): boolean => !SAFE_METHODS.has(method);

export type CsrfVerdict = { ok: true } | { ok: false; reason: 'cross-origin' | 'missing' | 'mismatch' };

function equalSecrets(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** The token the request must carry: the session's, else the pre-login cookie's (null when neither). */
function expectedToken(req: FastifyRequest, kind: WebKind): string | null {
  if (req.caller?.via === 'session') return req.caller.session.csrf;
  const c = req.cookies[preLoginCsrfCookie(kind)];
  return c && looksLikeSecret(c) ? c : null;
}

export function checkCsrf(req: FastifyRequest, kind: WebKind): CsrfVerdict {
  if (req.caller?.via === 'token') return { ok: true };
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { ok: false, reason: 'cross-origin' };
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `https://${req.headers.host ?? ''}`) return { ok: false, reason: 'cross-origin' };
  // HTTP Basic (JMAP clients) carries no token; a browser could send cached Basic credentials, hence the checks above
  if (req.caller?.via === 'basic') return { ok: true };
  const expected = expectedToken(req, kind);
  const header = req.headers[CSRF_HEADER];
  const body = req.body as Record<string, unknown> | null | undefined;
  const field = body && typeof body === 'object' ? body[CSRF_FIELD] : undefined;
  const given = typeof header === 'string' ? header : typeof field === 'string' ? field : null;
  if (!expected || !given) return { ok: false, reason: 'missing' };
  return equalSecrets(expected, given) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** The token to put in this page's forms; before login it sets the pre-login cookie when there is none. */
export function csrfTokenFor(req: FastifyRequest, reply: FastifyReply, kind: WebKind): string {
  const expected = expectedToken(req, kind);
  if (expected) return expected;
  const fresh = newSecret();
  reply.setCookie(preLoginCsrfCookie(kind), fresh, SECRET_COOKIE);
  // later forms in this same response use the same token
  req.cookies[preLoginCsrfCookie(kind)] = fresh;
  return fresh;
}
