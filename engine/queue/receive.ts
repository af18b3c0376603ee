// The hand-over after the final dot: who answers the client, and when. The "process" task runs at once; if
// it finishes within the analysis deadline the client hears its outcome (delivered, rejected by analysis, or
// kept durably for what is left), else the decision cell is claimed, the spool file made durable and the
// client hears 250 while the worker finishes. Never answers 250 for a message that is not durable somewhere
// (a Maildir or spool/queue/); never starts the backlog itself (the queue's pump does, queue.ts).
import type { Logger } from '../log/logger.js';
import type { Spool, SpoolWriter } from '../spool/spool.js';
import type { Envelope } from '../spool/envelope.js';
import type { ProcessResult, ProcessTask } from '../../workers/process.js';
import type { RecipientState } from './state.js';
import { logResult } from './delivery-log.js';

export type ReceiveOutcome =
  | { kind: 'accepted'; id: string; delivered: boolean }
  | { kind: 'rejected'; code: number; status: string; text: string }
  | { kind: 'tempfail'; code: number; status: string; text: string };

/** What the hand-over needs of the queue (queue.ts builds it from its own private parts). */
export interface Handover {
  readonly spool: Spool;
  readonly logger: Logger;
  readonly analysisDeadlineMs: number;
  /** The pool has as many tasks in flight as it may. */
  saturated(): boolean;
  /** Dispatch a message now durable in queue/ when the pool has room. */
  toBacklog(id: string): void;
  runTask(task: ProcessTask): Promise<ProcessResult | Error>;
  /** Make the spool file durable in queue/ (and count it as queued). */
  commit(w: SpoolWriter): Promise<void>;
  /** Recipients that still need work after a process run. */
  leftover(env: Envelope, r: ProcessResult): RecipientState[];
  finished(id: string, r: ProcessResult, arrived?: number): void;
  /** After the first run of a message already durable: bounce, keep what is left or drop it. */
  settleSafely(env: Envelope, r: ProcessResult): Promise<void>;
  retryLater(id: string, recovered: boolean): void;
  failedAfterCommit(id: string, event: string, e: unknown): void;
  /** Work that goes on after the reply (drain() waits for it). */
  track(work: Promise<void>): void;
}

/** Commit before the reply; when that fails (a full disk) the file goes and the client hears an error, not 250. */
async function commitOrDiscard(q: Handover, w: SpoolWriter): Promise<void> {
  try {
    await q.commit(w);
  } catch (e) {
    await q.spool.discard(w);
    throw e;
  }
}

async function afterFailure(q: Handover, w: SpoolWriter, env: Envelope, err: Error): Promise<ReceiveOutcome> {
  // The worker failed (a bug or an I/O error): keep the message durably and retry it.
  q.logger.error('delivery', 'process-failed', { id: env.id, error: err.message });
  await commitOrDiscard(q, w);
  await w.release();
  q.retryLater(env.id, true);
  return { kind: 'accepted', id: env.id, delivered: false };
}

/**
 * After the final dot: deliver now if it is quick (the Maildir copies are durable, so the spool file
 * need not be); otherwise make the spool file durable first. Only then does the client hear 250.
 */
export async function receive(q: Handover, w: SpoolWriter, env: Envelope): Promise<ReceiveOutcome> {
  await w.finish();
  if (q.saturated()) {
    // the pool is saturated: keep it durably and let the backlog deliver it
    await commitOrDiscard(q, w);
    await w.release();
    q.toBacklog(env.id);
    return { kind: 'accepted', id: env.id, delivered: false };
  }
  const decision = new SharedArrayBuffer(4);
  const cell = new Int32Array(decision);
  const task: ProcessTask = { id: env.id, ...w.source(), file: w.file, bodyOffset: w.bodyOffset, envelope: env, recovered: false, decision };
  const running = q.runTask(task);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), q.analysisDeadlineMs);
  });
  const first = await Promise.race([running, deadline]);
  clearTimeout(timer);

  if (first !== 'deadline') {
    if (first instanceof Error) return afterFailure(q, w, env, first);
    if (first.rejected) {
      await q.spool.discard(w);
      logResult(q.logger, env.id, first, 'rejected');
      return { kind: 'rejected', ...first.rejected };
    }
    if (first.failed.length === 0 && q.leftover(env, first).length === 0) {
      await q.spool.discard(w);
      q.finished(env.id, first, env.time);
      return { kind: 'accepted', id: env.id, delivered: true };
    }
    // something is left to do (remote recipients, retries, a bounce): keep it durably first
    await commitOrDiscard(q, w);
    await w.release();
    await q.settleSafely(env, first);
    return { kind: 'accepted', id: env.id, delivered: false };
  }

  // Deadline passed. Claim the decision: from now on the worker must deliver, not reject.
  const prev = Atomics.compareExchange(cell, 0, 0, 1);
  if (prev === 2) {
    const r = await running;
    await q.spool.discard(w);
    if (!(r instanceof Error) && r.rejected) return { kind: 'rejected', ...r.rejected };
    return { kind: 'tempfail', code: 451, status: '4.3.0', text: 'Local error in processing' };
  }
  await commitOrDiscard(q, w);
  // the worker finishes after the reply; whatever happens then, the message is safe in queue/
  q.track(
    running
      .then(async (r) => {
        await w.release();
        if (r instanceof Error) {
          q.logger.error('delivery', 'process-failed', { id: env.id, error: r.message });
          q.retryLater(env.id, true);
          return;
        }
        await q.settleSafely(env, r);
      })
      .catch((e: unknown) => q.failedAfterCommit(env.id, 'settle-failed', e)),
  );
  return { kind: 'accepted', id: env.id, delivered: false };
}
