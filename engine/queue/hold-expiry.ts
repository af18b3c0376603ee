// Held mail expires at `[queue] hold_lifetime`: held recipients (message hold, held domain, spooler route)
// get no attempts, so the retry path never expires them; a sweep over the queue every hold_lifetime/100
// (1 s to 1 h) bounces those older than that with 4.4.7 (`expired-held`). It never touches unheld recipients.
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { wantsNotice, type DsnRecipient } from '../outbound/dsn.js';
import { recipientDomain } from '../outbound/destination.js';
import type { Spool } from '../spool/spool.js';
import { dsnRecipient, type Notifier } from './notices.js';
import { openRecipients, readState, type QueueState } from './state.js';

export interface HoldSweepOptions {
  q: LoadedConfig['queue'];
  logger: Logger;
  spool: Spool;
  notifier: Notifier;
  /** Serialise with every other update of the message's state. */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T>;
  /** Held by the operator (holds.json) or by a spooler route. */
  domainHeld(domain: string): boolean;
  /** Write the state, or remove the message when nothing is left open. */
  saveOrRemove(st: QueueState): Promise<void>;
}

export class HoldSweep {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly o: HoldSweepOptions) {}

  /** Sweep every hold_lifetime/100 (between 1 s and 1 h): an expiry is at most that late. */
  start(): void {
    const life = this.o.q.hold_lifetime;
    if (!life) return;
    const every = Math.min(3_600_000, Math.max(1000, Math.floor(life / 100)));
    const tick = async () => {
      if (this.stopped) return;
      await this.expire().catch((e: Error) => this.o.logger.emit('queue.hold-sweep-failed', { error: e.message }));
      if (!this.stopped) this.timer = setTimeout(run, every).unref();
    };
    // (tick cannot reject: expire's failures are caught and logged above)
    const run = () => {
      tick().catch(() => {});
    };
    this.timer = setTimeout(run, every).unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Bounce held recipients of messages older than `hold_lifetime` (4.4.7); returns how many expired. */
  async expire(now = Date.now()): Promise<number> {
    const life = this.o.q.hold_lifetime;
    if (!life) return 0;
    let expired = 0;
    for (const id of await this.o.spool.queuedIds()) {
      if (this.stopped) break;
      expired += await this.o.withLock(id, async () => {
        const st = await readState(this.o.spool.queueDir, id);
        if (!st || now < st.created + life) return 0;
        const held = openRecipients(st).filter((r) => st.held || (r.kind === 'remote' && this.o.domainHeld(recipientDomain(r.address))));
        if (!held.length) return 0;
        const msg = await this.o.spool.open(id);
        if (!msg) return 0;
        const days = Math.round(((now - st.created) / 86_400_000) * 10) / 10;
        const why = `message held in the queue for ${Math.round((now - st.created) / 1000)}s (${days} days), longer than hold_lifetime`;
        const notices: DsnRecipient[] = [];
        for (const r of held) {
          const last = r.lastError;
          r.status = 'failed';
          r.lastError = `4.4.7 ${why}${last ? `; last error: ${last}` : ''}`;
          this.o.logger.emit('delivery.expired-held', { id, rcpt: r.address, kind: r.kind, attempts: r.attempts, delay_ms: now - st.created, reason: r.lastError });
          if (wantsNotice(r.notify, 'failed')) notices.push(dsnRecipient(r, 'failed', '4.4.7', `The ${why}; it was never delivered.${last ? ` Last error: ${last}` : ''}`, undefined, now));
        }
        // the notice is durable before the state that caused it (as for every outcome)
        if (notices.length) await this.o.notifier.sendAll(msg.envelope, { failed: notices, delayed: [], relayed: [] }, st.noNotice);
        await this.o.saveOrRemove(st);
        return held.length;
      });
    }
    return expired;
  }
}
