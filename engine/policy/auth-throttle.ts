// Failed-login throttling per client IP, shared by SMTP AUTH, POP3 and IMAP: after `throttleAfter`
// failures within `windowMs`, each attempt waits (growing, at most maxDelayMs); after `blockAfter`
// failures, logins from that IP are refused for `blockForMs`. Loopback is not exempt. Memory is bounded.

export interface ThrottleOptions {
  throttleAfter: number;
  windowMs: number;
  maxDelayMs: number;
  blockAfter: number;
  blockForMs: number;
  /** At most this many IPs are tracked; the oldest entries go first. */
  maxEntries?: number;
}

interface Entry {
  failures: number[];
  blockedUntil: number;
}

export type ThrottleDecision = { kind: 'allow'; delayMs: number } | { kind: 'blocked'; untilMs: number };

export class AuthThrottle {
  private entries = new Map<string, Entry>();

  constructor(
    private readonly opts: ThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  static fromConfig(auth: { throttle_after: number; window: number; max_delay: number; block_after: number; block_for: number }): AuthThrottle {
    return new AuthThrottle({
      throttleAfter: auth.throttle_after,
      windowMs: auth.window,
      maxDelayMs: auth.max_delay,
      blockAfter: auth.block_after,
      blockForMs: auth.block_for,
    });
  }

  /** Before checking credentials: may this IP try, and how long should the answer wait? */
  check(ip: string): ThrottleDecision {
    const e = this.entries.get(ip);
    if (!e) return { kind: 'allow', delayMs: 0 };
    const now = this.now();
    if (e.blockedUntil > now) return { kind: 'blocked', untilMs: e.blockedUntil };
    this.prune(e, now);
    const n = e.failures.length;
    if (this.opts.throttleAfter > 0 && n >= this.opts.throttleAfter) {
      const over = n - this.opts.throttleAfter + 1;
      return { kind: 'allow', delayMs: Math.min(this.opts.maxDelayMs, 250 * 2 ** Math.min(over - 1, 10)) };
    }
    return { kind: 'allow', delayMs: 0 };
  }

  /** Record a failed attempt; returns true when this failure started a block. */
  fail(ip: string): boolean {
    const now = this.now();
    let e = this.entries.get(ip);
    if (!e) {
      if (this.entries.size >= (this.opts.maxEntries ?? 100_000)) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      e = { failures: [], blockedUntil: 0 };
      this.entries.set(ip, e);
    }
    this.prune(e, now);
    e.failures.push(now);
    if (this.opts.blockAfter > 0 && e.failures.length >= this.opts.blockAfter && e.blockedUntil <= now) {
      e.blockedUntil = now + this.opts.blockForMs;
      e.failures = [];
      return true;
    }
    return false;
  }

  /** A successful login clears nothing: a guesser who hits one password must not reset his counter. */
  failures(ip: string): number {
    const e = this.entries.get(ip);
    if (!e) return 0;
    this.prune(e, this.now());
    return e.failures.length;
  }

  private prune(e: Entry, now: number): void {
    const from = now - this.opts.windowMs;
    let i = 0;
    while (i < e.failures.length && e.failures[i] < from) i++;
    if (i) e.failures.splice(0, i);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
