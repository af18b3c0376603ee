// Failed-login throttling, one instance shared by every protocol (engine/net/login.ts is its only caller).
// Per client (an IPv4 address, or an IPv6 /ipv6_prefix network): after `throttleAfter` failures in `windowMs`
// each attempt waits (growing, at most maxDelayMs); after `blockAfter` failures the client is refused for
// `blockForMs`. Per account: after `accountThrottleAfter` failures in the window, attempts on that account run
// one per `accountDelayMs` (an attempt whose turn is further away is told to come back later) instead of being
// blocked, and a client network the owner has logged in from before skips the queue, so guessing is slowed
// without locking the owner out. Only failures count; a success resets nothing. An attempt in flight (past the gate,
// not yet decided: begin() … release(), or fail()) counts against both budgets as the failure it may become, so a
// burst fired at once gets the answers the same attempts spaced would: at most `blockAfter` checked per client, and
// the account's spacing from its `accountThrottleAfter`-th; the rest are told to try again later (nothing counted),
// whatever the name. Memory is bounded, but an entry that still blocks, spaces or has an attempt in flight is never
// evicted (their number is bounded by how fast passwords can be checked).
import { clientKey } from './cidr.js';

export interface ThrottleOptions {
  throttleAfter: number;
  windowMs: number;
  maxDelayMs: number;
  blockAfter: number;
  blockForMs: number;
  /** Bits of an IPv6 address that name one client (64: a /64 is one client). */
  ipv6Prefix?: number;
  /** Failures on one account in the window after which its attempts are spaced out; 0 = never. */
  accountThrottleAfter?: number;
  /** The spacing between attempts on such an account (and the longest an attempt waits for its turn). */
  accountDelayMs?: number;
  /** Entries (clients, accounts) tracked before inactive ones are evicted, oldest first. */
  maxEntries?: number;
}

/** Failures in the window counted by all nodes together (engine/net/shared-throttle.ts), this node's included. */
export interface SharedCounts {
  client: number;
  account: number;
  /** The client network is known for the account on some node (it skips the spacing). */
  known?: boolean;
  /** The nodes take a spaced account's turn together (SharedLoginCounts.slot): check() only says it needs one. */
  sharedSlots?: boolean;
}

export type ThrottleDecision =
  /** `spaced`: the account's turn is still to be taken, from the shared slots (sharedSlots) or takeSlot(). */
  | { kind: 'allow'; delayMs: number; spaced?: boolean }
  /** This client is blocked until untilMs. */
  | { kind: 'blocked'; untilMs: number }
  /**
   * The account is being guessed at and its queue is full for now, or (`why`) the client's attempts in flight
   * fill its budget: try again later (nothing is counted).
   */
  | { kind: 'busy'; why?: string };

interface ClientEntry {
  failures: number[];
  blockedUntil: number;
  /** Attempts past the gate and not yet decided. */
  inflight: Set<Attempt>;
}

interface AccountEntry {
  failures: number[];
  inflight: Set<Attempt>;
  /** When the next spaced attempt may run. */
  nextSlot: number;
  /** Client keys that logged in to this account successfully (at most KNOWN_PER_ACCOUNT, newest last). */
  known: string[];
}

const KNOWN_PER_ACCOUNT = 8;

/**
 * An attempt in flight stops counting after this long even if never released (a SASL exchange the client
 * abandoned half-way): the gate's wait, the hash queue and a client's SCRAM round trip fit in it many times over.
 */
export const INFLIGHT_MAX_MS = 60_000;

/** One attempt past the gate, counted on its client and account until released (idempotent) or failed. */
export class Attempt {
  private sets: Set<Attempt>[] = [];
  constructor(readonly at: number) {}
  /** @internal */
  hold(set: Set<Attempt>): void {
    set.add(this);
    this.sets.push(set);
  }
  /** The attempt ended without a failure (a success, the hash queue full, an error): it no longer counts. */
  release(): void {
    for (const s of this.sets) s.delete(this);
    this.sets = [];
  }
}

export class AuthThrottle {
  private clients = new Map<string, ClientEntry>();
  private accounts = new Map<string, AccountEntry>();

  constructor(
    private readonly opts: ThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  static fromConfig(auth: {
    throttle_after: number;
    window: number;
    max_delay: number;
    block_after: number;
    block_for: number;
    ipv6_prefix?: number;
    account_throttle_after?: number;
    account_delay?: number;
  }): AuthThrottle {
    return new AuthThrottle({
      throttleAfter: auth.throttle_after,
      windowMs: auth.window,
      maxDelayMs: auth.max_delay,
      blockAfter: auth.block_after,
      blockForMs: auth.block_for,
      ipv6Prefix: auth.ipv6_prefix,
      accountThrottleAfter: auth.account_throttle_after,
      accountDelayMs: auth.account_delay,
    });
  }

  /** The key `ip` is counted under (its /ipv6_prefix network for IPv6). */
  keyOf(ip: string): string {
    return clientKey(ip, this.opts.ipv6Prefix ?? 64);
  }

  /**
   * Before checking credentials: may this client try (on `account`, when known), and how long should the answer
   * wait? A spaced account reserves the attempt's turn, so call it once per attempt, right before the check.
   * `elsewhere`: the failures all nodes counted together; the larger of it and this node's count decides.
   */
  check(ip: string, account?: string, elsewhere?: SharedCounts): ThrottleDecision {
    const now = this.now();
    const key = this.keyOf(ip);
    const c = this.clients.get(key);
    let delayMs = 0;
    let n = 0;
    if (c) {
      if (c.blockedUntil > now) return { kind: 'blocked', untilMs: c.blockedUntil };
      this.prune(c.failures, now);
      n = c.failures.length;
      // the attempts in flight may all fail: the client's budget is what is left after them (the wait stays
      // the failures' own, so a mail client opening several sessions at once is not slowed)
      if (this.opts.blockAfter > 0 && n + this.live(c.inflight, now) >= this.opts.blockAfter) return { kind: 'busy', why: 'attempts in flight from this client' };
    }
    n = Math.max(n, elsewhere?.client ?? 0);
    if (this.opts.throttleAfter > 0 && n >= this.opts.throttleAfter) {
      const over = n - this.opts.throttleAfter + 1;
      delayMs = Math.min(this.opts.maxDelayMs, 250 * 2 ** Math.min(over - 1, 10));
    }
    let a = account === undefined ? undefined : this.accounts.get(account);
    if (account !== undefined && !a && (elsewhere?.account ?? 0) > 0) a = this.entry(this.accounts, account, newAccount);
    if (a && this.throttled(a, now, elsewhere?.account) && !a.known.includes(key) && !elsewhere?.known) {
      if (elsewhere?.sharedSlots) return { kind: 'allow', delayMs, spaced: true };
      const wait = this.reserve(a, now);
      if (wait === 'busy') return { kind: 'busy' };
      delayMs = Math.max(delayMs, wait);
    }
    return { kind: 'allow', delayMs };
  }

  /**
   * Right after check() allowed it (same tick): the attempt counts on the client and the account until
   * `release()` or `fail(…, attempt)`.
   */
  begin(ip: string, account?: string): Attempt {
    const a = new Attempt(this.now());
    a.hold(this.entry(this.clients, this.keyOf(ip), newClient).inflight);
    if (account !== undefined) a.hold(this.entry(this.accounts, account, newAccount).inflight);
    return a;
  }

  /** Attempts in flight counted now (expired ones dropped). */
  private live(set: Set<Attempt>, now: number): number {
    for (const a of set) if (now - a.at > INFLIGHT_MAX_MS) set.delete(a);
    return set.size;
  }

  /** This node's turn for a spaced account (when the shared turn cannot be taken: the database away). */
  takeSlot(account: string): number | 'busy' {
    return this.reserve(this.entry(this.accounts, account, newAccount), this.now());
  }

  private reserve(a: AccountEntry, now: number): number | 'busy' {
    const slot = Math.max(now, a.nextSlot);
    if (slot - now > this.accountDelay) return 'busy';
    a.nextSlot = slot + this.accountDelay;
    return slot - now;
  }

  /** Record a failed attempt (`attempt`: the one in flight it ends); returns true when this failure started a block of the client. */
  fail(ip: string, account?: string, attempt?: Attempt): boolean {
    attempt?.release();
    const now = this.now();
    if (account !== undefined) {
      const a = this.entry(this.accounts, account, newAccount);
      this.prune(a.failures, now);
      a.failures.push(now);
    }
    const c = this.entry(this.clients, this.keyOf(ip), newClient);
    this.prune(c.failures, now);
    c.failures.push(now);
    if (this.opts.blockAfter > 0 && c.failures.length >= this.opts.blockAfter && c.blockedUntil <= now) {
      c.blockedUntil = now + this.opts.blockForMs;
      c.failures = [];
      return true;
    }
    return false;
  }

  /** A successful login: the client's network becomes known for the account. Failure counts stay as they are. */
  succeeded(ip: string, account: string): void {
    const a = this.entry(this.accounts, account, newAccount);
    const key = this.keyOf(ip);
    a.known = [...a.known.filter((k) => k !== key), key].slice(-KNOWN_PER_ACCOUNT);
  }

  failures(ip: string): number {
    const c = this.clients.get(this.keyOf(ip));
    if (!c) return 0;
    this.prune(c.failures, this.now());
    return c.failures.length;
  }

  /** Entries held now (for tests and metrics). */
  get size(): { clients: number; accounts: number } {
    return { clients: this.clients.size, accounts: this.accounts.size };
  }

  private get accountDelay(): number {
    return this.opts.accountDelayMs ?? 10_000;
  }

  /** Has this account seen enough failures in the window for its attempts to be spaced out? */
  private throttled(a: AccountEntry, now: number, elsewhere = 0): boolean {
    const after = this.opts.accountThrottleAfter ?? 0;
    if (after <= 0 || this.accountDelay <= 0) return false;
    this.prune(a.failures, now);
    return Math.max(a.failures.length + this.live(a.inflight, now), elsewhere) >= after;
  }

  private entry<E>(map: Map<string, E>, key: string, make: () => E): E {
    let e = map.get(key);
    if (e) {
      map.delete(key); // keep the map in order of last use: eviction looks at the front
      map.set(key, e);
      return e;
    }
    if (map.size >= (this.opts.maxEntries ?? 100_000)) this.evict(map);
    e = make();
    map.set(key, e);
    return e;
  }

  /** Drop the least recently used entry that no longer blocks or spaces anything; never an active one. */
  private evict<E>(map: Map<string, E>): void {
    const now = this.now();
    let looked = 0;
    for (const [key, e] of map) {
      if (!this.active(e as ClientEntry | AccountEntry, now)) {
        map.delete(key);
        return;
      }
      if (++looked >= 1000) break; // all active near the front: let the map grow (see the header)
    }
  }

  private active(e: ClientEntry | AccountEntry, now: number): boolean {
    if (this.live(e.inflight, now)) return true;
    if ('blockedUntil' in e) {
      if (e.blockedUntil > now) return true;
      this.prune(e.failures, now);
      return this.opts.throttleAfter > 0 && e.failures.length >= this.opts.throttleAfter;
    }
    return e.nextSlot > now || this.throttled(e, now);
  }

  private prune(failures: number[], now: number): void {
    const from = now - this.opts.windowMs;
    let i = 0;
    while (i < failures.length && failures[i] < from) i++;
    if (i) failures.splice(0, i);
  }
}

const newClient = (): ClientEntry => ({ failures: [], blockedUntil: 0, inflight: new Set() });
const newAccount = (): AccountEntry => ({ failures: [], nextSlot: 0, known: [], inflight: new Set() });

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
