// The queue: the main thread's side of a message's life after DATA. It hands the spooled file to the
// worker pool ("process": analyse → route → deliver locally), decides when the client gets its reply,
// keeps what is left (remote recipients, temporary local failures) durably in the spool with a state
// file, runs the backlog (resumed, saturated, retried messages), and resumes everything at start. The reply
// after DATA is decided in receive.ts. It never parses messages or talks to remote servers itself.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { Piscina } from 'piscina';
import type { Logger } from '../log/logger.js';
import { Spool, type SpoolWriter } from '../spool/spool.js';
import type { Envelope } from '../spool/envelope.js';
import { mailboxEvents } from '../store/events.js';
import type { ProcessResult, ProcessTask } from '../../workers/process.js';
import { openRecipients, readState, writeState, type QueueState, type RecipientState } from './state.js';
import { recoverQueue } from './recovery.js';
import { checked, processResultCheck } from './worker-messages.js';
import { wantsNotice, type DsnAction, type DsnRecipient } from '../outbound/dsn.js';
import { ownBytes, registerLearnPool } from '../spam/learn-pool.js';
import type { LearnTask } from '../../workers/learn.js';
import { originate } from './notices.js';
import { logResult, logWorkerEvents } from './delivery-log.js';
import { TaskSet } from './task-set.js';
import { receive, type Handover, type ReceiveOutcome } from './receive.js';

export type { ReceiveOutcome } from './receive.js';

/** Remote delivery and the queue's lifetime rules, plugged in by the outbound scheduler (engine/queue/outbound.ts). */
export interface RemoteScheduler {
  /** A message now has remote recipients in its state file. */
  schedule(id: string): void;
  /** Serialise read-modify-write of one message's state file with the scheduler's own updates. */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T>;
  /** Send the delivery status notifications to the message's sender (never to the null sender; none with `noNotice`). */
  notify(envelope: Envelope, notices: Record<DsnAction, DsnRecipient[]>, noNotice?: string): Promise<void>;
  /**
   * Count a failed local attempt of each of `failures` in `st` (not yet written): back off, or past
   * `max_queue_lifetime` expire it with a DSN, and send a due delay warning, as for remote recipients (none when
   * `st.noNotice` says why the sender may not have one).
   */
  deferLocal(st: QueueState, envelope: Envelope, failures: { address: string; reason: string }[], now?: number): Promise<void>;
}

export interface QueueOptions {
  dataDir: string;
  configPath?: string;
  logger: Logger;
  workers: number;
  maxMessages: number;
  analysisDeadlineMs: number;
  retrySchedule: number[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const LEARN_WORKER = path.resolve(here, '../../workers/learn.js');

export class Queue {
  readonly spool: Spool;
  readonly pool: Piscina;
  /** Messages in queue/ (durable, not yet finished) plus messages being received. */
  private queued = new Set<string>();
  private receiving = 0;
  private backlog: { id: string; recovered: boolean }[] = [];
  private inflight = 0;
  private readonly maxInflight: number;
  /** One pending local retry (or re-run after a worker failure) per message. */
  private timers = new Map<string, NodeJS.Timeout>();
  private closed = false;
  /** Work running for messages already acknowledged (a worker task and what follows it); see drain(). */
  private work = new TaskSet();
  remote: RemoteScheduler | null = null;
  /** What receive.ts uses of this queue. */
  private readonly handover: Handover;

  constructor(private readonly opts: QueueOptions) {
    this.spool = new Spool(path.join(opts.dataDir, 'spool'));
    const threads = opts.workers > 0 ? opts.workers : Math.max(1, os.availableParallelism());
    this.pool = new Piscina({
      filename: path.resolve(here, '../../workers/process.js'),
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 16,
      idleTimeout: 60_000,
      // a worker takes its tasks as port messages on its event loop, never blocked in Atomics.wait ('sync', piscina's
      // default): its loop keeps running, so its timers fire (the delivery worker's idle SMTP sessions close on time)
      // and what a task leaves to finish (the spam log's buffered verdict line) is written now, not when the next task
      // arrives. Not 'async' either: that armed an Atomics.waitAsync after every finished task besides the port
      // listener, so a task woke the worker's loop twice (the notify's task and the port's) and was looked for twice
      atomics: 'disabled',
      workerData: { configPath: opts.configPath, dataDir: opts.dataDir },
    });
    this.maxInflight = threads * 32;
    this.handover = {
      spool: this.spool,
      logger: opts.logger,
      analysisDeadlineMs: opts.analysisDeadlineMs,
      saturated: () => this.inflight >= this.maxInflight,
      toBacklog: (id) => {
        this.backlog.push({ id, recovered: false });
        this.pump();
      },
      runTask: (task) => this.runTask(task),
      commit: (w) => this.commit(w),
      leftover: (env, r) => this.leftover(env, r),
      finished: (id, r, arrived) => this.finished(id, r, arrived),
      settleSafely: (env, r) => this.settleSafely(env, r),
      retryLater: (id, recovered) => this.retryLater(id, recovered),
      failedAfterCommit: (id, event, e) => this.failedAfterCommit(id, event, e),
      track: (work) => this.work.track(work),
    };
    // IMAP's Spam folder moves train the filter in this pool, never on the main thread
    registerLearnPool(opts.dataDir, (raw, kind, owner) => {
      const bytes = ownBytes(raw);
      const task: LearnTask = { raw: bytes, kind, owner };
      return this.pool.run(task, { filename: LEARN_WORKER, transferList: [bytes.buffer as ArrayBuffer] }) as Promise<boolean>;
    });
  }

  /**
   * Resume after a (re)start: drop unacknowledged files, check what was queued (damage goes to
   * spool/corrupt/, see recovery.ts), then deliver the rest at once.
   */
  async start(): Promise<{ resumed: number; cleared: number; corrupt: number; unreadable: number }> {
    const cleared = await this.spool.clearIncoming();
    const found = await recoverQueue(this.spool, this.opts.logger);
    for (const { id, state } of found.messages) {
      this.queued.add(id);
      if (!state) this.backlog.push({ id, recovered: true });
      else this.scheduleState(state);
    }
    this.pump();
    return { resumed: found.messages.length, cleared, corrupt: found.corrupt, unreadable: found.unreadable };
  }

  /** Over its bound, the queue refuses new transactions (451 4.3.2) instead of growing. */
  isFull(): boolean {
    return this.queued.size + this.receiving >= this.opts.maxMessages;
  }

  size(): number {
    return this.queued.size;
  }

  beginReceive(): () => void {
    this.receiving++;
    let done = false;
    return () => {
      if (!done) this.receiving--;
      done = true;
    };
  }

  /**
   * After the final dot: deliver now if it is quick (the Maildir copies are durable, so the spool file
   * need not be); otherwise make the spool file durable first. Only then does the client hear 250 (receive.ts).
   */
  receive(w: SpoolWriter, env: Envelope): Promise<ReceiveOutcome> {
    return receive(this.handover, w, env);
  }

  /** Inject a locally generated message (a DSN): spooled durably (originate), then dispatched like received mail. */
  async inject(env: Envelope, raw: Buffer): Promise<void> {
    this.adopt(await originate(this.spool, env.id, [{ envelope: env, raw }]));
  }

  /**
   * Messages made durable in spool/queue/ by originate() elsewhere (a worker's list copies and notices, a
   * recovered batch): take them in and dispatch them like received mail. Ids are checked (they come from
   * another thread); one already known is skipped.
   */
  adopt(ids: readonly unknown[]): void {
    for (const id of ids) {
      if (typeof id !== 'string' || !/^[0-9A-Z]{1,64}$/.test(id) || this.queued.has(id)) continue;
      this.queued.add(id);
      this.backlog.push({ id, recovered: false });
    }
    this.pump();
  }

  /** What a worker made besides deliveries: messages it originated (adopted) and events (logged). */
  fromWorker(id: string, r: { originated?: unknown; events?: unknown }): void {
    logWorkerEvents(this.opts.logger, id, r.events);
    if (Array.isArray(r.originated)) this.adopt(r.originated);
  }

  /** A queued message found damaged (by the scheduler): moved to spool/corrupt/ and forgotten; its new path. */
  async quarantine(id: string): Promise<string | null> {
    this.queued.delete(id);
    return this.spool.quarantine(id);
  }

  /** A queued message whose last recipient was dealt with elsewhere (the outbound scheduler): drop it. */
  async removeQueued(id: string): Promise<void> {
    await this.spool.remove(id);
    this.queued.delete(id);
  }

  /**
   * settle(), for a message already durable in queue/: a failure to write its state or notices (a full disk)
   * is logged and the message run again later (skipping mailboxes that have it), never left to crash the process.
   */
  private async settleSafely(env: Envelope, r: ProcessResult): Promise<void> {
    try {
      await this.settle(env, r);
    } catch (e) {
      this.failedAfterCommit(env.id, 'settle-failed', e);
    }
  }

  /** Something failed for a message safe in queue/: log it, try it again soon (and at the next start). */
  private failedAfterCommit(id: string, event: string, e: unknown): void {
    this.opts.logger.error('queue', event, { id, error: e instanceof Error ? e.message : String(e) });
    this.retryLater(id, true);
  }

  /** After the first run of a queued message: bounce permanent failures, then keep what is left or drop it. */
  private async settle(env: Envelope, r: ProcessResult): Promise<void> {
    await this.bounce(env, r.failed, r.noNotice);
    const rest = this.leftover(env, r);
    if (rest.length === 0) {
      await this.removeQueued(env.id);
      this.finished(env.id, r, env.time);
    } else await this.keep(env, rest, r);
  }

  /**
   * Local permanent failures found after acceptance (alias loop, disabled mailbox): a DSN to the sender, unless the
   * worker found that the sender may be forged (workers/notice-sender.ts): then none, and the log says why.
   */
  private async bounce(env: Envelope, failed: ProcessResult['failed'], noNotice: string | undefined): Promise<void> {
    if (!failed.length || !this.remote) return;
    const byRcpt = new Map(env.rcptTo.map((x) => [x.address.toLowerCase(), x]));
    const recipients: DsnRecipient[] = failed
      .filter((f) => wantsNotice(byRcpt.get(f.address.toLowerCase())?.notify, 'failed'))
      .map((f) => ({
        address: f.address,
        orcpt: byRcpt.get(f.address.toLowerCase())?.orcpt,
        action: 'failed',
        status: /^(\d\.\d{1,3}\.\d{1,3})/.exec(f.reason)?.[1] ?? '5.0.0',
        diagnostic: f.reason.replace(/^\d\.\d{1,3}\.\d{1,3}\s*/, ''),
        fromRemote: false,
        lastAttempt: Date.now(),
      }));
    await this.remote.notify(env, { failed: recipients, delayed: [], relayed: [] }, noNotice);
  }

  private lock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.remote ? this.remote.withLock(id, fn) : fn();
  }

  private async commit(w: SpoolWriter): Promise<void> {
    await this.spool.commit(w);
    this.queued.add(w.id);
  }

  private runTask(task: ProcessTask): Promise<ProcessResult | Error> {
    this.inflight++;
    return (this.pool.run(task) as Promise<unknown>)
      .then((r) => {
        const result = checked(processResultCheck, r, `the worker's result for ${task.id}`);
        this.fromWorker(task.id, result);
        return result;
      })
      .catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))
      .finally(() => {
        this.inflight--;
        this.pump();
      });
  }

  /** Recipients that still need work after a process run. */
  private leftover(env: Envelope, r: ProcessResult): RecipientState[] {
    const now = Date.now();
    const rcptInfo = new Map(env.rcptTo.map((x) => [x.address.toLowerCase(), x]));
    const rest: RecipientState[] = [];
    for (const x of r.remote) {
      const orig = rcptInfo.get(x.rcpt.toLowerCase());
      rest.push({ address: x.address, rcpt: x.rcpt, kind: 'remote', status: 'pending', attempts: 0, nextAttempt: now, notify: orig?.notify, orcpt: orig?.orcpt });
    }
    // the failed attempt is counted (and its next one set, or the recipient expired) by deferLocal()
    for (const x of r.tempFailed) rest.push({ address: x.address, rcpt: x.address, kind: 'local', status: 'deferred', attempts: 0, nextAttempt: now });
    return rest;
  }

  /** Record what is left in a state file and hand remote recipients to the outbound scheduler. */
  private async keep(env: Envelope, rest: RecipientState[], r: ProcessResult): Promise<void> {
    const st: QueueState = { id: env.id, created: env.time, held: false, recipients: rest };
    await this.deferLocal(st, env, r.tempFailed, r.noNotice);
    if (openRecipients(st).length === 0) {
      // (only with a max_queue_lifetime of about zero: the first local failure expired it)
      await this.removeQueued(env.id);
      this.finished(env.id, r, env.time);
      return;
    }
    await writeState(this.spool.queueDir, st);
    logResult(this.opts.logger, env.id, r, 'partial', env.time);
    this.scheduleState(st);
  }

  /** Count failed local attempts: the scheduler backs off or expires them; without one, plain back-off. */
  private async deferLocal(st: QueueState, env: Envelope, failures: { address: string; reason: string }[], noNotice?: string): Promise<void> {
    // kept: every later notice about this message (a retry's, a remote attempt's, a held message's expiry) has none
    if (noNotice && !st.noNotice) st.noNotice = noNotice;
    if (!failures.length) return;
    if (this.remote) return this.remote.deferLocal(st, env, failures);
    const now = Date.now();
    for (const f of failures) {
      const cur = openRecipients(st).find((y) => y.kind === 'local' && y.address.toLowerCase() === f.address.toLowerCase());
      if (!cur) continue;
      cur.attempts++;
      cur.lastAttempt = now;
      cur.lastError = f.reason;
      cur.nextAttempt = now + (this.opts.retrySchedule[Math.min(cur.attempts - 1, this.opts.retrySchedule.length - 1)] ?? 300_000);
      this.opts.logger.warn('delivery', 'deferred', { id: st.id, rcpt: f.address, reason: f.reason });
    }
  }

  private scheduleState(st: QueueState): void {
    const open = openRecipients(st);
    if (open.some((x) => x.kind === 'remote')) this.remote?.schedule(st.id);
    const local = open.filter((x) => x.kind === 'local');
    if (local.length && !st.held) {
      const due = Math.min(...local.map((x) => x.nextAttempt));
      this.retryAt(st.id, due);
    }
  }

  /** After a worker failure (a bug or an I/O error): try again soon, not after a full retry step. */
  private retryLater(id: string, recovered: boolean): void {
    this.retryAt(id, Date.now() + Math.min(this.opts.retrySchedule[0] ?? 300_000, 30_000), recovered);
  }

  private retryAt(id: string, when: number, recovered = true): void {
    if (this.closed) return;
    const prev = this.timers.get(id);
    if (prev) clearTimeout(prev);
    const t = setTimeout(() => {
      if (this.timers.get(id) === t) this.timers.delete(id);
      this.backlog.push({ id, recovered });
      this.pump();
    }, Math.max(0, when - Date.now()));
    t.unref();
    this.timers.set(id, t);
  }

  /**
   * The operator's `queue retry`: run a message's locally deferred recipients now instead of at their
   * back-off timer. Mailboxes that already hold the message are skipped (recovered run, dedup key).
   */
  retryLocalNow(id: string): boolean {
    if (this.closed || !this.queued.has(id)) return false;
    this.retryAt(id, Date.now());
    return true;
  }

  /** Dispatch queued messages (resumed, backlogged, retried) while the pool has room. */
  private pump(): void {
    while (!this.closed && this.backlog.length && this.inflight < this.maxInflight) {
      const next = this.backlog.shift()!;
      this.work.track(this.runQueued(next.id, next.recovered).catch((e: unknown) => this.failedAfterCommit(next.id, 'run-failed', e)));
    }
  }

  private async runQueued(id: string, recovered: boolean): Promise<void> {
    const read = await this.spool.read(id);
    if (read.kind !== 'ok') {
      this.queued.delete(id);
      if (read.kind === 'missing') return; // deleted by the operator meanwhile
      // unreadable spool file: never delete mail silently; move it aside for the operator (Postfix's "corrupt" queue)
      const file = this.spool.queuePath(id);
      const where = await this.spool.quarantine(id);
      if (where) this.opts.logger.error('queue', 'corrupt', { file, reason: read.reason, movedTo: where });
      return;
    }
    const msg = read.msg;
    const st = await readState(this.spool.queueDir, id);
    let envelope = msg.envelope;
    if (st) {
      // only the local recipients that failed temporarily are processed again here
      const local = openRecipients(st).filter((x) => x.kind === 'local' && !st.held);
      if (!local.length) return;
      envelope = { ...envelope, rcptTo: local.map((x) => ({ address: x.address, kind: 'local' as const })) };
    }
    const r = await this.runTask({ id, file: msg.file, bodyOffset: msg.bodyOffset, envelope, recovered, skipAnalysis: false });
    if (r instanceof Error) {
      this.opts.logger.error('delivery', 'process-failed', { id, error: r.message });
      this.retryLater(id, true);
      return;
    }
    if (!st) return this.settle(envelope, r);
    // a retry follows the decision kept at the first run (the sender's standing is decided once per message)
    await this.bounce(envelope, r.failed, st.noNotice ?? r.noNotice);
    await this.lock(id, async () => {
      // merge under the scheduler's lock, on the state as it is now: local recipients delivered or failed;
      // remote ones exactly as the scheduler left them
      const cur = (await readState(this.spool.queueDir, id)) ?? st;
      await this.mergeLocal(cur, envelope, r);
    });
  }

  /** Fold a retry run's results for locally deferred recipients into the state; remote entries stay as they are. */
  private async mergeLocal(st: QueueState, envelope: Envelope, r: ProcessResult): Promise<void> {
    const failed = new Set(r.failed.map((f) => f.address.toLowerCase()));
    const done = new Set([...r.delivered.map((d) => d.rcpt.toLowerCase()), ...failed]);
    for (const x of st.recipients) {
      if (x.kind !== 'local' || !done.has(x.address.toLowerCase())) continue;
      x.status = failed.has(x.address.toLowerCase()) ? 'failed' : 'sent';
    }
    await this.deferLocal(st, envelope, r.tempFailed, r.noNotice);
    if (openRecipients(st).length === 0) await this.removeQueued(st.id);
    else {
      await writeState(this.spool.queueDir, st);
      this.scheduleState(st);
    }
    this.finished(st.id, r, st.created);
  }

  private finished(id: string, r: ProcessResult, arrived?: number): void {
    for (const d of r.delivered) mailboxEvents.changed(d.owner, d.folder);
    logResult(this.opts.logger, id, r, 'done', arrived);
  }

  /**
   * Graceful stop (SIGTERM), after the listeners closed: start nothing new (backlog and retry timers stay for
   * the next start) and wait, at most `limitMs`, for the worker tasks of messages already acknowledged and
   * the state they write. Returns how many were running and how many were still running at the limit.
   */
  async drain(limitMs: number): Promise<{ tasks: number; left: number }> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    return this.work.settle(limitMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    registerLearnPool(this.opts.dataDir, null);
    for (const t of this.timers.values()) clearTimeout(t);
    await this.pool.destroy();
  }
}
