// The security headers every web response carries: a strict Content-Security-Policy (no inline script or
// style, nothing from another origin, no framing), HSTS, nosniff, no referrer to other sites, and no caching unless a
// route (static files) says otherwise. Set in one onSend hook, so error pages and 404s carry them too.
import http from 'node:http';
import type { Duplex } from 'node:stream';
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

/**
 * The answer to a request Node's HTTP parser refuses before any route sees it (malformed request line or framing,
 * headers over the size limit, a request not received in time): Fastify's default writes it with no header but
 * the length and type, so these answers, unlike every other, went out without the policy (security review 12).
 * A constant JSON body (nothing of the request is echoed), the security headers, no caching, and the connection closed.
 */
export function clientErrorHandler(kind: WebKind): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  const head = Object.entries({ ...securityHeaders(kind), 'cache-control': NO_STORE })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, message] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Client Timeout'] : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Exceeded maximum allowed HTTP header size'] : [400, 'Client Error'];
    const text = http.STATUS_CODES[status] ?? 'Error';
    const body = JSON.stringify({ error: text, message, statusCode: status });
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${head}connection: close\r\n\r\n${body}`);
    }
    socket.destroy(err);
  };
}
