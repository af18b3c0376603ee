// The one DNS resolver every lookup uses (MX routing, DNSBL, SPF, rDNS, HELO checks).
// `[dns] servers` points it at given servers ("127.0.0.1:5353" for the lab's stand-in); else the system's.
// With a cache ([dns] cache_size > 0), A/AAAA/TXT/MX/PTR/CNAME/NS/SRV answers are reused for their TTL
// (engine/dns/cache.ts) and asked on the wire by engine/dns/wire-lookup.ts; other questions go to node's resolver.
// With an observer, each lookup on the wire is reported (the system.dns-lookup event, which feeds
// tegami_dns_lookup_*; an answer from the cache is not a lookup); the answers themselves are never changed.
import { promises as dnsp } from 'node:dns';
import { DnsCache, type DnsCacheOptions } from './cache.js';
import { askServers, CACHED_TYPES, unwrap } from './wire-lookup.js';

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

/** The [dns] cache keys as the cache's options (durations in ms → seconds). */
export function dnsCacheOptions(c: { cache_size: number; cache_max_ttl: number; cache_negative_max_ttl: number }): DnsCacheOptions {
  return { maxEntries: c.cache_size, maxTtl: Math.floor(c.cache_max_ttl / 1000), maxNegativeTtl: Math.floor(c.cache_negative_max_ttl / 1000) };
}

/** The record type a call asks for when the cache can answer it (one name, no options), else undefined. */
function cachedType(method: string, args: unknown[]): string | undefined {
  if (typeof args[0] !== 'string' || args[0].length === 0 || args[0].length > 253) return undefined;
  if (method === 'resolve') {
    if (args.length > 2) return undefined;
    const t = args[1] === undefined ? 'A' : typeof args[1] === 'string' ? args[1].toUpperCase() : '';
    return CACHED_TYPES.has(t) ? t : undefined;
  }
  const t = method === 'reverse' ? undefined : METHOD_TYPE[method];
  return t && args.length === 1 && CACHED_TYPES.has(t) ? t : undefined;
}

export function makeResolver(servers?: string[], timeoutMs = 3000, observe?: (l: DnsLookup) => void, cacheOptions?: DnsCacheOptions): Resolver {
  const r = new dnsp.Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers && servers.length) r.setServers(servers);
  const cache = cacheOptions && cacheOptions.maxEntries > 0 ? new DnsCache(cacheOptions) : undefined;
  if (!observe && !cache) return r;
  const reporter = (type: string, name: string) => {
    const started = performance.now();
    return (result: string) => {
      if (!observe) return;
      try {
        observe({ type, name: name.slice(0, 255), ms: Math.round((performance.now() - started) * 100) / 100, result });
      } catch {
        // an observer's failure never changes a lookup
      }
    };
  };
  return new Proxy(r, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const name = String(prop);
      const fixed = METHOD_TYPE[name];
      if (!fixed && name !== 'resolve') return (v as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        const cached = cache ? cachedType(name, args) : undefined;
        if (cache && cached) {
          const qname = args[0] as string;
          return cache
            .lookup(cached, qname, async () => {
              const report = reporter(cached, qname);
              // the servers asked now, so a later setServers() on this resolver counts
              const fresh = await askServers(target.getServers(), qname, cached, timeoutMs);
              report(fresh.answer.ok ? 'ok' : lookupResult(fresh.answer));
              return fresh;
            })
            .then((a) => unwrap(cached, qname, a));
        }
        if (!observe) return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        const type = fixed ?? String(args[1] ?? 'A');
        const report = reporter(type, String(args[0]));
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
