// DNSBL / DNSWL zone builder for the stand-in DNS: turns "these IPs (or names) are listed" into records,
// always with the RFC 5782 test points (IPv4 127.0.0.2 and IPv6 ::ffff:7f00:2 listed, 127.0.0.1 and
// ::ffff:7f00:1 never; for name lists "test" listed, "invalid" never). It only builds data, it serves nothing.
//
// API:
//   dnsblZone('zen.example.test', { listed: ['192.0.2.99'], code: '127.0.0.2', txt: 'listed by the lab' })
//     → DnsRecord[] for startDnsServer({ zones: [...] })
//   dnsblQueryName('192.0.2.99', 'zen.example.test') → '99.2.0.192.zen.example.test'
import net from 'node:net';
import { expandIPv6, type DnsRecord } from './server.js';

export interface DnsblListing {
  /** An IP address (IPv4/IPv6) or, for domain-based lists, a domain name. */
  key: string;
  /** The A answer; RFC 5782 answers live in 127.0.0.0/8, default 127.0.0.2. */
  code?: string;
  txt?: string;
}

export interface DnsblOptions {
  listed: Array<string | DnsblListing>;
  /** Default return code for listings that do not name one. */
  code?: string;
  /** Default TXT reason. */
  txt?: string;
  /** Omit the RFC 5782 test points (only to test a client's reaction to a broken list). */
  noTestPoints?: boolean;
}

/** The name a client queries to ask `zone` about `key` (reversed IPv4 octets, reversed IPv6 nibbles, or the domain). */
export function dnsblQueryName(key: string, zone: string): string {
  if (net.isIPv4(key)) return `${key.split('.').reverse().join('.')}.${zone}`;
  if (net.isIPv6(key)) return `${expandIPv6(key).replace(/:/g, '').split('').reverse().join('.')}.${zone}`;
  return `${key.replace(/\.$/, '')}.${zone}`;
}

export function dnsblZone(zone: string, opts: DnsblOptions): DnsRecord[] {
  const z = zone.toLowerCase().replace(/\.$/, '');
  const defCode = opts.code ?? '127.0.0.2';
  const defTxt = opts.txt ?? `Listed by the tegami lab stand-in list ${z}`;
  const listings: DnsblListing[] = opts.listed.map((l) => (typeof l === 'string' ? { key: l } : l));
  if (!opts.noTestPoints) {
    listings.push({ key: '127.0.0.2', code: '127.0.0.2', txt: `RFC 5782 test point, ${z}` });
    listings.push({ key: '::ffff:7f00:2', code: '127.0.0.2', txt: `RFC 5782 test point, ${z}` });
    listings.push({ key: 'test', code: '127.0.0.2', txt: `RFC 5782 test point, ${z}` });
  }
  const out: DnsRecord[] = [{ name: z, type: 'NS', data: `ns.${z}` }];
  for (const l of listings) {
    const code = l.code ?? defCode;
    if (!/^127\.\d+\.\d+\.\d+$/.test(code)) throw new Error(`DNSBL ${z}: return code ${code} is not in 127.0.0.0/8`);
    const name = dnsblQueryName(l.key, z);
    out.push({ name, type: 'A', data: code });
    out.push({ name, type: 'TXT', data: l.txt ?? defTxt });
  }
  return out;
}
