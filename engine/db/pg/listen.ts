// One dedicated LISTEN connection on one channel, reconnected with back-off (the first delay, doubling up to 30 s)
// after a cut or a failed attempt: a notification calls `notice`; the connection coming back calls `back` (notices
// may have been missed meanwhile); a cut or a failed reconnect calls `down`. It runs nothing but LISTEN, and a
// client that failed half way is closed, never left holding a socket (the process could not exit).
import type pg from 'pg';
import { pgLib } from './lib.js';

export interface ListenHooks {
  notice(payload: string | undefined): void;
  /** Connected again after a cut or a failed first attempt (not on the first connect). */
  back?(): void;
  /** The connection was cut, or a reconnect failed. */
  down?(): void;
  /** A client error, or why a reconnect failed. */
  error?(e: Error): void;
}

const MAX_RETRY_MS = 30_000;

export class PgListen {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private retryMs: number;

  constructor(
    private readonly cfg: pg.ClientConfig,
    private readonly channel: string,
    private readonly hooks: ListenHooks,
    private readonly firstRetryMs = 500,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`bad channel name ${channel}`);
    this.retryMs = firstRetryMs;
  }

  /** True while the LISTEN connection is up. */
  get up(): boolean {
    return this.client !== undefined;
  }

  /** The first connection; throws when it fails (then retryLater() keeps trying in the background). */
  start(): Promise<void> {
    return this.connect();
  }

  /** Try again after the back-off, and on until it works or stop(). */
  retryLater(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.connect()
        .then(() => this.hooks.back?.())
        .catch((e: Error) => {
          this.hooks.down?.();
          this.hooks.error?.(e);
          this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
          this.retryLater();
        });
    }, this.retryMs);
    this.timer.unref();
  }

  /** Cut the connection as the network would (it is made again as after any cut). */
  async drop(): Promise<void> {
    await this.client?.end().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const c = new (pgLib().Client)(this.cfg);
    c.on('notification', (n) => this.hooks.notice(n.payload));
    c.on('error', (e) => this.hooks.error?.(e));
    try {
      await c.connect();
      await c.query(`LISTEN ${this.channel}`);
    } catch (e) {
      await c.end().catch(() => undefined);
      throw e;
    }
    if (this.closed) return void (await c.end().catch(() => undefined));
    c.on('end', () => {
      if (this.client !== c) return;
      this.client = undefined;
      this.hooks.down?.();
      this.retryLater();
    });
    this.client = c;
    this.retryMs = this.firstRetryMs;
  }
}
