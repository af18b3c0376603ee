// Per-IP virtual hosts (FEATURES A6, [[domains.virtual_host]]): the host name a connection to a local address
// is greeted with (SMTP banner, EHLO reply, Received: lines), the domain of bare logins there, and whether mail
// for a local domain is taken on that address. Addresses without a virtual host get the server's hostname and
// every local domain. It never listens, and never decides relaying (engine/policy/relay.ts does).
import { canonicalIp } from '../config/schema.js';
import { reject, type Refusal } from '../policy/verdict.js';

export interface VirtualHostConfig {
  ip: string;
  hostname: string;
  domains: string[];
  only_own_domains: boolean;
}

export interface VirtualHost {
  ip: string;
  hostname: string;
  /** Canonical names, lower case; the first is the domain of bare logins. */
  domains: string[];
  onlyOwnDomains: boolean;
}

export class VirtualHosts {
  private readonly byIp = new Map<string, VirtualHost>();

  constructor(
    private readonly defaultHostname: string,
    hosts: VirtualHostConfig[],
  ) {
    for (const h of hosts) {
      const ip = canonicalIp(h.ip);
      this.byIp.set(ip, { ip, hostname: h.hostname.toLowerCase(), domains: h.domains.map((d) => d.toLowerCase()), onlyOwnDomains: h.only_own_domains });
    }
  }

  static fromConfig(c: { hostname: string; domains: { virtual_host: VirtualHostConfig[] } }): VirtualHosts {
    return new VirtualHosts(c.hostname, c.domains.virtual_host);
  }

  /** The virtual host on a local address (IPv4-mapped IPv6 and any IPv6 spelling match), if any. */
  hostFor(localAddress: string | undefined): VirtualHost | undefined {
    // no virtual hosts (the usual install): nothing to look up, and no address spelled out per message
    return localAddress && this.byIp.size > 0 ? this.byIp.get(canonicalIp(localAddress)) : undefined;
  }

  /** The name to greet with on this local address: its virtual host's, else the server's hostname. */
  hostnameFor(localAddress: string | undefined): string {
    return this.hostFor(localAddress)?.hostname ?? this.defaultHostname;
  }

  /**
   * May mail for a local domain be accepted on this address? `canonical` maps a name (a host alias) to its
   * canonical local domain. Only a virtual host with only_own_domains says no, for domains that are not its own.
   */
  acceptsDomain(localAddress: string | undefined, domain: string, canonical: (d: string) => string | null): boolean {
    const h = this.hostFor(localAddress);
    if (!h?.onlyOwnDomains) return true;
    const c = canonical(domain) ?? domain.toLowerCase();
    return h.domains.some((d) => (canonical(d) ?? d) === c);
  }
}

const cache = new WeakMap<object, VirtualHosts>();

/** The VirtualHosts of a loaded config, made once per config object. */
export function virtualHostsOf(c: { hostname: string; domains: { virtual_host: VirtualHostConfig[] } }): VirtualHosts {
  let v = cache.get(c);
  if (!v) cache.set(c, (v = VirtualHosts.fromConfig(c)));
  return v;
}

/**
 * RCPT TO on a virtual host that takes mail only for its own domains: a local recipient of another local
 * domain gets 550 5.7.1 (postmaster@ is always taken, RFC 5321 §4.5.1). Null when it may be accepted.
 */
export function refuseOnVirtualHost(
  hosts: VirtualHosts, localAddress: string | undefined, address: string, canonical: (d: string) => string | null,
): Refusal | null {
  const at = address.lastIndexOf('@');
  if (at < 0 || address.slice(0, at).toLowerCase() === 'postmaster') return null;
  if (hosts.acceptsDomain(localAddress, address.slice(at + 1), canonical)) return null;
  return reject(550, '5.7.1', `<${address}>: this domain is not served at this address`);
}
