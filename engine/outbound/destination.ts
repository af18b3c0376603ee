// Route selection: where mail for a recipient domain goes. A `[[route]]` table for the domain wins,
// then the `[smarthost]`, then the domain's own MX records. A destination is plain data (it crosses
// into workers); this module never resolves names or opens connections.
import type { LoadedConfig } from '../config/load.js';

export interface Destination {
  /** Scheduling key: one per place mail goes (concurrency limits and connection reuse are per key). */
  key: string;
  /** 'mx': look up the recipient domain's MX; 'relay': the fixed hosts in `hosts`. */
  kind: 'mx' | 'relay';
  /** The recipient domain (for 'mx'), or the route's domain / "smarthost". */
  domain: string;
  /** "host:port" (or "[ipv6]:port") for 'relay'; a bare host uses the default port. */
  hosts: string[];
  requireTls: boolean;
  auth?: { user: string; pass: string };
  /** The route's or smarthost's own CA bundle for checking its certificate before AUTH (else [outbound] ca_file). */
  caFile?: string;
  /** A spooler route: keep the mail queued until released or until the destination answers again. */
  hold: boolean;
}

export function recipientDomain(address: string): string {
  const at = address.lastIndexOf('@');
  return (at < 0 ? '' : address.slice(at + 1)).toLowerCase().replace(/^\[|\]$/g, '');
}

/** A route's domain matches itself; ".example.org" or "*.example.org" also match its subdomains. */
function routeMatches(pattern: string, domain: string): boolean {
  const p = pattern.toLowerCase();
  if (p.startsWith('*.') || p.startsWith('.')) {
    const base = p.replace(/^\*?\./, '');
    return domain === base || domain.endsWith('.' + base);
  }
  return domain === p;
}

function splitHosts(to: string): string[] {
  return to
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
}

export function destinationFor(domain: string, config: Pick<LoadedConfig, 'route' | 'smarthost'>): Destination {
  const d = domain.toLowerCase();
  // exact routes before wildcard ones
  const routes = [...config.route].sort((a, b) => Number(/^[*.]/.test(a.domain)) - Number(/^[*.]/.test(b.domain)));
  const r = routes.find((x) => routeMatches(x.domain, d));
  if (r) {
    const auth = r.auth_user ? { user: r.auth_user, pass: r.auth_password ?? '' } : undefined;
    if (r.to) return { key: `route:${r.domain.toLowerCase()}`, kind: 'relay', domain: d, hosts: splitHosts(r.to), requireTls: r.require_tls, auth, caFile: r.ca_file, hold: r.hold };
    // a route without `to` still says hold/require_tls for the domain's own MX
    return { key: `mx:${d}`, kind: 'mx', domain: d, hosts: [], requireTls: r.require_tls, auth, caFile: r.ca_file, hold: r.hold };
  }
  const s = config.smarthost;
  if (s) {
    const auth = s.auth_user ? { user: s.auth_user, pass: s.auth_password ?? '' } : undefined;
    return { key: 'smarthost', kind: 'relay', domain: d, hosts: splitHosts(s.to), requireTls: s.require_tls, auth, caFile: s.ca_file, hold: false };
  }
  return { key: `mx:${d}`, kind: 'mx', domain: d, hosts: [], requireTls: false, hold: false };
}
