// A dedicated LISTEN connection that only wakes something up (the shared queue's scheduler): a notification
// on the channel (with its payload), or the connection coming back after a cut (notifications may have been
// missed; no payload), calls `wake`. It reconnects with back-off (0.5 s → 30 s). Correctness never depends on it: callers also poll.
import type pg from 'pg';
import { pgLib } from '../db/pg/lib.js';

export class PgWake {
  private client: pg.Client | undefined;
  private retryMs = 500;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly cfg: pg.ClientConfig,
    private readonly channel: string,
    private readonly wake: (payload?: string) => void,
    private readonly onError: (e: Error) => void,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`bad channel name ${channel}`);
  }

  start(): void {
    this.connect().catch((e: Error) => this.retry(e));
  }

  private async connect(): Promise<void> {
    const c = new (pgLib().Client)(this.cfg);
    c.on('notification', (n) => this.wake(n.payload));
    c.on('error', (e) => this.onError(e));
    c.on('end', () => {
      if (this.client === c) this.client = undefined;
      if (!this.closed) this.retry(null);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${this.channel}`);
    } catch (e) {
      await c.end().catch(() => undefined);
      throw e;
    }
    if (this.closed) return void (await c.end().catch(() => undefined));
    this.client = c;
    this.retryMs = 500;
    this.wake();
  }

  private retry(e: Error | null): void {
    if (e) this.onError(e);
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect().catch((err: Error) => {
        this.retryMs = Math.min(this.retryMs * 2, 30_000);
        this.retry(err);
      });
    }, this.retryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.client?.end().catch(() => undefined);
  }
}
