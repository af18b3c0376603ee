// DNSBL lookups (F1): for each enabled list, build the query name (client IP in IPv4 or IPv6 nibble form,
// MAIL FROM address plain or hashed, HELO name, or MAIL FROM domain), ask within the list's timeout, and
// cache the answer for its TTL. It fails open: a dead or broken list is "not listed", never a delay past
// its timeout and never a refusal by itself; after a timeout the list rests for 30 s.
import crypto from 'node:crypto';
import dns from 'node:dns';
import net from 'node:net';
import type { DnsblConfig } from '../config/schema.js';
import { queryDns, parseServer, type DnsServerAddr } from '../spam/dns-query.js';
import { unmapV4 } from './cidr.js';

export interface DnsblInput {
  ip: string;
  helo: string;
  mailFrom: string;
}

export interface DnsblHit {
  list: string;
  trusted: boolean;
  /** The 127.x.y.z answer. */
  reply: string;
  /** The label the list's reply map gives this answer, if any. */
  label?: string;
  query: string;
}

export type DnsblOutcome = { list: string; status: 'listed'; hit: DnsblHit } | { list: string; status: 'clean' | 'skipped' | 'error'; detail?: string };

/** Reversed IPv4 octets or IPv6 nibbles (RFC 5782 §2.1, §2.4). */
export function reversedIp(ip: string): string | null {
  const v = unmapV4(ip);
  if (net.isIPv4(v)) return v.split('.').reverse().join('.');
  if (!net.isIPv6(v)) return null;
  const [head, tail] = v.includes('::') ? v.split('::') : [v, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join('').toLowerCase().split('').reverse().join('.');
}

/** The name to look up for this list, or null when the list does not apply (no sender, IP-literal HELO). */
export function dnsblQueryName(list: DnsblConfig, input: DnsblInput): string | null {
  const zone = trimDots(list.query_domain);
  const sender = input.mailFrom.toLowerCase();
  const at = sender.lastIndexOf('@');
  switch (list.type) {
    case 'DNS': {
      const r = reversedIp(input.ip);
      return r ? `${r}.${zone}` : null;
    }
    case 'HELO': {
      const h = input.helo.toLowerCase().replace(/\.$/, '');
      if (!h || h.startsWith('[') || net.isIP(h) || !/^[a-z0-9._-]+$/.test(h)) return null;
      return `${h}.${zone}`;
    }
    case 'RHS': {
      if (at < 0) return null;
      const d = sender.slice(at + 1).replace(/\.$/, '');
      return /^[a-z0-9._-]+$/.test(d) ? `${d}.${zone}` : null;
    }
    case 'ADDR': {
      if (at < 0) return null;
      if (list.hash !== 'none') return `${crypto.createHash(list.hash).update(sender).digest('hex')}.${zone}`;
      const labels = sender.replace('@', '.');
      return /^[a-z0-9._+-]+$/.test(labels) && !labels.includes('..') ? `${labels}.${zone}` : null;
    }
  }
}

/** Without leading and trailing dots (linear; /^\.+|\.+$/g rescans every run of dots). */
function trimDots(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 0x2e) a++;
  while (b > a && s.charCodeAt(b - 1) === 0x2e) b--;
  return s.slice(a, b);
}

interface CacheEntry {
  expires: number;
  outcome: DnsblOutcome;
}

const MAX_CACHE = 20_000;
/** After a timeout a list is not asked again for this long, so a dead list costs one timeout, not one per message. */
const DOWN_FOR_MS = 30_000;

export class DnsblChecker {
  private cache = new Map<string, CacheEntry>();
  private downUntil = new Map<string, number>();

  /** configuredServers: the [dns] servers resolver's list ("*" lists use it); empty = the system's. */
  constructor(
    private readonly lists: DnsblConfig[],
    private readonly configuredServers: string[],
  ) {}

  private serverFor(list: DnsblConfig): DnsServerAddr | null {
    const s = list.server === '*' ? this.configuredServers[0] ?? dns.getServers()[0] : list.server === 'system' ? dns.getServers()[0] : list.server;
    return s ? parseServer(s) : null;
  }

  async check(input: DnsblInput): Promise<DnsblOutcome[]> {
    // a loop into an array literal, not .filter/.map: an array made by an inlined builtin has another map, which threw
    // the connection checks' optimised code away (docs/benchmarks.md, eleventh round)
    const checks: ReturnType<DnsblChecker['checkOne']>[] = [];
    for (const l of this.lists) if (l.enabled) checks.push(this.checkOne(l, input));
    return Promise.all(checks);
  }

  private async checkOne(list: DnsblConfig, input: DnsblInput): Promise<DnsblOutcome> {
    const name = dnsblQueryName(list, input);
    if (!name) return { list: list.name, status: 'skipped' };
    const key = `${list.name}\0${name}`;
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.expires > now) return cached.outcome;
    if ((this.downUntil.get(list.name) ?? 0) > now) return { list: list.name, status: 'error', detail: 'list down, not asked' };
    const server = this.serverFor(list);
    if (!server) return { list: list.name, status: 'error', detail: 'no resolver' };
    const res = await queryDns(server, name, 'A', { timeoutMs: list.timeout, tcpFirst: list.tcp_first });
    if (!res.ok) {
      if (res.error === 'timeout' || res.error === 'network') this.downUntil.set(list.name, Date.now() + DOWN_FOR_MS);
      return { list: list.name, status: 'error', detail: res.error };
    }
    this.downUntil.delete(list.name);
    let outcome: DnsblOutcome;
    let ttl = res.negativeTtl;
    const replies = res.answers.filter((a) => a.type === 'A').map((a) => a.data);
    const mapped = Object.keys(list.replies).length > 0;
    // RFC 5782: listings answer in 127.0.0.0/8; 127.255.255.x are error codes of some lists (query refused).
    const hit = replies.find((r) => /^127\./.test(r) && !/^127\.255\.255\./.test(r) && (!mapped || r in list.replies));
    if (res.rcode === 'NOERROR' && hit) {
      ttl = Math.min(...res.answers.map((a) => a.ttl));
      outcome = { list: list.name, status: 'listed', hit: { list: list.name, trusted: list.trusted, reply: hit, label: list.replies[hit], query: name } };
    } else if (res.rcode === 'NOERROR' || res.rcode === 'NXDOMAIN') {
      outcome = { list: list.name, status: 'clean' };
    } else return { list: list.name, status: 'error', detail: res.rcode };
    this.remember(key, outcome, Math.max(0, Math.min(ttl, 86_400)));
    return outcome;
  }

  private remember(key: string, outcome: DnsblOutcome, ttlSeconds: number): void {
    if (ttlSeconds <= 0) return;
    if (this.cache.size >= MAX_CACHE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, { expires: Date.now() + ttlSeconds * 1000, outcome });
  }
}
