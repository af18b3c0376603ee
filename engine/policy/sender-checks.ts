// Sender checks of the connecting client (F2, F3): MAIL FROM domain resolvable, reverse DNS and
// forward-confirmed rDNS, HELO sanity, and SPF (RFC 7208, through mailauth with our resolver).
// Each check returns a value; a lookup that fails (timeout, SERVFAIL, no resolver) yields "unknown", never a hit.
import net from 'node:net';
import type { Resolver } from '../dns/resolver.js';
import { unmapV4 } from './cidr.js';
import { reversedIp } from './dnsbl.js';
import { SpfMemo, type SpfAnswer } from './spf-memo.js';

/** mailauth's SPF module (it brings Joi and libmime), loaded at the first SPF check: a server whose connection checks
 *  are off never carries it. */
let spfModule: Promise<typeof import('mailauth/lib/spf/index.js')> | undefined;

export type CheckOutcome = { status: 'pass' } | { status: 'fail'; reason: string } | { status: 'unknown'; reason: string };

type DnsErr = { code?: string };
/** NXDOMAIN or NOERROR/NODATA: the name really has no such record. Anything else is a failed lookup. */
export function isNoData(e: unknown): boolean {
  const c = (e as DnsErr)?.code;
  return c === 'ENOTFOUND' || c === 'ENODATA';
}

async function has(p: Promise<unknown[]>): Promise<boolean | 'error'> {
  try {
    return (await p).length > 0;
  } catch (e) {
    return isNoData(e) ? false : 'error';
  }
}

/**
 * Whether any of the questions finds a record: true, false (every one answered "none"), or 'error' (none found
 * and one failed) — as if all were asked at once, but the first is asked alone and the others only when it found
 * nothing (usually it finds something: a sender domain's MX, a HELO name's address). Two questions fewer per new
 * name; one more round trip, within each question's own time limit, only for names without the first record.
 */
async function anyRecord(first: () => Promise<unknown[]>, rest: (() => Promise<unknown[]>)[]): Promise<boolean | 'error'> {
  const a = await has(first());
  if (a === true) return true;
  const results = [a, ...(await Promise.all(rest.map((ask) => has(ask()))))];
  return results.includes(true) ? true : results.includes('error') ? 'error' : false;
}

/** The MAIL FROM domain has an MX, or else an A/AAAA record (RFC 5321 §5.1 implicit MX). */
export async function checkSenderDomain(resolver: Resolver, mailFrom: string): Promise<CheckOutcome> {
  const at = mailFrom.lastIndexOf('@');
  if (!mailFrom || at < 0) return { status: 'pass' }; // null sender: bounces are legitimate
  const domain = mailFrom.slice(at + 1).toLowerCase();
  if (domain.startsWith('[')) return { status: 'fail', reason: `${domain} is an address literal` };
  // like Postfix's reject_unknown_sender_domain: the MX first, the addresses only for a domain without one
  const found = await anyRecord(() => resolver.resolveMx(domain), [() => resolver.resolve4(domain), () => resolver.resolve6(domain)]);
  if (found === true) return { status: 'pass' };
  if (found === 'error') return { status: 'unknown', reason: `lookup of ${domain} failed` };
  return { status: 'fail', reason: `${domain} has no MX or A record` };
}

export interface RdnsOutcome {
  ptr: CheckOutcome;
  /** Forward-confirmed: one PTR name resolves back to the client IP. */
  fcrdns: CheckOutcome;
  name?: string;
}

export async function checkReverseDns(resolver: Resolver, ipIn: string): Promise<RdnsOutcome> {
  const ip = unmapV4(ipIn);
  let names: string[];
  const rev = reversedIp(ip);
  if (!rev) return { ptr: { status: 'unknown', reason: `${ip} is not an IP address` }, fcrdns: { status: 'unknown', reason: 'no PTR' } };
  try {
    // a PTR query, not resolver.reverse(): that one answers from /etc/hosts first, and a client's rDNS is what DNS says
    names = await resolver.resolvePtr(`${rev}.${net.isIPv4(ip) ? 'in-addr' : 'ip6'}.arpa`);
  } catch (e) {
    if (isNoData(e)) return { ptr: { status: 'fail', reason: `${ip} has no PTR record` }, fcrdns: { status: 'unknown', reason: 'no PTR' } };
    return { ptr: { status: 'unknown', reason: `PTR lookup for ${ip} failed` }, fcrdns: { status: 'unknown', reason: 'no PTR' } };
  }
  if (names.length === 0) return { ptr: { status: 'fail', reason: `${ip} has no PTR record` }, fcrdns: { status: 'unknown', reason: 'no PTR' } };
  let anyError = false;
  for (const name of names.slice(0, 5)) {
    try {
      const addrs = net.isIPv4(ip) ? await resolver.resolve4(name) : await resolver.resolve6(name);
      if (addrs.some((a) => sameIp(a, ip))) return { ptr: { status: 'pass' }, fcrdns: { status: 'pass' }, name };
    } catch (e) {
      if (!isNoData(e)) anyError = true;
    }
  }
  const fcrdns: CheckOutcome = anyError
    ? { status: 'unknown', reason: `forward lookup of ${names[0]} failed` }
    : { status: 'fail', reason: `${names[0]} does not resolve back to ${ip}` };
  return { ptr: { status: 'pass' }, fcrdns, name: names[0] };
}

function sameIp(a: string, b: string): boolean {
  if (net.isIPv6(a) && net.isIPv6(b)) return new net.SocketAddress({ address: a, family: 'ipv6' }).address === new net.SocketAddress({ address: b, family: 'ipv6' }).address;
  return unmapV4(a) === unmapV4(b);
}

export interface HeloInput {
  helo: string;
  ip: string;
  /** Names that are ours: the hostname and local domains. */
  ourNames: string[];
  /** Our listener addresses, to catch a client claiming our IP. */
  ourIps?: string[];
}

export interface HeloOutcome {
  /** The name claims to be us, or an address literal that is not the client's. */
  forged: CheckOutcome;
  /** The name resolves (A, AAAA or MX). */
  resolves: CheckOutcome;
}

export async function checkHelo(resolver: Resolver, input: HeloInput): Promise<HeloOutcome> {
  const helo = input.helo.trim().toLowerCase().replace(/\.$/, '');
  const ip = unmapV4(input.ip);
  const literal = /^\[(?:ipv6:)?([^\]]+)\]$/i.exec(helo)?.[1];
  if (literal !== undefined) {
    const forged: CheckOutcome = net.isIP(literal) && sameIp(literal, ip) ? { status: 'pass' } : { status: 'fail', reason: `HELO literal ${helo} is not the client address ${ip}` };
    return { forged, resolves: { status: 'pass' } };
  }
  if (net.isIP(helo)) {
    return { forged: sameIp(helo, ip) ? { status: 'pass' } : { status: 'fail', reason: `HELO ${helo} is not the client address ${ip}` }, resolves: { status: 'fail', reason: `HELO ${helo} is a bare IP address` } };
  }
  if (input.ourNames.some((n) => n.toLowerCase() === helo) || (input.ourIps ?? []).includes(helo)) {
    return { forged: { status: 'fail', reason: `HELO ${helo} claims to be this server` }, resolves: { status: 'pass' } };
  }
  if (!helo.includes('.') || !/^[a-z0-9._-]+$/.test(helo)) {
    return { forged: { status: 'pass' }, resolves: { status: 'fail', reason: `HELO ${helo || '(empty)'} is not a fully qualified domain name` } };
  }
  // a client's name usually has an address: the AAAA and MX questions only for one without
  const found = await anyRecord(() => resolver.resolve4(helo), [() => resolver.resolve6(helo), () => resolver.resolveMx(helo)]);
  if (found === true) return { forged: { status: 'pass' }, resolves: { status: 'pass' } };
  if (found === 'error') return { forged: { status: 'pass' }, resolves: { status: 'unknown', reason: `lookup of ${helo} failed` } };
  return { forged: { status: 'pass' }, resolves: { status: 'fail', reason: `HELO ${helo} does not resolve` } };
}

export type SpfOutcome = SpfAnswer;

/** Each resolver's SPF memo (a server has one resolver; tests make their own, and never share a memo). */
const memos = new WeakMap<Resolver, SpfMemo>();

/**
 * SPF through mailauth; every DNS query goes through our resolver (the lab's stand-in in tests). A result is reused
 * for the next sender of the same domain from the same client and HELO when no record read held a macro (spf-memo.ts).
 */
export async function checkSpf(resolver: Resolver, input: { ip: string; helo: string; mailFrom: string; hostname: string }): Promise<SpfOutcome> {
  let sawMacro = false;
  const lookup = async (name: string, type: string) => {
    const answer = (await resolver.resolve(name, type)) as string[][] | string[];
    // a "%" anywhere in a TXT answer may be a macro (RFC 7208 §7): such a result may depend on the local part
    if (type === 'TXT' && answer.some((r) => (Array.isArray(r) ? r.some((s) => s.includes('%')) : String(r).includes('%')))) sawMacro = true;
    return answer;
  };
  const helo = net.isIP(input.helo) ? `[${input.helo}]` : input.helo;
  const q = { ip: unmapV4(input.ip), helo, sender: input.mailFrom, mta: input.hostname };
  let memo = memos.get(resolver);
  if (!memo) memos.set(resolver, (memo = new SpfMemo()));
  const kept = input.mailFrom ? memo.get(q) : null;
  if (kept) return kept;
  const { spf: spfVerify } = await (spfModule ??= import('mailauth/lib/spf/index.js'));
  const r = await spfVerify({ sender: input.mailFrom || undefined, ip: q.ip, helo, mta: input.hostname, resolver: lookup });
  const raw = String(r.status.result);
  const result = (raw === 'temperr' ? 'temperror' : raw) as SpfOutcome['result'];
  const out: SpfOutcome = { result, domain: r.domain, info: r.info, comment: r.status.comment ?? '' };
  if (input.mailFrom) memo.offer(q, out, sawMacro);
  return out;
}
