// A dedicated LISTEN connection that only wakes something up (the shared queue's scheduler, the webmail's push):
// a notification on the channel (with its payload), and every time the connection is made — the first time and
// after a cut, when notifications may have been missed (no payload) — call `wake`. The connection and its
// back-off are engine/db/pg/listen.ts's. Correctness never depends on it: callers also poll.
import type pg from 'pg';
import { PgListen } from '../db/pg/listen.js';

export class PgWake {
  private readonly listen: PgListen;

  constructor(
    cfg: pg.ClientConfig,
    channel: string,
    private readonly wake: (payload?: string) => void,
    private readonly onError: (e: Error) => void,
  ) {
    this.listen = new PgListen(cfg, channel, { notice: (payload) => wake(payload), back: () => wake(), error: onError });
  }

  start(): void {
    this.listen.start().then(
      () => this.wake(),
      (e: Error) => {
        this.onError(e);
        this.listen.retryLater();
      },
    );
  }

  stop(): Promise<void> {
    return this.listen.stop();
  }
}
