// What a finished worker task tells the log: each delivery, permanent failure, verdict and skipped duplicate,
// and the events a worker reported (checked first: they crossed a thread boundary). No state, no I/O beyond
// the logger; the queue decides when to call it.
import type { Logger } from '../log/logger.js';
import type { ProcessResult } from '../../workers/process.js';

/** Events a worker reported for message `id`: only well-formed names are written, at info/warn/error. */
export function logWorkerEvents(logger: Logger, id: string, events: unknown): void {
  if (!Array.isArray(events)) return;
  for (const e of events as { event?: unknown; level?: unknown; fields?: unknown }[]) {
    if (typeof e?.event !== 'string' || !/^[a-z][a-z-]{0,40}$/.test(e.event)) continue;
    const level = e.level === 'warn' || e.level === 'error' ? e.level : 'info';
    logger.log('delivery', e.event, { id, ...(e.fields && typeof e.fields === 'object' ? (e.fields as object) : {}) }, level);
  }
}

/** The outcome of one run of a message (temporary failures are logged where they are deferred). */
export function logResult(logger: Logger, id: string, r: ProcessResult, stage: string, arrived?: number): void {
  for (const d of r.delivered) logger.info('delivery', 'delivered', { id, to: d.owner, rcpt: d.rcpt, folder: d.folder, delay_ms: arrived ? Date.now() - arrived : undefined });
  for (const f of r.failed) logger.warn('delivery', 'failed', { id, rcpt: f.address, reason: f.reason });
  if (r.analysis) logger.info('delivery', 'verdict', { id, stage, score: r.analysis.score, tags: r.analysis.tags, action: r.analysis.action });
  if (r.skippedDuplicates) logger.info('delivery', 'recovered-duplicates-skipped', { id, count: r.skippedDuplicates });
}
