// MTA-STS policy discovery for one recipient domain (RFC 8461 §5): the `_mta-sts` TXT record through
// tegami's resolver, the cached policy when its id still matches, else a fresh HTTPS fetch (kept in the
// durable cache); an unexpired cached policy outlives a missing record or a failed fetch (§5.1).
// It reports what it did as log events and never opens an SMTP connection or decides a delivery.
import fs from 'node:fs';
import type { Resolver } from '../dns/resolver.js';
import { readCached, writeCached, type CachedPolicy } from './mta-sts-cache.js';
import { fetchPolicyText, policyUrl } from './mta-sts-fetch.js';
import { asciiDomain, parseStsPolicy, parseStsRecord, policyAllows } from './mta-sts-policy.js';

export interface StsEvent {
  event: string;
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
}

export interface StsDeps {
  resolver: Resolver;
  dataDir: string;
  httpsPort: number;
  timeoutMs: number;
  /** ca_file from the configuration; undefined = the system's bundle. */
  caFile?: string;
  now?: () => number;
}

export interface Discovery {
  /** The policy in force (mode enforce or testing), or null: deliver as without MTA-STS. */
  policy: CachedPolicy | null;
  events: StsEvent[];
}

const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** A failed fetch of one (domain, id) is not repeated by this worker for this long. */
const FAILED_FETCH_PAUSE_MS = 5 * 60_000;

const caMemo = new Map<string, { ok: true; pem: string | undefined } | { ok: false; reason: string }>();

/** The trusted CAs as one PEM string (undefined = Node's built-in roots), read once per thread. */
export function trustedCa(caFile?: string): { ok: true; pem: string | undefined } | { ok: false; reason: string } {
  const key = caFile ?? '';
  let v = caMemo.get(key);
  if (!v) {
    const file = caFile ?? (fs.existsSync(SYSTEM_BUNDLE) ? SYSTEM_BUNDLE : undefined);
    try {
      v = { ok: true, pem: file ? fs.readFileSync(file, 'utf8') : undefined };
      if (file && !/-----BEGIN CERTIFICATE-----/.test(v.pem ?? '')) v = { ok: false, reason: `${file} holds no PEM certificate` };
    } catch (e) {
      v = { ok: false, reason: `cannot read ca_file ${file}: ${(e as Error).message}` };
    }
    caMemo.set(key, v);
  }
  return v;
}

type Txt = { kind: 'record'; id: string } | { kind: 'none'; reason?: string } | { kind: 'temp'; reason: string };

async function lookupRecord(resolver: Resolver, domain: string): Promise<Txt> {
  try {
    const rr = await resolver.resolveTxt(`_mta-sts.${domain}`);
    const parsed = parseStsRecord(rr.map((chunks) => chunks.join('')));
    return parsed.ok ? { kind: 'record', id: parsed.value.id } : { kind: 'none', reason: parsed.reason };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'ERROR';
    if (code === 'ENODATA' || code === 'ENOTFOUND') return { kind: 'none' };
    return { kind: 'temp', reason: `TXT lookup of _mta-sts.${domain} failed (${code})` };
  }
}

const inFlight = new Map<string, Promise<{ ok: true; entry: CachedPolicy } | { ok: false; reason: string }>>();
const failedFetch = new Map<string, { at: number; reason: string }>();

async function fetchPolicy(domain: string, id: string, d: StsDeps, now: number): Promise<{ ok: true; entry: CachedPolicy } | { ok: false; reason: string }> {
  const ca = trustedCa(d.caFile);
  if (!ca.ok) return ca;
  const got = await fetchPolicyText(domain, { resolver: d.resolver, port: d.httpsPort, timeoutMs: d.timeoutMs, ca: ca.pem });
  if (!got.ok) return got;
  const parsed = parseStsPolicy(got.text);
  if (!parsed.ok) return { ok: false, reason: `invalid policy: ${parsed.reason}` };
  const entry: CachedPolicy = { domain, id, policy: parsed.value, fetchedAt: now, expiresAt: now + parsed.value.maxAge * 1000 };
  try {
    writeCached(d.dataDir, entry);
  } catch {
    /* the policy still applies to this delivery; the next one fetches again */
  }
  return { ok: true, entry };
}

function inForce(entry: CachedPolicy | null): CachedPolicy | null {
  return entry && entry.policy.mode !== 'none' ? entry : null;
}

export async function discoverPolicy(recipientDomain: string, d: StsDeps): Promise<Discovery> {
  const events: StsEvent[] = [];
  const domain = asciiDomain(recipientDomain);
  if (!domain) return { policy: null, events };
  const now = (d.now ?? Date.now)();
  const stored = readCached(d.dataDir, domain);
  const cached = stored && stored.expiresAt > now ? stored : null;
  const useCached = (why: string): Discovery => {
    if (cached) events.push({ event: 'mta-sts-cached', level: 'info', fields: { domain, policy_id: cached.id, mode: cached.policy.mode, why, expires: new Date(cached.expiresAt).toISOString() } });
    return { policy: inForce(cached), events };
  };

  const txt = await lookupRecord(d.resolver, domain);
  if (txt.kind === 'none') return useCached(txt.reason ? `TXT record unusable: ${txt.reason}` : 'no TXT record');
  if (txt.kind === 'temp') return useCached(txt.reason);
  if (cached && cached.id === txt.id) return { policy: inForce(cached), events };

  const key = `${domain} ${txt.id}`;
  const failed = failedFetch.get(key);
  if (failed && now - failed.at < FAILED_FETCH_PAUSE_MS) return useCached(`fetch failed recently: ${failed.reason}`);
  let p = inFlight.get(key);
  if (!p) {
    p = fetchPolicy(domain, txt.id, d, now).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  const r = await p;
  if (!r.ok) {
    failedFetch.set(key, { at: now, reason: r.reason });
    events.push({ event: 'mta-sts-fetch-failed', level: 'warn', fields: { domain, policy_id: txt.id, url: policyUrl(domain, d.httpsPort), error: r.reason, cached: !!cached } });
    return useCached('policy fetch failed');
  }
  failedFetch.delete(key);
  const pol = r.entry.policy;
  events.push({ event: 'mta-sts-fetched', level: 'info', fields: { domain, policy_id: txt.id, mode: pol.mode, mx: pol.mx.join(','), max_age: pol.maxAge, previous_id: stored?.id } });
  return { policy: inForce(r.entry), events };
}

/** MX hosts split by the policy's mx patterns. */
export function screenHosts<T extends { name: string }>(policy: CachedPolicy, targets: T[]): { allowed: T[]; refused: T[] } {
  const allowed: T[] = [];
  const refused: T[] = [];
  for (const t of targets) (policyAllows(policy.policy, t.name) ? allowed : refused).push(t);
  return { allowed, refused };
}
