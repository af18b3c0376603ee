// The one DNS resolver every lookup uses (MX routing, DNSBL, SPF, rDNS, HELO checks).
// `[dns] servers` points it at given servers ("127.0.0.1:5353" for the lab's stand-in); else the system's.
import { promises as dnsp } from 'node:dns';

export type Resolver = dnsp.Resolver;

export function makeResolver(servers?: string[], timeoutMs = 3000): Resolver {
  const r = new dnsp.Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers && servers.length) r.setServers(servers);
  return r;
}
