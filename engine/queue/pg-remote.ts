// The bridge from a node's local queue (queue.ts: spool + state file) into the shared queue on PostgreSQL:
// the RemoteScheduler a postgres-backed node plugs in instead of OutboundScheduler. A message's remote
// recipients are copied into PostgreSQL (body, envelope, rows: one transaction), and only after that commit
// are they dropped from the local state (the spool file goes when nothing local is left). Until then the
// local spool keeps them durably: a database outage or a crash delays them, never loses them.
import fsp from 'node:fs/promises';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Envelope } from '../spool/envelope.js';
import type { DsnAction, DsnRecipient } from '../outbound/dsn.js';
import { MessageLocks } from './message-locks.js';
import { Notifier } from './notices.js';
import type { PgQueue } from './pg-queue.js';
import type { Queue, RemoteScheduler } from './queue.js';
import { recordLocalDeferrals } from './recipient-outcomes.js';
import { openRecipients, readState, writeState, type QueueState } from './state.js';

export interface PgRemoteOptions {
  queue: Queue;
  shared: PgQueue;
  config: Pick<LoadedConfig, 'hostname' | 'queue'>;
  logger: Logger;
  isLocal(address: string): boolean;
}

export class PgRemoteScheduler implements RemoteScheduler {
  private readonly locks = new MessageLocks();
  private readonly notifier: Notifier;
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly o: PgRemoteOptions) {
    const { queue, config, logger, isLocal } = o;
    this.notifier = new Notifier({ hostname: config.hostname, logger, isLocal, open: (id) => queue.spool.open(id), inject: (env, raw) => queue.inject(env, raw) });
  }

  schedule(id: string): void {
    if (this.closed) return;
    this.handOver(id).catch((e: Error) => {
      this.o.logger.log('queue', 'pg-enqueue-failed', { id, error: e.message }, 'error');
      this.retryLater(id);
    });
  }

  /** A failed hand-over is tried again (the message waits in the local spool; a restart also resumes it). */
  private retryLater(id: string): void {
    if (this.closed || this.retries.has(id)) return;
    const t = setTimeout(() => {
      this.retries.delete(id);
      this.schedule(id);
    }, 5000);
    t.unref();
    this.retries.set(id, t);
  }

  /**
   * Copy the open remote recipients of message `id` into the shared queue, then drop them from the local
   * state. A crash between the two repeats the copy at the next start: the id is already in PostgreSQL then
   * (the copy is refused as a duplicate and counted as done), so no recipient is queued twice.
   */
  async handOver(id: string): Promise<boolean> {
    return this.withLock(id, async () => {
      const st = await readState(this.o.queue.spool.queueDir, id);
      const remote = st ? openRecipients(st).filter((r) => r.kind === 'remote') : [];
      if (!st || !remote.length || st.held) return false;
      const read = await this.o.queue.spool.read(id);
      if (read.kind !== 'ok') return false; // missing (deleted) or damaged: the local queue deals with it
      const all = await fsp.readFile(read.msg.file);
      const r = await this.o.shared.enqueue(read.msg.envelope, all.subarray(read.msg.bodyOffset), remote, { alreadyQueuedIsDone: true, noNotice: st.noNotice });
      if (r.kind !== 'queued') throw new Error(r.text);
      st.recipients = st.recipients.filter((x) => !remote.includes(x));
      if (openRecipients(st).length === 0) await this.o.queue.removeQueued(id);
      else await writeState(this.o.queue.spool.queueDir, st);
      return true;
    });
  }

  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }

  notify(envelope: Envelope, notices: Record<DsnAction, DsnRecipient[]>, noNotice?: string): Promise<void> {
    return this.notifier.sendAll(envelope, notices, noNotice);
  }

  /** Local deliveries that failed again: counted, backed off or expired exactly as in the file queue. */
  async deferLocal(st: QueueState, envelope: Envelope, failures: { address: string; reason: string }[], now = Date.now()): Promise<void> {
    const notices = recordLocalDeferrals({ q: this.o.config.queue, logger: this.o.logger, now, held: () => st.held }, st, envelope, failures);
    await this.notifier.sendAll(envelope, notices, st.noNotice);
  }

  close(): void {
    this.closed = true;
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
  }
}
