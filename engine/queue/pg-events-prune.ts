// The prune of the shared queue's `queue_events` (one row per lease taken back after its node died, migration 20)
// by age ([queue] events_retention), run by one node of the cluster per period: every node's queue asks each
// hour, the first to get the transaction-scoped advisory lock and find the job's last run (cluster_jobs,
// migration 23) a period old does it and records its time; the others skip. Times are the caller's `now` (the
// node's clock), so a test gives explicit ones. It never touches any other table.
import type pg from 'pg';
import { inTransaction } from '../db/pg/transaction.js';

export const EVENTS_PRUNE_JOB = 'queue_events-prune';
/** A node asks this often; the cluster prunes at most once per PRUNE_PERIOD_MS. */
export const PRUNE_ASK_MS = 3_600_000;
export const PRUNE_PERIOD_MS = 50 * 60_000;

export type PruneOutcome = { ran: true; deleted: number } | { ran: false; reason: 'busy' | 'recent'; lastRun?: number };

/**
 * Delete queue events older than `now - keepMs` unless another node is at it now (busy) or the cluster did it
 * less than `periodMs` ago (recent). A last run in the future (a clock set back) does not block it.
 */
export async function pruneQueueEvents(pool: Pick<pg.Pool, 'connect'>, o: { now: number; keepMs: number; node: string; periodMs?: number }): Promise<PruneOutcome> {
  const period = o.periodMs ?? PRUNE_PERIOD_MS;
  return inTransaction(pool, async (c): Promise<PruneOutcome> => {
    const lock = await c.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS got', [`tegami:${EVENTS_PRUNE_JOB}`]);
    if (!lock.rows[0].got) return { ran: false, reason: 'busy' };
    const last = await c.query<{ last_run: string }>('SELECT last_run FROM cluster_jobs WHERE name = $1', [EVENTS_PRUNE_JOB]);
    const lastRun = last.rowCount ? Number(last.rows[0].last_run) : undefined;
    if (lastRun !== undefined && lastRun <= o.now && o.now - lastRun < period) return { ran: false, reason: 'recent', lastRun };
    const d = await c.query('DELETE FROM queue_events WHERE at < $1', [o.now - o.keepMs]);
    await c.query(
      `INSERT INTO cluster_jobs (name, last_run, node) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run, node = excluded.node`,
      [EVENTS_PRUNE_JOB, o.now, o.node],
    );
    return { ran: true, deleted: d.rowCount ?? 0 };
  });
}
