// The stand-in DNS the benchmarks point every filtering target at (tegami's [dns] servers, rspamd's
// nameserver), so DNSBL, SPF, rDNS, HELO and DMARC lookups really happen, on loopback, with answers a clean
// sender would get: the load's sender domain has SPF and MX, loopback has a forward-confirmed PTR, the load's
// HELO names resolve, and a DNSBL lists only its RFC 5782 test points (127.0.0.2; 127.0.0.1 is clean).
// Every other name gets NXDOMAIN from it (public lists that rspamd queries included); it never recurses.
import { startDnsServer, type DnsRecord, type DnsServer } from '../dns/server.js';
import { dnsblZone } from '../dns/dnsbl.js';

/** The DNSBL zone served; tegami's bench config lists it as `[[dnsbl]]`. */
export const LAB_DNSBL = 'bl.lab.example.test';

/** The sender domain of the load (MAIL FROM load@… and smtp-source's -f). */
export const LOAD_DOMAIN = 'lab.example.test';

export const LAB_RECORDS: DnsRecord[] = [
  { name: LOAD_DOMAIN, type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' },
  { name: LOAD_DOMAIN, type: 'MX', data: '10 mx.lab.example.test' },
  { name: LOAD_DOMAIN, type: 'A', data: '127.0.0.1' },
  { name: `_dmarc.${LOAD_DOMAIN}`, type: 'TXT', data: 'v=DMARC1; p=none' },
  { name: 'mx.lab.example.test', type: 'A', data: '127.0.0.1' },
  // the HELO names of the lab client and of smtp-source
  { name: 'load.lab.example.test', type: 'A', data: '127.0.0.1' },
  { name: 'bench.lab.example.test', type: 'A', data: '127.0.0.1' },
  { name: '1.0.0.127.in-addr.arpa', type: 'PTR', data: 'mx.lab.example.test' },
  { name: 'example.test', type: 'MX', data: '10 mx.example.test' },
  { name: 'mx.example.test', type: 'A', data: '127.0.0.1' },
];

/** tegami config for a target judged like a stranger: connection checks on loopback too, one stand-in DNSBL. */
export function tegamiFilterToml(): string {
  return ['[spam]', 'local_networks = []', '[[dnsbl]]', 'name = "lab"', `query_domain = "${LAB_DNSBL}"`, ''].join('\n');
}

export function startLabDns(): Promise<DnsServer> {
  return startDnsServer({ zones: [...LAB_RECORDS, ...dnsblZone(LAB_DNSBL, { listed: ['192.0.2.99'] })] });
}
