// The security headers every web response carries: a strict Content-Security-Policy (no inline script or
// style, nothing from another origin, no framing), HSTS, nosniff, no referrer to other sites, and no caching unless a
// route (static files) says otherwise. Set in one onSend hook, so error pages and 404s carry them too.
import type { WebKind } from './types.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  // DOM sinks (innerHTML, eval-like) refuse plain strings in browsers that enforce Trusted Types
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** The policy per kind of server: the webmail's pages may frame its own sandboxed mail-body documents. */
export function contentSecurityPolicy(kind: WebKind): string {
  return kind === 'webmail' ? `${CSP}; frame-src 'self'` : CSP;
}

export function securityHeaders(kind: WebKind): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(kind),
    'strict-transport-security': 'max-age=31536000',
    'x-content-type-options': 'nosniff',
    // same-origin, not no-referrer: under no-referrer a form POST carries "Origin: null" and the CSRF origin check
    // could not tell it from a cross-site one
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  };
}

/** Cache-Control for anything a route did not mark cacheable: authenticated pages are never stored. */
export const NO_STORE = 'no-store, max-age=0';
