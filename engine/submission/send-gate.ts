// Where a logged-in account's sending limits (send-limit.ts) meet its sessions: SMTP AUTH on any port
// (engine/smtp/session.ts: MAIL, RCPT, DATA) and the submission entry point JMAP and the webmail use
// (submit.ts). MAIL and RCPT refuse early from one reading of the counts taken at MAIL; the count itself is
// claimed atomically just before the queue takes the message and settled by the queue's answer, so a message is
// counted once, and only if it got its 250. It never sends mail.
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Refusal } from '../policy/verdict.js';
import { limitRefusal, limitsFor, overLimit, type Over, type SendLedger, type SendLimits, type SendUsage } from './send-limit.js';

/** What MAIL read: the limits in force and the counts, for RCPT's checks in the same transaction. */
export interface GateSnapshot {
  limits: SendLimits;
  usage: SendUsage;
}

type Stage = 'mail' | 'rcpt' | 'data';

export class SendGate {
  constructor(
    readonly ledger: SendLedger,
    private readonly config: Pick<LoadedConfig, 'limits'>,
    private readonly logger: Logger,
    /** The clock of the rolling windows (tests give a fake one). */
    readonly now: () => number = Date.now,
  ) {}

  private refuse(user: string, sid: string, stage: Stage, over: Over, via?: string, id?: string): Refusal {
    this.logger.emit('smtp.send-limit', { sid, user, stage, limit: over.limit, used: over.used, max: over.max, via, id });
    return limitRefusal(user, over);
  }

  /** MAIL FROM of a logged-in account: refused when one more message would pass a cap. */
  async atMail(user: string, sid: string, via?: string): Promise<{ refusal: Refusal | null; snapshot: GateSnapshot }> {
    const [limits, usage] = await Promise.all([limitsFor(this.ledger, this.config, user), this.ledger.usage(user, this.now())]);
    const over = overLimit(usage, limits, 1, 0);
    return { refusal: over ? this.refuse(user, sid, 'mail', over, via) : null, snapshot: { limits, usage } };
  }

  /** RCPT TO: refused when this recipient, after the `accepted` ones of the transaction, would pass a cap. */
  atRcpt(snapshot: GateSnapshot, user: string, sid: string, accepted: number, via?: string): Refusal | null {
    const over = overLimit(snapshot.usage, snapshot.limits, 0, accepted + 1);
    return over ? this.refuse(user, sid, 'rcpt', { ...over, used: over.used + accepted }, via) : null;
  }

  /**
   * The message `id` with `rcpts` recipients, about to be handed to the queue: counted if within the limits
   * (against every other session at this moment), then `receive` runs and its answer settles the count. Over a
   * limit: the refusal, and `receive` never runs.
   */
  async counted<T extends { kind: string }>(user: string, id: string, rcpts: number, sid: string, receive: () => Promise<T>, via?: string): Promise<{ refusal: Refusal } | { outcome: T }> {
    const limits = await limitsFor(this.ledger, this.config, user);
    const claim = await this.ledger.claim(user, id, rcpts, this.now(), limits);
    if (!claim.ok) return { refusal: this.refuse(user, sid, 'data', claim.over, via, id) };
    let accepted = false;
    try {
      const outcome = await receive();
      accepted = outcome.kind === 'accepted';
      return { outcome };
    } finally {
      await this.ledger.settle(user, id, accepted).catch((e: Error) => this.logger.emit('smtp.data-error', { sid, error: `sending count of ${id} not settled: ${e.message}` }));
    }
  }
}
