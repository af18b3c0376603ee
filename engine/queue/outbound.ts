// The outbound scheduler (the queue manager for remote mail): turns each queued message's open remote
// recipients into jobs (one per destination), runs them in the worker pool ("deliver-remote") within a
// bounded active set, alternating new and deferred mail, with per-destination concurrency and slow start;
// records every recipient's outcome durably, backs off on `retry_schedule`, expires at
// `max_queue_lifetime` (held mail at `hold_lifetime`), sends bounces/delay warnings as new local messages and
// removes finished messages.
// It never talks SMTP itself and never retries a recipient that was accepted.
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Resolver } from '../dns/resolver.js';
import type { Envelope } from '../spool/envelope.js';
import { destinationFor, recipientDomain, type Destination } from '../outbound/destination.js';
import { buildDsn, wantsNotice, type DsnAction, type DsnRecipient } from '../outbound/dsn.js';
import { readHolds, writeHolds } from '../outbound/holds.js';
import { resolveDestination } from '../outbound/mx.js';
import type { DeliverResult, DeliverTask } from '../../workers/deliver-remote.js';
import type { Queue, RemoteScheduler } from './queue.js';
import { openRecipients, readState, writeState, type QueueState, type RecipientState } from './state.js';

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

interface DestState {
  active: number;
  limit: number;
  waiting: Job[];
}

export class OutboundScheduler implements RemoteScheduler {
  private jobs = new Map<string, Job>();
  private fresh: Job[] = [];
  private deferred: Job[] = [];
  private takeFresh = true;
  private active = 0;
  private dests = new Map<string, DestState>();
  private locks = new Map<string, Promise<unknown>>();
  private holds: Set<string>;
  private probes = new Map<string, NodeJS.Timeout>();
  private holdSweep?: NodeJS.Timeout;
  private closed = false;
  private inflight = new Set<Promise<unknown>>();
  private readonly q: LoadedConfig['queue'];
  private readonly o: LoadedConfig['outbound'];

  constructor(private readonly opts: OutboundOptions) {
    this.q = opts.config.queue;
    this.o = opts.config.outbound;
    this.holds = readHolds(opts.config.data_dir);
    for (const r of opts.config.route) if (r.hold) this.startProbe(destinationFor(r.domain.replace(/^\*?\./, ''), opts.config));
    this.startHoldSweep();
  }

  // ---------- RemoteScheduler ----------

  schedule(id: string): void {
    if (this.closed) return;
    void this.plan(id);
  }

  // ---------- locking and state ----------

  /** Serialise every read-modify-write of one message's state file. */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    const tail = next.catch(() => {});
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
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
    const d = this.dests.get(job.dest.key);
    if (d) d.waiting = d.waiting.filter((j) => j !== job);
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

  private dest(key: string): DestState {
    let d = this.dests.get(key);
    if (!d) {
      d = { active: 0, limit: Math.min(this.o.initial_concurrency, this.q.per_destination), waiting: [] };
      this.dests.set(key, d);
    }
    return d;
  }

  /** Fill the active set: new and deferred mail take turns; a busy destination's jobs wait for its slot. */
  private pump(): void {
    while (!this.closed && this.active < this.o.max_active && (this.fresh.length || this.deferred.length)) {
      const useFresh = this.fresh.length && (this.takeFresh || !this.deferred.length);
      const job = (useFresh ? this.fresh : this.deferred).shift()!;
      this.takeFresh = !useFresh;
      const d = this.dest(job.dest.key);
      if (d.active >= d.limit) {
        d.waiting.push(job);
        continue;
      }
      this.start(job, d);
    }
  }

  private start(job: Job, d: DestState): void {
    job.running = true;
    this.active++;
    d.active++;
    let replan = false;
    const p = this.run(job)
      .then(() => (replan = true))
      .catch((e: Error) => {
        this.opts.logger.error('delivery', 'scheduler-error', { id: job.id, destination: job.dest.key, error: e.message });
        this.addJobLater(job, this.q.retry_schedule[0] ?? 300_000);
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
        if (replan) void this.plan(job.id);
      });
    this.inflight.add(p);
  }

  private addJobLater(job: Job, ms: number): void {
    if (this.closed) return;
    const t = setTimeout(() => void this.plan(job.id), ms);
    t.unref();
  }

  // ---------- one delivery ----------

  private async run(job: Job): Promise<void> {
    const { queue, logger } = this.opts;
    const msg = await queue.spool.open(job.id);
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
      result = (await queue.pool.run(task, { filename: WORKER })) as DeliverResult;
    } catch (e) {
      result = { recipients: rcpts.map((r) => ({ address: r.address, kind: 'temp', status: '4.3.0', reply: `delivery worker failed: ${(e as Error).message}` })), attempts: [], unreachable: false };
    }
    // slow start: a reachable destination gets one more connection, an unreachable one is cut back
    const d = this.dest(job.dest.key);
    d.limit = result.unreachable ? Math.max(1, Math.floor(d.limit / 2)) : Math.min(this.q.per_destination, d.limit + 1);

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
    await this.record(job, result, Date.now() - started, msg.envelope);
  }

  /** Write each recipient's outcome, send the notices that are due, and plan what is left. */
  private async record(job: Job, result: DeliverResult, ms: number, envelope: Envelope): Promise<void> {
    const { logger } = this.opts;
    await this.withLock(job.id, async () => {
      const st = await readState(this.queueDir, job.id);
      if (!st) return; // deleted meanwhile
      const now = Date.now();
      const notices: Record<DsnAction, DsnRecipient[]> = { failed: [], delayed: [], relayed: [] };
      for (const res of result.recipients) {
        const r = st.recipients.find((x) => x.kind === 'remote' && x.address.toLowerCase() === res.address.toLowerCase() && (x.status === 'pending' || x.status === 'deferred'));
        if (!r) continue;
        r.attempts++;
        r.lastAttempt = now;
        const fields = { id: job.id, rcpt: r.address, destination: job.dest.key, remote: res.remoteMta ?? '', status: res.status, reply: res.reply, delay_ms: now - envelope.time, attempt_ms: ms, attempts: r.attempts };
        if (res.kind === 'sent') {
          r.status = 'sent';
          r.lastError = undefined;
          logger.info('delivery', 'sent', fields);
          if (!res.dsnPassed && wantsNotice(r.notify, 'relayed')) notices.relayed.push(this.dsnRcpt(r, 'relayed', '2.0.0', res.reply, res.remoteMta, now));
        } else if (res.kind === 'perm') {
          r.status = 'failed';
          r.lastError = res.reply.includes(res.status) ? res.reply : `${res.status} ${res.reply}`;
          logger.warn('delivery', 'bounced', fields);
          if (wantsNotice(r.notify, 'failed')) notices.failed.push(this.dsnRcpt(r, 'failed', res.status, res.reply, res.remoteMta, now));
        } else {
          const out = this.tempFailure(st, r, res, now);
          if (out.expired) {
            logger.warn('delivery', 'expired', fields);
            if (out.notice) notices.failed.push(out.notice);
          } else logger.warn('delivery', 'deferred', { ...fields, next_attempt: new Date(r.nextAttempt).toISOString() });
        }
      }
      notices.delayed.push(...this.delayNotices(st, now));
      // notices are made durable before the state that caused them: a crash repeats a notice, never loses one
      for (const action of ['failed', 'delayed', 'relayed'] as const) {
        if (notices[action].length) await this.notify(action, envelope, notices[action]);
      }
      await this.saveOrRemove(st);
    });
  }

  private dsnRcpt(r: RecipientState, action: DsnAction, status: string, reply: string, remoteMta: string | undefined, now: number): DsnRecipient {
    return { address: r.address, orcpt: r.orcpt, action, status: /^[245]\.\d+\.\d+$/.test(status) ? status : action === 'failed' ? '5.0.0' : '4.0.0', remoteMta: remoteMta?.replace(/\[.*$/, ''), diagnostic: reply, fromRemote: !!remoteMta, lastAttempt: now };
  }

  /**
   * One recipient's attempt failed temporarily (the attempt already counted), remote or local alike: before
   * `max_queue_lifetime` it is deferred to its next back-off step (never past the lifetime); at or after it,
   * it expires (4.4.7, or the failure's own code when that is not a 4.X.X) with a DSN recipient if it wants one.
   */
  private tempFailure(st: QueueState, r: RecipientState, f: { status: string; reply: string; remoteMta?: string }, now: number): { expired: boolean; notice?: DsnRecipient } {
    const expiresAt = st.created + this.q.max_queue_lifetime;
    if (now >= expiresAt) {
      r.status = 'failed';
      r.lastError = `4.4.7 message expired after ${Math.round((now - st.created) / 1000)}s in the queue; last error: ${f.reply}`;
      if (!wantsNotice(r.notify, 'failed')) return { expired: true };
      return { expired: true, notice: this.dsnRcpt(r, 'failed', f.status.startsWith('4.') ? '4.4.7' : f.status, f.reply, f.remoteMta, now) };
    }
    r.status = 'deferred';
    r.lastError = f.reply.includes(f.status) ? f.reply : `${f.status} ${f.reply}`;
    const step = this.q.retry_schedule[Math.min(r.attempts - 1, this.q.retry_schedule.length - 1)] ?? 300_000;
    r.nextAttempt = Math.min(now + step, expiresAt);
    return { expired: false };
  }

  /** The delay warning, once per message, for recipients (remote or local) still deferred after `delay_warning`. */
  private delayNotices(st: QueueState, now: number): DsnRecipient[] {
    if (st.delayWarned || now - st.created < this.q.delay_warning) return [];
    const late = st.recipients.filter((r) => r.status === 'deferred');
    if (!late.length) return [];
    st.delayWarned = true;
    const until = st.created + this.q.max_queue_lifetime;
    return late
      .filter((r) => wantsNotice(r.notify, 'delayed'))
      .map((r) => ({ ...this.dsnRcpt(r, 'delayed', /\b(4\.\d+\.\d+)\b/.exec(r.lastError ?? '')?.[1] ?? '4.0.0', r.lastError ?? '', undefined, now), willRetryUntil: until }));
  }

  /**
   * Local deliveries that failed temporarily again (a Maildir write): the queue calls this before it writes
   * the state, under the message's lock. Each attempt is counted, then backed off or expired past
   * `max_queue_lifetime` exactly as a remote recipient is, and the notices that are due are sent.
   */
  async deferLocal(st: QueueState, envelope: Envelope, failures: { address: string; reason: string }[], now = Date.now()): Promise<void> {
    const { logger } = this.opts;
    const failed: DsnRecipient[] = [];
    for (const f of failures) {
      const r = openRecipients(st).find((x) => x.kind === 'local' && x.address.toLowerCase() === f.address.toLowerCase());
      if (!r) continue;
      r.attempts++;
      r.lastAttempt = now;
      const status = /^([245]\.\d{1,3}\.\d{1,3})\b/.exec(f.reason)?.[1] ?? '4.0.0';
      const fields = { id: st.id, rcpt: r.address, kind: 'local', status, reply: f.reason, delay_ms: now - envelope.time, attempts: r.attempts };
      const out = this.tempFailure(st, r, { status, reply: f.reason }, now);
      if (out.expired) {
        logger.warn('delivery', 'expired', fields);
        if (out.notice) failed.push(out.notice);
      } else logger.warn('delivery', 'deferred', { ...fields, next_attempt: new Date(r.nextAttempt).toISOString() });
    }
    const delayed = this.delayNotices(st, now);
    // notices are made durable before the state that caused them (the caller writes it after this)
    if (failed.length) await this.notify('failed', envelope, failed);
    if (delayed.length) await this.notify('delayed', envelope, delayed);
  }

  /** Write the state, or remove the message once no recipient (remote or local) is left open. */
  async saveOrRemove(st: QueueState): Promise<void> {
    if (openRecipients(st).length === 0) {
      this.cancel(st.id);
      await this.opts.queue.removeQueued(st.id);
    } else await writeState(this.queueDir, st);
  }

  /** Build a DSN about `recipients` of a message and inject it as new mail (never to the null sender). */
  async notify(action: DsnAction, envelope: Envelope, recipients: DsnRecipient[]): Promise<void> {
    const { queue, config, logger } = this.opts;
    const msg = await queue.spool.open(envelope.id);
    const original = msg ? (await fsp.readFile(msg.file)).subarray(msg.bodyOffset) : Buffer.alloc(0);
    const dsn = buildDsn({ action, hostname: config.hostname, envelope, recipients, original });
    if (!dsn) {
      logger.info('delivery', 'dsn-suppressed', { id: envelope.id, action, reason: 'null sender' });
      return;
    }
    dsn.envelope.rcptTo = [{ address: envelope.mailFrom, kind: this.opts.isLocal(envelope.mailFrom) ? 'local' : 'remote' }];
    await queue.inject(dsn.envelope, dsn.raw);
    logger.info('delivery', 'dsn', { id: envelope.id, dsn_id: dsn.envelope.id, action, to: envelope.mailFrom, recipients: recipients.map((r) => r.address) });
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

  // ---------- held mail expires at `hold_lifetime` ----------

  /**
   * Held recipients get no attempts, so the retry path never expires them. A sweep over the queue does,
   * every hold_lifetime/100 (between 1 s and 1 h): an expiry is at most that late.
   */
  private startHoldSweep(): void {
    const life = this.q.hold_lifetime;
    if (!life) return;
    const every = Math.min(3_600_000, Math.max(1000, Math.floor(life / 100)));
    const tick = async () => {
      if (this.closed) return;
      await this.expireHeld().catch((e: Error) => this.opts.logger.error('queue', 'hold-sweep-failed', { error: e.message }));
      if (!this.closed) this.holdSweep = setTimeout(() => void tick(), every).unref();
    };
    this.holdSweep = setTimeout(() => void tick(), every).unref();
  }

  /** Bounce held recipients of messages older than `hold_lifetime` (4.4.7); returns how many expired. */
  async expireHeld(now = Date.now()): Promise<number> {
    const life = this.q.hold_lifetime;
    if (!life) return 0;
    let expired = 0;
    for (const id of await this.opts.queue.spool.queuedIds()) {
      if (this.closed) break;
      expired += await this.withLock(id, async () => {
        const st = await readState(this.queueDir, id);
        if (!st || now < st.created + life) return 0;
        const held = openRecipients(st).filter((r) => st.held || (r.kind === 'remote' && this.domainHeld(recipientDomain(r.address))));
        if (!held.length) return 0;
        const msg = await this.opts.queue.spool.open(id);
        if (!msg) return 0;
        const days = Math.round(((now - st.created) / 86_400_000) * 10) / 10;
        const why = `message held in the queue for ${Math.round((now - st.created) / 1000)}s (${days} days), longer than hold_lifetime`;
        const notices: DsnRecipient[] = [];
        for (const r of held) {
          const last = r.lastError;
          r.status = 'failed';
          r.lastError = `4.4.7 ${why}${last ? `; last error: ${last}` : ''}`;
          this.opts.logger.warn('delivery', 'expired-held', { id, rcpt: r.address, kind: r.kind, attempts: r.attempts, delay_ms: now - st.created, reason: r.lastError });
          if (wantsNotice(r.notify, 'failed')) notices.push(this.dsnRcpt(r, 'failed', '4.4.7', `The ${why}; it was never delivered.${last ? ` Last error: ${last}` : ''}`, undefined, now));
        }
        // the notice is durable before the state that caused it (as in record())
        if (notices.length) await this.notify('failed', msg.envelope, notices);
        await this.saveOrRemove(st);
        return held.length;
      });
    }
    return expired;
  }

  // ---------- spooler routes: probe the destination, deliver when it answers ----------

  private startProbe(dest: Destination): void {
    const every = Math.max(1000, this.q.retry_schedule[0] ?? 300_000);
    const tick = async () => {
      if (this.closed) return;
      if (await this.reachable(dest)) {
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
      if (!this.closed) this.probes.set(dest.key, setTimeout(() => void tick(), every).unref());
    };
    this.probes.set(dest.key, setTimeout(() => void tick(), every).unref());
  }

  private async reachable(dest: Destination): Promise<boolean> {
    const where = await resolveDestination(dest, this.opts.resolver, { port: this.o.port, maxMx: this.o.max_mx }).catch(() => null);
    if (!where || where.kind !== 'ok') return false;
    for (const t of where.targets) {
      for (const ip of t.addresses) {
        const ok = await new Promise<boolean>((resolve) => {
          const s = net.connect({ host: ip, port: t.port });
          const done = (v: boolean) => {
            s.destroy();
            resolve(v);
          };
          s.setTimeout(Math.min(this.o.connect_timeout, 10_000), () => done(false));
          s.once('data', (b) => done(b.toString('latin1').startsWith('220')));
          s.once('error', () => done(false));
        });
        if (ok) return true;
      }
    }
    return false;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.jobs.values()) if (j.timer) clearTimeout(j.timer);
    for (const t of this.probes.values()) clearTimeout(t);
    if (this.holdSweep) clearTimeout(this.holdSweep);
    // (at most 3 s: what is not recorded by then stays pending and is delivered again after the restart)
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, 3000).unref())]);
  }
}
