// The outbound queue shared by several nodes on PostgreSQL (scale-out, issue 17). enqueue() commits the body
// and a row per remote recipient before the client may hear 250 (a database error: 451 4.3.0); a scheduler
// claims due recipients into leases (pg-queue-store.ts), renews them by heartbeat while the delivery worker
// runs, and records each outcome with the same rules as the file queue (recipient-outcomes.ts, notices.ts).
// It never retries a recipient that was accepted, and never writes over a lease another node holds.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Envelope } from '../spool/envelope.js';
import { destinationFor, recipientDomain } from '../outbound/destination.js';
import type { DeliverResult, DeliverTask } from '../../workers/deliver-remote.js';
import { migrate } from '../db/pg/migrations.js';
import { Notifier } from './notices.js';
import { recordRemote } from './recipient-outcomes.js';
import { checked, deliverResultCheck } from './worker-messages.js';
import { PgQueueStore, type Claim, type NewRecipient } from './pg-queue-store.js';
import { PgWake } from './pg-wake.js';
import { PgHoldSweep } from './pg-hold-expiry.js';
import { SpoolerProbes } from './spooler-probe.js';
import { PRUNE_ASK_MS, pruneQueueEvents } from './pg-events-prune.js';
import type { Resolver } from '../dns/resolver.js';

export type EnqueueResult = { kind: 'queued'; id: string } | { kind: 'tempfail'; code: 451; status: '4.3.0'; text: string };

export interface PgQueueOptions {
  /** This node's lease owner name ([storage] node_name). */
  nodeName: string;
  /** [storage] lease_time, ms: a lease not renewed this long is taken over by another node. */
  leaseTime: number;
  config: Pick<LoadedConfig, 'hostname' | 'queue' | 'outbound' | 'route' | 'smarthost'>;
  logger: Logger;
  /** Run one delivery (the deliver-remote worker: `pool.run(task, { filename })`); its result is checked. */
  deliver(task: DeliverTask): Promise<unknown>;
  /** A private directory on this node where a claimed message's body is written for the worker to read. */
  workDir: string;
  /** Is this address delivered here? (a notice to a local sender goes to `injectLocal`) */
  isLocal(address: string): boolean;
  /** Deliver a notice to a local sender durably (Queue.inject); it runs before the outcome commits. */
  injectLocal(env: Envelope, raw: Buffer): Promise<void>;
  /** Connection settings for the dedicated LISTEN connection (pool.ts clientConfig); absent: polling only. */
  listen?: pg.ClientConfig;
  /** Poll for due mail this often even without a notification (default 5 s). */
  pollMs?: number;
  /** Jobs this node runs at once (default [outbound] max_active). */
  maxActive?: number;
  /** Sessions to one destination across all nodes (default [queue] per_destination). */
  perDestination?: number;
  /**
   * Probes the spooler routes (`[[route]] hold = true`): their mail is claimed only when a probe finds the
   * route's host greeting (as the file queue does). Absent: no probes, such mail stays queued.
   */
  resolver?: Resolver;
}

export interface PgQueueStats {
  claimed: number;
  /** Recipients claimed after a lease ended without an outcome: the duplicate window (also in queue_events). */
  takenOver: number;
  recorded: number;
  /** Outcomes not written because the lease had been taken over meanwhile. */
  leaseLost: number;
}

/** Open the shared queue on `pool` (migrating an empty or older database first). Call start() to deliver. */
export async function openPgQueue(pool: pg.Pool, opts: PgQueueOptions): Promise<PgQueue> {
  await migrate(pool);
  await fsp.mkdir(opts.workDir, { recursive: true, mode: 0o700 });
  return new PgQueue(pool, opts);
}

/** A job that failed before its attempt gives its recipients back due again this much later (no busy loop). */
const UNATTEMPTED_RETRY_MS = 5000;

/** A failure about the data itself (class 22 data exception, 23 constraint), not about reaching the database. */
function isDataError(code: string | undefined): boolean {
  return !!code && /^2[23]/.test(code);
}

export class PgQueue {
  readonly store: PgQueueStore;
  readonly stats: PgQueueStats = { claimed: 0, takenOver: 0, recorded: 0, leaseLost: 0 };
  private active = 0;
  private running = new Set<Promise<void>>();
  private timers = new Set<NodeJS.Timeout>();
  private wake: PgWake | null = null;
  private polling = false;
  private claiming: Promise<void> = Promise.resolve();
  private again = false;
  private closed = true;
  private readonly maxActive: number;
  private up = true;
  private probes: SpoolerProbes | null = null;
  /** Held mail past hold_lifetime, expired on the shared rows (whichever node sweeps first). */
  readonly holdSweep: PgHoldSweep;

  constructor(
    readonly pool: pg.Pool,
    private readonly o: PgQueueOptions,
  ) {
    const cap = o.perDestination ?? o.config.queue.per_destination;
    this.store = new PgQueueStore(pool, { owner: o.nodeName, leaseMs: o.leaseTime, cap: () => cap, routeHeld: (d) => destinationFor(d, o.config).hold });
    this.maxActive = o.maxActive ?? o.config.outbound.max_active;
    this.holdSweep = new PgHoldSweep({ store: this.store, config: o.config, logger: o.logger, workDir: o.workDir, isLocal: o.isLocal, injectLocal: o.injectLocal });
  }

  /**
   * Queue a message's remote recipients durably in PostgreSQL. Only `queued` may lead to a 250; any database
   * failure (away, timeout, full) is a temporary failure the SMTP layer answers 451 4.3.0 with.
   * `alreadyQueuedIsDone`: a hand-over from this node's spool (pg-remote.ts), which a crash may repeat; an id
   * queued or handed over before counts as done and queues nothing (queue_handovers, migration 21).
   */
  async enqueue(env: Envelope, body: Buffer, recipients: Omit<NewRecipient, 'dest'>[], opts: { alreadyQueuedIsDone?: boolean; noNotice?: string } = {}): Promise<EnqueueResult> {
    const rows = recipients.map((r) => ({ address: r.address, rcpt: r.rcpt, notify: r.notify, orcpt: r.orcpt, dest: destinationFor(recipientDomain(r.address), this.o.config).key }));
    try {
      await this.store.enqueue(env, body, rows, undefined, { handOver: opts.alreadyQueuedIsDone, noNotice: opts.noNotice });
      this.up = true;
      this.poke();
      return { kind: 'queued', id: env.id };
    } catch (e) {
      const pgErr = e as { code?: string; constraint?: string };
      // a hand-over repeated after a crash (pg-remote.ts): the first one committed, the message is queued
      if (opts.alreadyQueuedIsDone && pgErr.code === '23505' && pgErr.constraint === 'queue_envelopes_pkey') return { kind: 'queued', id: env.id };
      if (!isDataError(pgErr.code)) this.up = false;
      this.o.logger.log('queue', 'pg-enqueue-failed', { id: env.id, error: (e as Error).message }, 'error');
      return { kind: 'tempfail', code: 451, status: '4.3.0', text: 'Local error in processing (queue database unavailable)' };
    }
  }

  /** Take back this node's own leases (a restart), then deliver: LISTEN wake-ups, polling, heartbeat. */
  async start(): Promise<void> {
    this.closed = false;
    const own = await this.store.reclaimOwn().catch((e: Error) => {
      this.o.logger.log('queue', 'pg-claim-failed', { error: e.message }, 'error');
      return [];
    });
    for (const c of own) this.run(c);
    if (this.o.listen) {
      this.wake = new PgWake(this.o.listen, 'tegami_queue', () => this.poke(), (e) => this.o.logger.log('queue', 'pg-listen-failed', { error: e.message }, 'warn'));
      this.wake.start();
    }
    this.every(this.o.pollMs ?? 5000, () => this.poke());
    this.pruneHandOvers();
    this.every(3_600_000, () => this.pruneHandOvers());
    this.pruneEvents();
    this.every(PRUNE_ASK_MS, () => this.pruneEvents());
    this.every(Math.max(100, Math.floor(this.o.leaseTime / 3)), () => this.heartbeat());
    this.holdSweep.start();
    if (this.o.resolver) {
      this.probes = new SpoolerProbes({ config: this.o.config, resolver: this.o.resolver, onReachable: (dest) => this.claimSpooled(dest.key) });
      for (const r of this.o.config.route) if (r.hold) this.probes.start(destinationFor(r.domain.replace(/^\*?\./, ''), this.o.config));
    }
    this.poke();
  }

  /** A spooler route answered its probe: claim what is due for it (never otherwise claimed), as far as slots allow. */
  async claimSpooled(dest: string): Promise<void> {
    if (this.closed) return;
    try {
      const claims = await this.store.claim(Math.max(0, this.maxActive - this.active), dest);
      if (this.closed) return this.store.release(claims);
      if (claims.length) this.o.logger.log('queue', 'spooler-flush', { destination: dest, domains: [...new Set(claims.flatMap((c) => c.addresses.map(recipientDomain)))] });
      for (const c of claims) this.run(c);
    } catch (e) {
      this.o.logger.log('queue', 'spooler-flush-failed', { destination: dest, error: (e as Error).message }, 'error');
    }
  }

  /** Hand-over ids older than the queue lifetime and a day: no spool keeps a message that long to copy again. */
  private pruneHandOvers(): void {
    this.store.pruneHandOvers(this.o.config.queue.max_queue_lifetime + 86_400_000).catch((e: Error) => this.o.logger.log('queue', 'pg-prune-failed', { error: e.message }, 'warn'));
  }

  /** queue_events past [queue] events_retention, by one node of the cluster per period (pg-events-prune.ts). */
  private pruneEvents(): void {
    pruneQueueEvents(this.pool, { now: Date.now(), keepMs: this.o.config.queue.events_retention, node: this.o.nodeName })
      .then((r) => {
        if (r.ran && r.deleted) this.o.logger.emit('queue.pg-events-pruned', { deleted: r.deleted, older_than_days: Math.round(this.o.config.queue.events_retention / 86_400_000) });
      })
      .catch((e: Error) => this.o.logger.log('queue', 'pg-prune-failed', { error: e.message }, 'warn'));
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.add(t);
  }

  /** Claim what is due now (coalesced: one claim round at a time, another right after if poked meanwhile). */
  poke(): void {
    if (this.closed) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = true;
    this.claiming = this.claimRound()
      .catch((e: Error) => this.o.logger.log('queue', 'pg-claim-failed', { error: e.message }, 'error'))
      .finally(() => {
        this.polling = false;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /**
   * False since a statement failed for any reason but the data itself (connection refused or cut, the
   * database shut down or not accepting connections, out of resources, a timeout), true again after the next one that succeeded (polling tries every pollMs). The SMTP layer
   * answers new transactions 451 4.3.0 while it is false, before it accepts data it could not queue.
   */
  databaseUp(): boolean {
    return this.up;
  }

  private async claimRound(): Promise<void> {
    const free = this.maxActive - this.active;
    const claims = await this.store.claim(Math.max(0, free)).then(
      (c) => ((this.up = true), c),
      (e: { code?: string }) => {
        if (!isDataError(e.code)) this.up = false;
        throw e;
      },
    );
    // stopped meanwhile: what was just claimed goes back at once instead of waiting for its lease to expire
    if (this.closed) return this.store.release(claims);
    for (const c of claims) this.run(c);
  }

  private heartbeat(): void {
    if (!this.active) return;
    this.store.renew().catch((e: Error) => this.o.logger.log('queue', 'pg-renew-failed', { error: e.message }, 'warn'));
  }

  private run(c: Claim): void {
    this.active++;
    this.stats.claimed += c.addresses.length;
    for (const t of c.takenOver) {
      this.stats.takenOver++;
      this.o.logger.log('queue', 'lease-takeover', { id: c.messageId, rcpt: t.address, from: t.from, node: this.o.nodeName }, 'warn');
    }
    const p: Promise<void> = this.job(c)
      .catch((e: Error) => this.o.logger.log('delivery', 'scheduler-error', { id: c.messageId, destination: c.dest, error: e.message }, 'error'))
      .finally(() => {
        this.running.delete(p);
        this.active--;
        this.poke();
      });
    this.running.add(p);
  }

  /**
   * One claimed job. If it fails before the attempt starts (the database lost while loading the message, the
   * work file not written), nothing was sent: the leases are given back, due again in 5 s. Left leased, the
   * recipient would wait for the lease to expire — renewed meanwhile by the heartbeat for as long as any other
   * job runs here — and then be counted as a takeover.
   */
  private async job(c: Claim): Promise<void> {
    const attempt = { started: false };
    try {
      await this.attempt(c, attempt);
    } catch (e) {
      if (attempt.started) throw e;
      this.o.logger.log('queue', 'pg-job-failed', { id: c.messageId, error: (e as Error).message }, 'warn');
      await this.releaseUntilDone(c);
    }
  }

  /** Give a claim back unattempted; while the database is away, try again (0.5 s → 10 s) until it answers. */
  private async releaseUntilDone(c: Claim): Promise<void> {
    for (let wait = 500; !this.closed; wait = Math.min(wait * 2, 10_000)) {
      try {
        await this.store.release([c], UNATTEMPTED_RETRY_MS);
        return;
      } catch {
        await new Promise((res) => setTimeout(res, wait));
      }
    }
    // stopping: left leased; this node's restart (reclaimOwn) or another node after expiry runs it
  }

  /** Load the message, write it for the worker, deliver, record the outcomes (`started` once the worker has it). */
  private async attempt(c: Claim, attempt: { started: boolean }): Promise<void> {
    const msg = await this.store.load(c.messageId);
    if (!msg) return; // removed meanwhile (delivered by its last recipient elsewhere, or by the operator)
    if ('corrupt' in msg) {
      // never delivered half-checked and never deleted: held in PostgreSQL for the operator
      await this.store.quarantine(c.messageId);
      this.o.logger.log('queue', 'corrupt', { id: c.messageId, reason: msg.corrupt, movedTo: 'held in PostgreSQL (queue_envelopes.held)' }, 'error');
      return;
    }
    const file = path.join(this.o.workDir, `${c.messageId}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`);
    await fsp.writeFile(file, msg.body, { mode: 0o600 });
    try {
      const dest = destinationFor(recipientDomain(c.addresses[0]), this.o.config);
      const st = await this.store.pool.query<{ address: string; notify: string[] | null; orcpt: string | null }>(
        'SELECT address, notify, orcpt FROM queue_recipients WHERE message_id = $1 AND address = ANY($2::text[])',
        [c.messageId, c.addresses],
      );
      const task: DeliverTask = {
        id: c.messageId,
        file,
        bodyOffset: 0,
        envelope: msg.envelope,
        destination: dest,
        recipients: st.rows.map((r) => ({ address: r.address, notify: r.notify ?? undefined, orcpt: r.orcpt ?? undefined })),
      };
      const started = Date.now();
      let result: DeliverResult;
      attempt.started = true;
      try {
        result = checked(deliverResultCheck, await this.o.deliver(task), `the delivery worker's result for ${c.messageId}`);
      } catch (e) {
        result = { recipients: c.addresses.map((a) => ({ address: a, kind: 'temp', status: '4.3.0', reply: `delivery worker failed: ${(e as Error).message}` })), attempts: [], unreachable: false };
      }
      for (const a of result.attempts) {
        this.o.logger.log('delivery', a.stage === 'connect' ? 'remote-connect' : 'remote-attempt', { id: c.messageId, destination: dest.key, host: a.host, ip: a.ip, port: a.port, tls: a.tls ?? 'none', reply: a.reply, delay_ms: a.ms });
      }
      await this.recordUntilDone(c, msg.envelope, file, result, Date.now() - started);
    } finally {
      await fsp.unlink(file).catch(() => undefined);
    }
  }

  /**
   * The outcome must reach the database: while it is away, try again (0.5 s → 10 s back-off). If the lease was
   * taken over meanwhile, nothing is written (the new owner delivers again: the documented duplicate window).
   */
  private async recordUntilDone(c: Claim, envelope: Envelope, file: string, result: DeliverResult, ms: number): Promise<void> {
    for (let wait = 500; ; wait = Math.min(wait * 2, 10_000)) {
      try {
        const r = await this.record(c, envelope, file, result, ms);
        if (r.written < c.addresses.length) {
          this.stats.leaseLost += c.addresses.length - r.written;
          this.o.logger.log('queue', 'pg-lease-lost', { id: c.messageId, recipients: c.addresses.length - r.written }, 'warn');
        }
        this.stats.recorded += r.written;
        return;
      } catch (e) {
        this.o.logger.log('queue', 'pg-record-failed', { id: c.messageId, error: (e as Error).message }, 'error');
        if (this.closed) return; // left leased: this node's restart (reclaimOwn) or another node after expiry runs it
        await new Promise((res) => setTimeout(res, wait));
      }
    }
  }

  private record(c: Claim, envelope: Envelope, file: string, result: DeliverResult, ms: number): Promise<{ written: number; removed: boolean }> {
    const { config, logger } = this.o;
    return this.store.record(c.messageId, c.addresses, async (st, ours, tx) => {
      const mine = result.recipients.filter((x) => ours.has(x.address));
      const notices = recordRemote({ q: config.queue, logger, now: Date.now(), held: () => st.held }, st, envelope, c.dest, mine, ms);
      // notices go into the queue in this transaction (or to a local mailbox before it commits): a crash
      // before the commit repeats a notice, never loses one
      const notifier = new Notifier({
        hostname: config.hostname,
        logger,
        isLocal: this.o.isLocal,
        open: async () => ({ file, bodyOffset: 0 }),
        inject: async (env, raw) => {
          const to = env.rcptTo[0];
          if (to.kind === 'local') return this.o.injectLocal(env, raw);
          const dest = destinationFor(recipientDomain(to.address), config).key;
          await this.store.enqueue(env, raw, [{ address: to.address, rcpt: to.address, dest }], tx);
        },
      });
      await notifier.sendAll(envelope, notices, st.noNotice);
    });
  }

  /** Stop claiming and wait (at most `limitMs`) for running jobs; their leases stay, so nothing is lost. */
  async stop(limitMs = 10_000): Promise<void> {
    this.closed = true;
    this.probes?.stop();
    await this.holdSweep.stop();
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    await this.wake?.stop();
    await this.claiming;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => (timer = setTimeout(r, limitMs)))]);
    clearTimeout(timer);
  }
}
