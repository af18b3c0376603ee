// The outbound scheduler (the queue manager for remote mail): turns each queued message's open remote
// recipients into jobs (one per destination), runs them in the worker pool ("deliver-remote") within a
// bounded active set, alternating new and deferred mail, per destination within its slow-start slots
// (slow-start.ts); writes each outcome durably (recipient-outcomes.ts: back-off, max_queue_lifetime), sends
// the notices it calls for (notices.ts) and removes finished messages. Held mail: hold-expiry.ts,
// spooler-probe.ts. It never talks SMTP itself and never retries a recipient that was accepted.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Resolver } from '../dns/resolver.js';
import type { Envelope } from '../spool/envelope.js';
import { destinationFor, recipientDomain, type Destination } from '../outbound/destination.js';
import type { DsnAction, DsnRecipient } from '../outbound/dsn.js';
import { readHolds, writeHolds } from '../outbound/holds.js';
import type { DeliverResult, DeliverTask } from '../../workers/deliver-remote.js';
import { HoldSweep } from './hold-expiry.js';
import { MessageLocks } from './message-locks.js';
import { Notifier } from './notices.js';
import type { Queue, RemoteScheduler } from './queue.js';
import { recordLocalDeferrals, recordRemote, type OutcomeContext } from './recipient-outcomes.js';
import { DestinationSlots, type DestinationSlot } from './slow-start.js';
import { SpoolerProbes } from './spooler-probe.js';
import { openRecipients, readState, writeState, type QueueState } from './state.js';
import { checked, deliverResultCheck } from './worker-messages.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.resolve(here, '../../workers/deliver-remote.js');

export interface OutboundOptions {
  queue: Queue;
  config: LoadedConfig;
  logger: Logger;
  resolver: Resolver;
  /** Is this address delivered here (bounces to local senders stay local)? */
  isLocal(address: string): boolean;
}

interface Job {
  id: string;
  dest: Destination;
  due: number;
  fresh: boolean;
  /** Released by the operator or a spooler probe: runs even for a held route. */
  force?: boolean;
  timer?: NodeJS.Timeout;
  running: boolean;
}

export class OutboundScheduler implements RemoteScheduler {
  private jobs = new Map<string, Job>();
  private fresh: Job[] = [];
  private deferred: Job[] = [];
  private takeFresh = true;
  private active = 0;
  private readonly slots: DestinationSlots<Job>;
  private readonly locks = new MessageLocks();
  private readonly notifier: Notifier;
  private readonly holdSweep: HoldSweep;
  private readonly probes: SpoolerProbes;
  private holds: Set<string>;
  private closed = false;
  private inflight = new Set<Promise<unknown>>();
  private readonly q: LoadedConfig['queue'];
  private readonly o: LoadedConfig['outbound'];

  constructor(private readonly opts: OutboundOptions) {
    this.q = opts.config.queue;
    this.o = opts.config.outbound;
    this.slots = new DestinationSlots(this.o.initial_concurrency, this.q.per_destination);
    this.holds = readHolds(opts.config.data_dir);
    const { queue, config, logger, isLocal } = opts;
    this.notifier = new Notifier({ hostname: config.hostname, logger, isLocal, open: (id) => queue.spool.open(id), inject: (env, raw) => queue.inject(env, raw) });
    this.holdSweep = new HoldSweep({
      q: this.q,
      logger,
      spool: queue.spool,
      notifier: this.notifier,
      withLock: (id, fn) => this.withLock(id, fn),
      domainHeld: (d) => this.domainHeld(d),
      saveOrRemove: (st) => this.saveOrRemove(st),
    });
    this.probes = new SpoolerProbes({
      config,
      resolver: opts.resolver,
      onReachable: (dest) => this.flushSpooled(dest).catch((e: Error) => logger.error('queue', 'spooler-flush-failed', { destination: dest.key, error: e.message })),
    });
    for (const r of config.route) if (r.hold) this.probes.start(destinationFor(r.domain.replace(/^\*?\./, ''), config));
    this.holdSweep.start();
  }

  // ---------- RemoteScheduler ----------

  schedule(id: string): void {
    if (this.closed) return;
    this.planSafely(id);
  }

  /**
   * plan() without a caller to tell: a failure (the state file unreadable now, a full disk) is logged and the
   * message planned again after the first retry step, so it is neither lost nor left to crash the process.
   */
  private planSafely(id: string): void {
    this.plan(id).catch((e: Error) => {
      this.opts.logger.error('queue', 'plan-failed', { id, error: e.message });
      this.planLater(id, this.q.retry_schedule[0] ?? 300_000);
    });
  }

  // ---------- locking and state ----------

  /** Serialise every read-modify-write of one message's state file. */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }

  private get queueDir(): string {
    return this.opts.queue.spool.queueDir;
  }

  /** Held by the operator (holds.json) or by a spooler route. */
  domainHeld(domain: string): boolean {
    return this.holds.has(domain) || destinationFor(domain, this.opts.config).hold;
  }

  isActive(id: string): boolean {
    for (const j of this.jobs.values()) if (j.id === id && j.running) return true;
    return false;
  }

  /** Read the state and make one job per destination for the open, unheld remote recipients. */
  async plan(id: string, opts: { force?: boolean; domains?: Set<string> } = {}): Promise<void> {
    await this.withLock(id, async () => {
      const st = await readState(this.queueDir, id);
      if (!st || st.held) return;
      const byDest = new Map<string, { dest: Destination; due: number; fresh: boolean }>();
      for (const r of openRecipients(st)) {
        if (r.kind !== 'remote') continue;
        const domain = recipientDomain(r.address);
        if (opts.domains && !opts.domains.has(domain)) continue;
        if (this.domainHeld(domain) && !opts.force) continue;
        const dest = destinationFor(domain, this.opts.config);
        const cur = byDest.get(dest.key) ?? { dest, due: Infinity, fresh: true };
        cur.due = Math.min(cur.due, opts.force ? Date.now() : r.nextAttempt);
        cur.fresh &&= r.attempts === 0;
        byDest.set(dest.key, cur);
      }
      for (const { dest, due, fresh } of byDest.values()) this.addJob({ id, dest, due, fresh, running: false, force: opts.force }, opts.force);
    });
  }

  private jobKey(id: string, destKey: string): string {
    return `${id}|${destKey}`;
  }

  private addJob(job: Job, force = false): void {
    if (this.closed) return;
    const key = this.jobKey(job.id, job.dest.key);
    const cur = this.jobs.get(key);
    if (cur) {
      if (cur.running || (!force && cur.due <= job.due)) return;
      this.dropJob(cur);
    }
    this.jobs.set(key, job);
    const wait = Math.max(0, job.due - Date.now());
    if (wait === 0) this.ready(job);
    else {
      job.timer = setTimeout(() => {
        job.timer = undefined;
        this.ready(job);
      }, Math.min(wait, 2 ** 31 - 1));
      job.timer.unref();
    }
  }

  private dropJob(job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = undefined;
    this.fresh = this.fresh.filter((j) => j !== job);
    this.deferred = this.deferred.filter((j) => j !== job);
    this.slots.unqueue(job.dest.key, job);
    const key = this.jobKey(job.id, job.dest.key);
    if (this.jobs.get(key) === job) this.jobs.delete(key);
  }

  /** Forget the waiting jobs of a message (held, deleted); running ones finish on their own. */
  cancel(id: string): void {
    for (const j of [...this.jobs.values()]) if (j.id === id && !j.running) this.dropJob(j);
  }

  private ready(job: Job): void {
    if (this.closed) return;
    (job.fresh ? this.fresh : this.deferred).push(job);
    this.pump();
  }

  /** Fill the active set: new and deferred mail take turns; a busy destination's jobs wait for its slot. */
  private pump(): void {
    while (!this.closed && this.active < this.o.max_active && (this.fresh.length || this.deferred.length)) {
      const useFresh = this.fresh.length && (this.takeFresh || !this.deferred.length);
      const job = (useFresh ? this.fresh : this.deferred).shift()!;
      this.takeFresh = !useFresh;
      const d = this.slots.get(job.dest.key);
      if (d.active >= d.limit) {
        d.waiting.push(job);
        continue;
      }
      this.start(job, d);
    }
  }

  private start(job: Job, d: DestinationSlot<Job>): void {
    job.running = true;
    this.active++;
    d.active++;
    let replan = false;
    const p = this.run(job)
      .then(() => (replan = true))
      .catch((e: Error) => {
        this.opts.logger.error('delivery', 'scheduler-error', { id: job.id, destination: job.dest.key, error: e.message });
        this.planLater(job.id, this.q.retry_schedule[0] ?? 300_000);
      })
      .finally(() => {
        this.inflight.delete(p);
        job.running = false;
        const key = this.jobKey(job.id, job.dest.key);
        if (this.jobs.get(key) === job) this.jobs.delete(key);
        this.active--;
        d.active--;
        // a freed destination slot goes to that destination's waiting jobs first
        while (d.waiting.length && d.active < d.limit && this.active < this.o.max_active) this.start(d.waiting.shift()!, d);
        this.pump();
        // what is still open for this message (deferred recipients) gets its next job
        if (replan) this.planSafely(job.id);
      });
    this.inflight.add(p);
  }

  private planLater(id: string, ms: number): void {
    if (this.closed) return;
    const t = setTimeout(() => this.planSafely(id), ms);
    t.unref();
  }

  // ---------- one delivery ----------

  private async run(job: Job): Promise<void> {
    const { queue, logger } = this.opts;
    const read = await queue.spool.read(job.id);
    if (read.kind === 'corrupt') {
      // damaged since it was queued: never deleted, moved aside for the operator with its state
      const where = await queue.quarantine(job.id);
      if (where) logger.error('queue', 'corrupt', { file: queue.spool.queuePath(job.id), reason: read.reason, movedTo: where });
      return;
    }
    const msg = read.kind === 'ok' ? read.msg : null;
    const st = await readState(this.queueDir, job.id);
    if (!msg && st) {
      // a state file without its message (a partial removal): nothing can be delivered, drop it
      logger.warn('delivery', 'orphan-state-removed', { id: job.id });
      await queue.removeQueued(job.id);
      return;
    }
    if (!msg || !st || st.held) return;
    const rcpts = openRecipients(st).filter((r) => {
      if (r.kind !== 'remote') return false;
      const domain = recipientDomain(r.address);
      return destinationFor(domain, this.opts.config).key === job.dest.key && (!this.domainHeld(domain) || (!!job.force && !this.holds.has(domain)));
    });
    if (!rcpts.length) return;
    const task: DeliverTask = {
      id: job.id,
      file: msg.file,
      bodyOffset: msg.bodyOffset,
      envelope: msg.envelope,
      destination: job.dest,
      recipients: rcpts.map((r) => ({ address: r.address, notify: r.notify, orcpt: r.orcpt })),
    };
    const started = Date.now();
    let result: DeliverResult;
    try {
      result = checked(deliverResultCheck, await queue.pool.run(task, { filename: WORKER }), `the delivery worker's result for ${job.id}`);
    } catch (e) {
      result = { recipients: rcpts.map((r) => ({ address: r.address, kind: 'temp', status: '4.3.0', reply: `delivery worker failed: ${(e as Error).message}` })), attempts: [], unreachable: false };
    }
    this.slots.adjust(job.dest.key, result.unreachable);

    for (const a of result.attempts) {
      logger.info('delivery', a.stage === 'connect' ? 'remote-connect' : 'remote-attempt', {
        id: job.id,
        destination: job.dest.key,
        host: a.host,
        ip: a.ip,
        port: a.port,
        tls: a.tls ?? 'none',
        reply: a.reply,
        delay_ms: a.ms,
        ...(a.stage === 'transaction' ? { recipients: a.recipients, reused: !!a.reused, pipelining: !!a.pipelining } : {}),
      });
    }
    if (result.dkim) logger.info('delivery', 'dkim', { id: job.id, ...result.dkim });
    for (const e of result.events ?? []) logger.log('delivery', e.event, { id: job.id, destination: job.dest.key, ...e.fields }, e.level);
    await this.record(job, result, Date.now() - started, msg.envelope);
  }

  /** Write each recipient's outcome, send the notices that are due, and plan what is left. */
  private async record(job: Job, result: DeliverResult, ms: number, envelope: Envelope): Promise<void> {
    await this.withLock(job.id, async () => {
      const st = await readState(this.queueDir, job.id);
      if (!st) return; // deleted meanwhile
      const notices = recordRemote(this.outcomeContext(st, Date.now()), st, envelope, job.dest.key, result.recipients, ms);
      // notices are made durable before the state that caused them: a crash repeats a notice, never loses one
      await this.notifier.sendAll(envelope, notices, st.noNotice);
      await this.saveOrRemove(st);
    });
  }

  /**
   * Local deliveries that failed temporarily again (a Maildir write): the queue calls this before it writes
   * the state, under the message's lock. Each attempt is counted, then backed off or expired past
   * `max_queue_lifetime` exactly as a remote recipient is, and the notices that are due are sent.
   */
  async deferLocal(st: QueueState, envelope: Envelope, failures: { address: string; reason: string }[], now = Date.now()): Promise<void> {
    const notices = recordLocalDeferrals(this.outcomeContext(st, now), st, envelope, failures);
    // notices are made durable before the state that caused them (the caller writes it after this)
    await this.notifier.sendAll(envelope, notices, st.noNotice);
  }

  /** Held as the outcome is recorded (by id, or its domain, perhaps since the attempt began): never expired then. */
  private outcomeContext(st: QueueState, now: number): OutcomeContext {
    return { q: this.q, logger: this.opts.logger, now, held: (r) => st.held || (r.kind === 'remote' && this.domainHeld(recipientDomain(r.address))) };
  }

  /** Write the state, or remove the message once no recipient (remote or local) is left open. */
  async saveOrRemove(st: QueueState): Promise<void> {
    if (openRecipients(st).length === 0) {
      this.cancel(st.id);
      await this.opts.queue.removeQueued(st.id);
    } else await writeState(this.queueDir, st);
  }

  /** Build a DSN about `recipients` of a message and inject it as new mail (never to the null sender). */
  notify(envelope: Envelope, notices: Record<DsnAction, DsnRecipient[]>, noNotice?: string): Promise<void> {
    return this.notifier.sendAll(envelope, notices, noNotice);
  }

  // ---------- operator actions (through engine/queue/control.ts) ----------

  async holdDomain(domain: string): Promise<void> {
    this.holds.add(domain.toLowerCase());
    writeHolds(this.opts.config.data_dir, this.holds);
  }

  async releaseDomain(domain: string): Promise<void> {
    this.holds.delete(domain.toLowerCase());
    writeHolds(this.opts.config.data_dir, this.holds);
  }

  /** `queue retry` of a message with locally deferred recipients: the queue runs them now. */
  retryLocal(id: string): boolean {
    return this.opts.queue.retryLocalNow(id);
  }

  /** Deliver now what is queued for these domains (a released hold, a destination back up). */
  async flush(ids: string[], domains?: Set<string>): Promise<void> {
    for (const id of ids) await this.plan(id, { force: true, domains });
  }

  /** A spooler route's host answered: deliver what is queued for its (not operator-held) domains. */
  private async flushSpooled(dest: Destination): Promise<void> {
    const ids = await this.opts.queue.spool.queuedIds();
    const domains = new Set<string>();
    for (const id of ids) {
      const st = await readState(this.queueDir, id);
      for (const r of st ? openRecipients(st) : []) {
        const dom = recipientDomain(r.address);
        if (r.kind === 'remote' && destinationFor(dom, this.opts.config).key === dest.key && !this.holds.has(dom)) domains.add(dom);
      }
    }
    if (domains.size) {
      this.opts.logger.info('queue', 'spooler-flush', { destination: dest.key, domains: [...domains] });
      await this.flush(ids, domains);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.jobs.values()) if (j.timer) clearTimeout(j.timer);
    this.probes.stop();
    this.holdSweep.stop();
    // (at most 3 s: what is not recorded by then stays pending and is delivered again after the restart)
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, 3000).unref())]);
  }
}
