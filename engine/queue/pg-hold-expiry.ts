// Held mail in the shared queue expires at `[queue] hold_lifetime`, as in the file queue (hold-expiry.ts): a
// sweep every hold_lifetime/100 (1 s to 1 h) on every node fails the held open recipients (message hold, a
// domain in queue_holds, a spooler route) of messages older than that with 4.4.7 and queues the sender's notice
// in the same transaction. The message row is locked (SKIP LOCKED) and re-read inside it, so whichever node
// sweeps, each recipient expires once; a recipient being delivered under a live lease is never touched.
import { inTransaction } from '../db/pg/transaction.js';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { wantsNotice, type DsnRecipient } from '../outbound/dsn.js';
import { destinationFor, recipientDomain } from '../outbound/destination.js';
import { envelopeSchema, schemaReason, type Envelope } from '../spool/envelope.js';
import { dsnRecipient, Notifier } from './notices.js';
import { DB_NOW, keptNoNotice, type PgQueueStore } from './pg-queue-store.js';
import type { RecipientState } from './state.js';

export interface PgHoldSweepOptions {
  store: PgQueueStore;
  config: Pick<LoadedConfig, 'hostname' | 'queue' | 'outbound' | 'route' | 'smarthost'>;
  logger: Logger;
  /** A private directory of this node where the original is written for the notice. */
  workDir: string;
  isLocal(address: string): boolean;
  /** A notice to a local sender, durably into this node's spool (before the expiry commits). */
  injectLocal(env: Envelope, raw: Buffer): Promise<void>;
}

const OPEN = `r.state IN ('pending', 'deferred')`;
const UNLEASED = `(r.owner IS NULL OR r.lease_until <= ${DB_NOW})`;
const DOMAIN_HELD = `EXISTS (SELECT 1 FROM queue_holds h WHERE h.domain = lower(substring(r.address from '@([^@]*)$')))`;

interface HeldRow {
  address: string;
  rcpt: string;
  attempts: number;
  last_reply: string | null;
  notify: string[] | null;
  orcpt: string | null;
  domain_held: boolean;
}

export class PgHoldSweep {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: PgHoldSweepOptions) {}

  /** Sweep every hold_lifetime/100 (between 1 s and 1 h), as the file queue does. */
  start(): void {
    const life = this.o.config.queue.hold_lifetime;
    if (!life) return;
    const every = Math.min(3_600_000, Math.max(1000, Math.floor(life / 100)));
    const run = () => {
      if (this.stopped) return;
      this.running = this.expire()
        .catch((e: Error) => this.o.logger.emit('queue.hold-sweep-failed', { error: e.message }))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(run, every).unref();
        });
    };
    this.timer = setTimeout(run, every).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private held(r: { address: string; domain_held: boolean }, msgHeld: boolean): boolean {
    return msgHeld || r.domain_held || destinationFor(recipientDomain(r.address), this.o.config).hold;
  }

  /** Expire what is held past hold_lifetime now (by the database's clock); returns how many recipients. */
  async expire(): Promise<number> {
    const life = this.o.config.queue.hold_lifetime;
    if (!life) return 0;
    const pool = this.o.store.pool;
    const r = await pool.query<{ id: string; address: string; msg_held: boolean; domain_held: boolean }>(
      `SELECT e.id, r.address, e.held AS msg_held, ${DOMAIN_HELD} AS domain_held
         FROM queue_envelopes e JOIN queue_recipients r ON r.message_id = e.id
        WHERE ${OPEN} AND ${UNLEASED} AND e.created <= ${DB_NOW} - $1 ORDER BY e.created, e.id`,
      [life],
    );
    const ids = [...new Set(r.rows.filter((x) => this.held(x, x.msg_held)).map((x) => x.id))];
    let expired = 0;
    for (const id of ids) {
      if (this.stopped) break;
      expired += await this.expireOne(id, life);
    }
    return expired;
  }

  private async expireOne(id: string, life: number): Promise<number> {
    const { config, logger } = this.o;
    const pool = this.o.store.pool;
    let file: string | null = null;
    let freed: Buffer | null = null;
    // nothing written before an early return, so committing it is the same as rolling it back
    try {
      return await inTransaction(pool, async (c) => {
      // another node sweeping (or recording) this message holds its row: it is skipped, not expired twice
      const m = await c.query<{ envelope: unknown; created: string; held: boolean; body_sha256: Buffer; data: Buffer; now: string; no_notice: unknown }>(
        `SELECT e.envelope, e.created, e.held, e.body_sha256, b.data, e.no_notice, ${DB_NOW} AS now
           FROM queue_envelopes e JOIN queue_bodies b ON b.sha256 = e.body_sha256 WHERE e.id = $1 FOR UPDATE OF e SKIP LOCKED`,
        [id],
      );
      const msg = m.rows[0];
      const now = Number(msg?.now);
      if (!msg || now < Number(msg.created) + life) {
        return 0;
      }
      const env = envelopeSchema.safeParse(msg.envelope);
      if (!env.success) throw new Error(`queued message ${id}: bad envelope in PostgreSQL: ${schemaReason(env.error)}`);
      const rows = await c.query<HeldRow>(
        `SELECT r.address, r.rcpt, r.attempts, r.last_reply, r.notify, r.orcpt, ${DOMAIN_HELD} AS domain_held
           FROM queue_recipients r WHERE r.message_id = $1 AND ${OPEN} AND ${UNLEASED} ORDER BY r.address FOR UPDATE`,
        [id],
      );
      const held = rows.rows.filter((x) => this.held(x, msg.held));
      if (!held.length) return 0;
      const created = Number(msg.created);
      const days = Math.round(((now - created) / 86_400_000) * 10) / 10;
      const why = `message held in the queue for ${Math.round((now - created) / 1000)}s (${days} days), longer than hold_lifetime`;
      const notices: DsnRecipient[] = [];
      for (const x of held) {
        const reason = `4.4.7 ${why}${x.last_reply ? `; last error: ${x.last_reply}` : ''}`;
        await c.query(`UPDATE queue_recipients SET state = 'failed', last_reply = $3, last_attempt = $4, owner = NULL, lease_until = NULL WHERE message_id = $1 AND address = $2`, [
          id,
          x.address,
          reason,
          now,
        ]);
        logger.emit('delivery.expired-held', { id, rcpt: x.address, kind: 'remote', attempts: x.attempts, delay_ms: now - created, reason });
        const st: RecipientState = { address: x.address, rcpt: x.rcpt, kind: 'remote', status: 'failed', attempts: x.attempts, nextAttempt: now, notify: x.notify ?? undefined, orcpt: x.orcpt ?? undefined };
        if (wantsNotice(st.notify, 'failed')) notices.push(dsnRecipient(st, 'failed', '4.4.7', `The ${why}; it was never delivered.${x.last_reply ? ` Last error: ${x.last_reply}` : ''}`, undefined, now));
      }
      if (notices.length) {
        // the notice goes into the queue in this transaction (or into a local mailbox's spool before it commits)
        file = path.join(this.o.workDir, `${id}.held.${process.pid}.${Math.random().toString(36).slice(2, 8)}`);
        await fsp.writeFile(file, msg.data, { mode: 0o600 });
        const original = file;
        const notifier = new Notifier({
          hostname: config.hostname,
          logger,
          isLocal: this.o.isLocal,
          open: async () => ({ file: original, bodyOffset: 0 }),
          inject: async (dsnEnv, raw) => {
            const to = dsnEnv.rcptTo[0];
            if (to.kind === 'local') return this.o.injectLocal(dsnEnv, raw);
            await this.o.store.enqueue(dsnEnv, raw, [{ address: to.address, rcpt: to.address, dest: destinationFor(recipientDomain(to.address), config).key }], c);
          },
        });
        // the worker's no-notice decision (checked as read: a damaged one gives no notice, never a wrong one)
        const kept = keptNoNotice(msg.no_notice);
        await notifier.sendAll(env.data, { failed: notices, delayed: [], relayed: [] }, kept instanceof Error ? kept.message : kept);
      }
      const open = await c.query(`SELECT 1 FROM queue_recipients r WHERE r.message_id = $1 AND ${OPEN} LIMIT 1`, [id]);
      if (!open.rows.length) {
        await c.query('DELETE FROM queue_envelopes WHERE id = $1', [id]);
        freed = msg.body_sha256;
      }
      return held.length;
      });
    } finally {
      if (file) await fsp.unlink(file).catch(() => undefined);
      // the body goes when no message uses it any more
      if (freed) await pool.query('DELETE FROM queue_bodies b WHERE sha256 = $1 AND NOT EXISTS (SELECT 1 FROM queue_envelopes e WHERE e.body_sha256 = $1)', [freed]).catch(() => undefined);
    }
  }
}
