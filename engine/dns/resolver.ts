// The one DNS resolver every lookup uses (MX routing, DNSBL, SPF, rDNS, HELO checks).
// `[dns] servers` points it at given servers ("127.0.0.1:5353" for the lab's stand-in); else the system's.
// With an observer, each lookup's record type, time and outcome is reported (the system.dns-lookup event,
// which feeds tegami_dns_lookup_*); the answers themselves are never changed.
import { promises as dnsp } from 'node:dns';

export type Resolver = dnsp.Resolver;

export interface DnsLookup {
  type: string;
  name: string;
  ms: number;
  /** "ok", or why there was no answer: nxdomain, nodata, timeout, servfail, refused, error. */
  result: string;
}

const METHOD_TYPE: Record<string, string> = {
  resolve4: 'A',
  resolve6: 'AAAA',
  resolveMx: 'MX',
  resolveTxt: 'TXT',
  resolvePtr: 'PTR',
  resolveCname: 'CNAME',
  resolveNs: 'NS',
  resolveSrv: 'SRV',
  resolveAny: 'ANY',
  resolveTlsa: 'TLSA',
  reverse: 'PTR',
};

export function lookupResult(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOTFOUND':
      return 'nxdomain';
    case 'ENODATA':
      return 'nodata';
    case 'ETIMEOUT':
      return 'timeout';
    case 'ESERVFAIL':
      return 'servfail';
    case 'EREFUSED':
      return 'refused';
    default:
      return 'error';
  }
}

export function makeResolver(servers?: string[], timeoutMs = 3000, observe?: (l: DnsLookup) => void): Resolver {
  const r = new dnsp.Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers && servers.length) r.setServers(servers);
  if (!observe) return r;
  return new Proxy(r, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const name = String(prop);
      const fixed = METHOD_TYPE[name];
      if (!fixed && name !== 'resolve') return (v as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        const type = fixed ?? String(args[1] ?? 'A');
        const started = performance.now();
        const report = (result: string) => {
          try {
            observe({ type, name: String(args[0]).slice(0, 255), ms: Math.round((performance.now() - started) * 100) / 100, result });
          } catch {
            // an observer's failure never changes a lookup
          }
        };
        const p = (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        return p.then(
          (x) => (report('ok'), x),
          (e: unknown) => {
            report(lookupResult(e));
            throw e;
          },
        );
      };
    },
  });
}
