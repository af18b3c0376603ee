// Where to connect for a destination (RFC 5321 §5.1): the domain's MX hosts in preference order (equal
// preferences shuffled), or the domain's own A/AAAA when it has no MX (implicit MX), never for a null MX
// (RFC 7505). Relay routes name their hosts. Every lookup goes through the given resolver; DNS answers
// become values (temp/perm), never exceptions.
import net from 'node:net';
import type { Resolver } from '../dns/resolver.js';
import type { Destination } from './destination.js';
import { parseHostPort as parseHostPortText } from '../net/host-port.js';
import type { ExchangerScreen } from './exchanger-screen.js';

export interface Target {
  /** Host name (for logs and TLS SNI) or the literal address. */
  name: string;
  port: number;
  addresses: string[];
  preference: number;
}

export type Resolution =
  | { kind: 'ok'; targets: Target[] }
  | { kind: 'temp'; status: string; reason: string }
  | { kind: 'perm'; status: string; reason: string };

const TEMP_CODES = new Set(['ESERVFAIL', 'ETIMEOUT', 'ECONNREFUSED', 'EREFUSED', 'ECANCELLED', 'EBADRESP', 'ECONNRESET', 'EOF']);

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'ERROR';
}

/** "host:port", "[v6]:port", "[host]", "host" → host, port (the one parser, engine/net/host-port.ts). */
export function parseHostPort(s: string, defaultPort: number): { host: string; port: number } {
  return parseHostPortText(s, defaultPort) ?? { host: s, port: defaultPort };
}

/** A and AAAA of a name (IPv4 first). Temp errors are reported only when nothing was found. */
async function addressesOf(resolver: Resolver, name: string): Promise<{ addresses: string[]; temp: boolean }> {
  if (net.isIP(name)) return { addresses: [name], temp: false };
  const [a, aaaa] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
  const addresses = [...(a.status === 'fulfilled' ? a.value : []), ...(aaaa.status === 'fulfilled' ? aaaa.value : [])];
  const temp = [a, aaaa].some((r) => r.status === 'rejected' && TEMP_CODES.has(code(r.reason)));
  return { addresses, temp };
}

function shuffleEqual<T extends { preference: number }>(list: T[]): T[] {
  const out = list.map((x) => ({ x, r: Math.random() }));
  out.sort((p, q) => p.x.preference - q.x.preference || p.r - q.r);
  return out.map((o) => o.x);
}

/**
 * Addresses of MX targets that `screen` refuses are dropped (engine/outbound/exchanger-screen.ts); a domain left with
 * none fails for good (5.4.6, its DNS names only this server or addresses no exchanger has). Relay routes are not screened.
 */
function screened(domain: string, targets: Target[], screen: ExchangerScreen | undefined): Resolution {
  if (!screen) return { kind: 'ok', targets };
  const refused: string[] = [];
  const kept = targets
    .map((t) => ({
      ...t,
      addresses: t.addresses.filter((a) => {
        const why = screen(a, t.port);
        if (why) refused.push(`${t.name}: ${why}`);
        return !why;
      }),
    }))
    .filter((t) => t.addresses.length);
  if (kept.length) return { kind: 'ok', targets: kept };
  return { kind: 'perm', status: '5.4.6', reason: `the mail exchangers of ${domain} are not to be used (${refused.slice(0, 3).join('; ')})` };
}

export async function resolveDestination(dest: Destination, resolver: Resolver, opts: { port: number; maxMx: number; screen?: ExchangerScreen }): Promise<Resolution> {
  if (dest.kind === 'relay') {
    const targets: Target[] = [];
    let temp = false;
    for (const [i, h] of dest.hosts.entries()) {
      const { host, port } = parseHostPort(h, 25);
      const r = await addressesOf(resolver, host);
      temp ||= r.temp;
      if (r.addresses.length) targets.push({ name: host, port, addresses: r.addresses, preference: i });
    }
    if (targets.length) return { kind: 'ok', targets };
    // a relay host that does not resolve is a configuration problem: keep the mail, do not bounce it
    return { kind: 'temp', status: '4.4.3', reason: `relay host ${dest.hosts.join(', ')} not found${temp ? ' (DNS temporary failure)' : ''}` };
  }

  const domain = dest.domain;
  // an address literal (user@[192.0.2.1]) names its host directly
  if (net.isIP(domain)) return screened(domain, [{ name: domain, port: opts.port, addresses: [domain], preference: 0 }], opts.screen);

  let mx: { exchange: string; priority: number }[];
  try {
    mx = await resolver.resolveMx(domain);
  } catch (e) {
    const c = code(e);
    if (c === 'ENOTFOUND') return { kind: 'perm', status: '5.1.2', reason: `domain ${domain} not found (NXDOMAIN)` };
    if (c !== 'ENODATA') return { kind: 'temp', status: '4.4.3', reason: `DNS lookup of MX for ${domain} failed (${c})` };
    mx = [];
  }
  if (mx.length === 1 && (mx[0].exchange === '' || mx[0].exchange === '.')) {
    return { kind: 'perm', status: '5.1.10', reason: `domain ${domain} accepts no mail (null MX, RFC 7505)` };
  }
  const hosts = mx.length
    ? shuffleEqual(mx.filter((m) => m.exchange && m.exchange !== '.').map((m) => ({ name: m.exchange.replace(/\.$/, ''), preference: m.priority }))).slice(0, opts.maxMx)
    : [{ name: domain, preference: 0 }]; // implicit MX (RFC 5321 §5.1)
  const targets: Target[] = [];
  let temp = false;
  for (const h of hosts) {
    const r = await addressesOf(resolver, h.name);
    temp ||= r.temp;
    if (r.addresses.length) targets.push({ name: h.name, port: opts.port, addresses: r.addresses, preference: h.preference });
  }
  if (targets.length) return screened(domain, targets, opts.screen);
  if (temp) return { kind: 'temp', status: '4.4.3', reason: `DNS lookup of ${hosts.map((h) => h.name).join(', ')} failed temporarily` };
  return mx.length
    ? { kind: 'perm', status: '5.4.4', reason: `no address for the mail exchangers of ${domain} (${hosts.map((h) => h.name).join(', ')})` }
    : { kind: 'perm', status: '5.4.4', reason: `domain ${domain} has no MX and no address record` };
}
