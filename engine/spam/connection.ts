// Connection-time spam checks, run once per transaction at MAIL FROM in the main thread: DNSBL lists,
// MAIL FROM domain (and, when configured, a callout to its MX), reverse DNS, HELO and SPF, all in parallel. They tag by default; only a trusted DNSBL
// with trusted_dnsbl_action = "refuse", or a tag listed in [spam] connection_reject, refuses (never a whitelisted sender). A failed lookup never produces a tag. Clients in
// [spam] local_networks (this machine by default) and trusted_ips are never judged here.
import type { LoadedConfig } from '../config/load.js';
import type { Resolver } from '../dns/resolver.js';
import type { Logger } from '../log/logger.js';
import { DnsblChecker, type DnsblOutcome } from '../policy/dnsbl.js';
import { SenderCallout, type CalloutResult } from '../policy/callout.js';
import { checkHelo, checkReverseDns, checkSenderDomain, checkSpf, type HeloOutcome, type RdnsOutcome, type SpfOutcome, type CheckOutcome } from '../policy/sender-checks.js';
import { IpList, unmapV4 } from '../policy/cidr.js';
import { boundListeners, exchangerScreen, type ExchangerScreen } from '../outbound/exchanger-screen.js';
import { headerLine } from './headers.js';
import { loadRuleSet } from './rules/rules.js';
import type { Tag } from './tags.js';
import type { ConnectionResult } from './types.js';
import { SenderWhitelist } from './whitelist.js';

export type { ConnectionResult } from './types.js';

export interface ConnectionInput {
  ip: string;
  helo: string;
  mailFrom: string;
  authenticated: boolean;
  hostname: string;
}

const SPF_TAG: Record<SpfOutcome['result'], Tag> = {
  pass: 'SPF_PASS',
  fail: 'SPF_FAIL',
  softfail: 'SPF_SOFTFAIL',
  neutral: 'SPF_NEUTRAL',
  none: 'SPF_NONE',
  temperror: 'SPF_TEMPERROR',
  permerror: 'SPF_PERMERROR',
};

/** A peer MTA sends many transactions alike: reuse a result for the same client, HELO and sender this long. */
const RESULT_TTL_MS = 60_000;
const MAX_RESULTS = 5_000;

/**
 * A key's 30-bit FNV-1a hash: a small integer, which a Set holds without an object of its own (the keys seen once
 * cost the garbage collector nothing to keep). Two keys with one hash only let a result be kept a transaction early.
 */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

/**
 * What one SMTP connection's checks found of its client (reverse DNS) and of its HELO name, for the connection's
 * next transactions (the checks of the sender, SPF and the DNSBLs run for each one). Like Postfix, which looks
 * the client's name up once per connection; kept at most RESULT_TTL_MS, and only when the lookups answered.
 */
export interface ClientMemo {
  ip: string;
  helo: string;
  expires: number;
  rdns?: RdnsOutcome;
  heloOutcome?: HeloOutcome;
  /** The last MAIL FROM domain's check (has it an MX or an address): the next sender of that domain reuses it. */
  sender?: { domain: string; outcome: CheckOutcome };
}

/** A result's copy for another caller: its lists and records are its own (a cached result is never shared). */
function copyResult(r: ConnectionResult): ConnectionResult {
  const out: ConnectionResult = { tags: r.tags.slice(), headers: r.headers.slice(), authResults: r.authResults.slice() };
  if (r.spf) out.spf = { ...r.spf };
  if (r.reject) out.reject = { ...r.reject };
  return out;
}

/** Whether every lookup behind a result answered (no temperror in its SPF or Authentication-Results parts). */
function answered(result: ConnectionResult): boolean {
  return result.spf?.result !== 'temperror' && !result.authResults.some((a) => /=temperror\b/.test(a));
}

export class ConnectionChecker {
  private readonly dnsbl: DnsblChecker;
  private readonly trusted: IpList;
  /** [spam] local_networks: this machine and internal networks, whose connection nothing here judges. */
  private readonly local: IpList;
  private readonly callout?: SenderCallout;
  /** Built at the first callout, when the listeners are bound (their ports are in run/listeners.json). */
  private calloutScreen?: ExchangerScreen;
  private readonly whitelist: SenderWhitelist;
  private readonly recent = new Map<string, { expires: number; result: ConnectionResult }>();
  /** Hashes of the keys checked once (at most MAX_RESULTS, oldest first out): a result is kept from the second on. */
  private readonly seen = new Set<number>();

  constructor(
    private readonly config: LoadedConfig,
    private readonly resolver: Resolver,
    private readonly logger: Logger,
    /** Our domains from the account database too (config only knows [domains] local and aliases). */
    isLocalDomain?: (domain: string) => boolean,
  ) {
    this.dnsbl = new DnsblChecker(config.dnsbl, config.dns.servers ?? []);
    this.trusted = new IpList(config.spam.trusted_ips);
    this.local = new IpList(config.spam.local_networks);
    this.whitelist = new SenderWhitelist(config.spam.sender_whitelist);
    // the content rules run in the workers; read them here too, at startup, so a bad rules_file stops the server
    // with its file, line and key instead of failing every analysis later
    if (config.spam.enabled) loadRuleSet(config.spam.rules_file, config.source);
    const s = config.spam;
    if (s.sender_callout) {
      const ours = new Set([config.hostname, ...config.domains.local, ...Object.keys(config.domains.aliases)].map((d) => d.toLowerCase()));
      this.callout = new SenderCallout({
        resolver,
        helo: config.outbound.helo_name ?? config.hostname,
        port: s.callout_port,
        screen: ((ip: string, port: number) => (this.calloutScreen ??= exchangerScreen(boundListeners(config.data_dir, config.listeners)))(ip, port)),
        timeoutMs: s.callout_timeout,
        positiveTtlMs: s.callout_cache_ttl,
        negativeTtlMs: s.callout_negative_ttl,
        perDomainPerMinute: s.callout_per_domain_per_minute,
        maxConcurrent: s.callout_max_concurrent,
        isLocalDomain: (d) => ours.has(d) || (isLocalDomain?.(d) ?? false),
        logger,
      });
    }
  }

  /** Whether this client skips spam checks: trusted IP range, or authenticated while filter_authenticated is off. */
  skips(ip: string, authenticated: boolean): boolean {
    return this.trusted.has(ip) || (authenticated && !this.config.spam.filter_authenticated);
  }

  /** `client`: the connection's memo of its client and HELO (the session keeps it; made here at its first use). */
  async check(input: ConnectionInput, client?: { memo?: ClientMemo }): Promise<ConnectionResult> {
    const key = `${input.ip}\0${input.helo.toLowerCase()}\0${input.mailFrom.toLowerCase()}\0${input.authenticated}\0${input.hostname}`;
    const hit = this.recent.get(key);
    if (hit && hit.expires > Date.now()) return copyResult(hit.result);
    const result = await this.run(input, client);
    // a lookup that did not answer is asked again by the next connection, not remembered for 60 s
    if (!answered(result)) return result;
    // kept from a key's second transaction on: senders seen once each (a new address per message, as from a list
    // server's VERP or the bench's load) would keep MAX_RESULTS results alive that nobody reads, each copied by
    // every scavenge until it is old, for ~6 µs of CPU a transaction
    const h = keyHash(key);
    if (!this.seen.has(h)) {
      if (this.seen.size >= MAX_RESULTS) this.seen.delete(this.seen.values().next().value!);
      this.seen.add(h);
      return result;
    }
    if (this.recent.size >= MAX_RESULTS) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(key, { expires: Date.now() + RESULT_TTL_MS, result: copyResult(result) });
    return result;
  }

  private async run(input: ConnectionInput, client?: { memo?: ClientMemo }): Promise<ConnectionResult> {
    const result: ConnectionResult = { tags: [], headers: [], authResults: [] };
    const s = this.config.spam;
    if (!s.enabled || this.skips(input.ip, input.authenticated)) return result;
    // a client on this machine or an internal network has no PTR, says HELO with our own name and sends
    // from domains it need not resolve: none of that says spam here (content filters still run)
    if (this.local.has(input.ip)) return result;
    const ip = unmapV4(input.ip);
    const ourNames = [input.hostname, this.config.hostname, ...this.config.domains.local, ...Object.keys(this.config.domains.aliases)];
    const safe = <T>(p: Promise<T>): Promise<T | Error> => p.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    const started = Date.now();
    const now = started;
    let memo = client?.memo;
    if (client && !(memo && memo.ip === ip && memo.helo === input.helo && memo.expires > now)) client.memo = memo = { ip, helo: input.helo, expires: now + RESULT_TTL_MS };
    const at = input.mailFrom.lastIndexOf('@');
    const senderDomain = at >= 0 ? input.mailFrom.slice(at + 1).toLowerCase() : undefined;
    const keptFrom = senderDomain !== undefined && memo?.sender?.domain === senderDomain ? memo.sender.outcome : undefined;
    const fromCheck = s.check_sender_domain ? (keptFrom ?? safe(checkSenderDomain(this.resolver, input.mailFrom))) : undefined;
    // the callout waits only for the domain check: a domain already known to be bad is not called
    const callout = this.callout;
    const calloutCheck = callout
      ? safe(Promise.resolve(fromCheck).then((f) => (f && !(f instanceof Error) && f.status === 'fail' ? undefined : callout.verify(input.mailFrom))))
      : undefined;
    const [bl, from, rdns, helo, spf, co] = await Promise.all([
      safe(this.dnsbl.check({ ip, helo: input.helo, mailFrom: input.mailFrom })),
      fromCheck,
      s.check_rdns ? (memo?.rdns ?? safe(checkReverseDns(this.resolver, ip))) : undefined,
      s.check_helo ? (memo?.heloOutcome ?? safe(checkHelo(this.resolver, { helo: input.helo, ip, ourNames }))) : undefined,
      s.spf ? safe(checkSpf(this.resolver, { ip, helo: input.helo, mailFrom: input.mailFrom, hostname: input.hostname })) : undefined,
      calloutCheck,
    ]);
    // kept for the connection's next transactions only when every lookup answered (a failure is asked again)
    if (memo && rdns && !(rdns instanceof Error) && rdns.ptr.status !== 'unknown' && (rdns.ptr.status === 'fail' || rdns.fcrdns.status !== 'unknown')) memo.rdns = rdns;
    if (memo && senderDomain !== undefined && from && !(from instanceof Error) && from.status !== 'unknown') memo.sender = { domain: senderDomain, outcome: from };
    if (memo && helo && !(helo instanceof Error) && helo.forged.status !== 'unknown' && helo.resolves.status !== 'unknown') memo.heloOutcome = helo;
    const add = (tag: Tag, header?: string, value?: string) => {
      if (!result.tags.includes(tag)) result.tags.push(tag);
      if (header && value !== undefined) result.headers.push(headerLine(header, value));
    };

    if (!(bl instanceof Error)) this.applyDnsbl(bl, ip, result, add, s.trusted_dnsbl_action === 'refuse');
    if (from && !(from instanceof Error) && from.status === 'fail') add('VALFROM', 'X-IMAIL-SPAM-VALFROM', from.reason);
    if (co && !(co instanceof Error) && co.status === 'fail') add('VALFROM_CALLOUT', 'X-IMAIL-SPAM-VALFROM', `callout to ${co.mx}: ${co.reply}`);
    if (rdns && !(rdns instanceof Error)) this.applyRdns(rdns, ip, result, add);
    if (helo && !(helo instanceof Error)) applyHelo(helo, add);
    if (spf && !(spf instanceof Error)) {
      result.spf = { result: spf.result, domain: spf.domain };
      result.authResults.push(spf.info);
      const tag = SPF_TAG[spf.result];
      if (spf.result === 'fail' || spf.result === 'softfail' || spf.result === 'permerror') add(tag, 'X-IMAIL-SPAM-SPF', `${spf.result} ${spf.comment}`.trim());
      else add(tag);
    }
    // a whitelisted envelope sender is never refused here (unless SPF says the address is forged): the seed's
    // whitelist overrides the DNSBL; its From: address is known only after DATA, where the analyser applies it
    if (result.reject && this.whitelist.has(input.mailFrom) && result.spf?.result !== 'fail') delete result.reject;
    else if (!result.reject && !(this.whitelist.has(input.mailFrom) && result.spf?.result !== 'fail')) {
      const refusing = result.tags.find((t) => (s.connection_reject as readonly string[]).includes(t));
      if (refusing) {
        const why = result.headers.find((h) => h.startsWith(headerFor(refusing)))?.replace(/^[^:]+:\s*/, '') ?? refusing;
        result.reject = { code: 550, status: '5.7.1', text: `Message refused: ${refusing}: ${why}` };
      }
    }
    const fields = { ip, helo: input.helo, from: input.mailFrom, tags: result.tags.join(','), ms: Date.now() - started, reject: result.reject?.text };
    if (s.verbose_log) {
      this.logger.info('spam', 'connection-checks', { ...fields, dnsbl: bl instanceof Error ? bl.message : bl.map((o) => `${o.list}=${o.status}`).join(','), rdns: outcomeText(rdns && !(rdns instanceof Error) ? rdns.ptr : undefined), spf: spf instanceof Error ? spf.message : spf?.result, callout: calloutText(co) });
    } else if (result.reject) this.logger.info('spam', 'connection-reject', fields);
    return result;
  }

  /** A trusted list's hit is DNSBL_TRUSTED, which deletes the message after DATA (the seed), or refuses now when asked. */
  private applyDnsbl(outcomes: DnsblOutcome[], ip: string, result: ConnectionResult, add: (t: Tag, h?: string, v?: string) => void, refuse: boolean): void {
    for (const o of outcomes) {
      this.logger.debug('spam', 'dnsbl', { list: o.list, status: o.status }); // tegami_dnsbl_lookups_total
      if (o.status !== 'listed') continue;
      const h = o.hit;
      add(h.trusted ? 'DNSBL_TRUSTED' : 'DNSBL', 'X-IMAIL-SPAM-DNSBL', `${h.list} ${h.reply}${h.label ? ` ${h.label}` : ''}`);
      if (h.trusted && refuse && !result.reject) {
        result.reject = { code: 550, status: '5.7.1', text: `Service refused: ${ip} listed by ${h.list} (${h.reply})` };
      }
    }
  }

  private applyRdns(r: RdnsOutcome, ip: string, result: ConnectionResult, add: (t: Tag, h?: string, v?: string) => void): void {
    if (r.ptr.status === 'fail') {
      add('VALREVDNS', 'X-IMAIL-SPAM-VALREVDNS', r.ptr.reason);
      result.authResults.push(`iprev=fail policy.iprev=${ip}`);
    } else if (r.ptr.status === 'unknown') result.authResults.push(`iprev=temperror policy.iprev=${ip}`);
    else if (r.fcrdns.status === 'fail') {
      add('VALREVDNS_FCRDNS', 'X-IMAIL-SPAM-VALREVDNS', r.fcrdns.reason);
      result.authResults.push(`iprev=fail policy.iprev=${ip} (${r.name})`);
    } else if (r.fcrdns.status === 'pass') result.authResults.push(`iprev=pass policy.iprev=${ip} (${r.name})`);
  }
}

function applyHelo(h: HeloOutcome, add: (t: Tag, header?: string, v?: string) => void): void {
  if (h.forged.status === 'fail') add('VALHELO_FORGED', 'X-IMAIL-SPAM-VALHELO', h.forged.reason);
  if (h.resolves.status === 'fail') add('VALHELO', 'X-IMAIL-SPAM-VALHELO', h.resolves.reason);
}

function headerFor(tag: Tag): string {
  return tag.startsWith('DNSBL') ? 'X-IMAIL-SPAM-DNSBL' : tag.startsWith('SPF') ? 'X-IMAIL-SPAM-SPF' : tag.startsWith('VALREVDNS') ? 'X-IMAIL-SPAM-VALREVDNS' : tag.startsWith('VALHELO') ? 'X-IMAIL-SPAM-VALHELO' : tag.startsWith('VALFROM') ? 'X-IMAIL-SPAM-VALFROM' : 'X-IMAIL-SPAM-' + tag;
}

function calloutText(c: CalloutResult | Error | undefined): string | undefined {
  if (!c) return undefined;
  if (c instanceof Error) return `error: ${c.message}`;
  return c.status === 'exists' || c.status === 'fail' ? `${c.status}${c.cached ? ' (cached)' : ''}: ${c.reply}` : `${c.status}: ${c.reason}`;
}

function outcomeText(o: CheckOutcome | undefined): string | undefined {
  return o ? (o.status === 'pass' ? 'pass' : `${o.status}: ${o.reason}`) : undefined;
}
