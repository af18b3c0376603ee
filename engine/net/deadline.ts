// The deadline primitive every protocol uses against slow clients (slowloris): one timer that times one thing
// at a time (a command line, a literal, a message, a TLS handshake), named by a phase and a key. Timing what is
// already being timed keeps its clock, so a client cannot restart it by sending more bytes; unlike a socket's
// idle timeout, nothing the client does extends it. It never touches a socket: the owner decides what expiry means.

export class Deadline<P extends string> {
  private current: { phase: P; key: unknown; start: number; limit: number; timer: NodeJS.Timeout } | null = null;

  constructor(
    private readonly onExpire: (phase: P, elapsedMs: number, limitMs: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Time `phase` (what it is about: `key`, e.g. the number of the segment awaited) from `start` for `limitMs`.
   * If that same phase and key are being timed already, the running clock is kept. limitMs <= 0 stops timing.
   */
  time(phase: P, key: unknown, limitMs: number, start = this.now()): void {
    const c = this.current;
    if (c && c.phase === phase && c.key === key && c.limit === limitMs) return;
    this.stop();
    if (limitMs <= 0) return;
    const timer = setTimeout(() => this.fire(), Math.max(0, start + limitMs - this.now()));
    timer.unref();
    this.current = { phase, key, start, limit: limitMs, timer };
  }

  /** Nothing is owed by the client now (or the server is working): no clock runs. */
  stop(): void {
    if (this.current) clearTimeout(this.current.timer);
    this.current = null;
  }

  /** What is being timed, if anything. */
  get timing(): { phase: P; key: unknown; start: number } | null {
    return this.current && { phase: this.current.phase, key: this.current.key, start: this.current.start };
  }

  private fire(): void {
    const c = this.current;
    if (!c) return;
    const elapsed = this.now() - c.start;
    if (elapsed < c.limit) {
      // a timer may fire a little early: wait out the rest
      c.timer = setTimeout(() => this.fire(), c.limit - elapsed);
      c.timer.unref();
      return;
    }
    this.current = null;
    this.onExpire(c.phase, elapsed, c.limit);
  }
}
