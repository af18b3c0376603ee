// The queue as /metrics, /readyz, `tegami status` and the admin dashboard see it: messages by state, the oldest
// one's age and the spool's bytes, read from the spool (QueueAdmin.list) — and on PostgreSQL from the shared
// queue's rows too, every node's mail counted once — at most once per `maxAgeMs` however many scrapers ask,
// and never on the mail path (it runs when asked, and concurrent askers share one pass).
import fsp from 'node:fs/promises';
import path from 'node:path';
import { STAGES, type MessageStage, type QueueAdmin, type QueueEntry } from '../queue/control.js';

export interface QueueSnapshot {
  by_state: Record<MessageStage, number>;
  total: number;
  oldest_age_seconds: number;
  spool_bytes: number;
  /**
   * PostgreSQL only: messages in this node's spool (not yet handed over to the shared queue, or local
   * recipients waiting for a retry); they are counted in by_state and total too (a message in both, once).
   */
  local_messages?: number;
  /** PostgreSQL only: the shared rows could not be read now (the database away); the last rows read are counted. */
  shared_stale?: boolean;
  /** When it was read (ms since epoch). */
  at: number;
}

export class QueueSnapshots {
  private last: QueueSnapshot | null = null;
  private running: Promise<QueueSnapshot> | null = null;
  private lastShared: QueueEntry[] = [];

  constructor(
    private readonly admin: Pick<QueueAdmin, 'list' | 'spool'>,
    private readonly maxAgeMs = 10_000,
    private readonly clock: () => number = Date.now,
    /** PostgreSQL: the shared queue's messages (PgQueueAdmin.list), every node's. */
    private readonly shared?: () => Promise<QueueEntry[]>,
  ) {}

  get(): Promise<QueueSnapshot> {
    if (this.last && this.clock() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last);
    this.running ??= this.read().finally(() => (this.running = null));
    return this.running;
  }

  private async read(): Promise<QueueSnapshot> {
    const by_state = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<MessageStage, number>;
    let oldest = 0;
    const local = await this.admin.list();
    let entries = local;
    let stale = false;
    if (this.shared) {
      // the shared row's view of a message wins (its recipients' leases say which node delivers it now)
      // the database away: the rows last read stand (marked stale) rather than the figures dropping to this node's
      let rows = this.lastShared;
      try {
        rows = this.lastShared = await this.shared();
      } catch {
        stale = true;
      }
      const ids = new Set(rows.map((e) => e.id));
      entries = [...rows, ...local.filter((e) => !ids.has(e.id))];
    }
    for (const e of entries) {
      by_state[e.state]++;
      oldest = Math.max(oldest, e.age_seconds);
    }
    const spool = this.admin.spool;
    const spool_bytes = (await dirBytes(spool.queueDir, (n) => !n.endsWith('.state'))) + (await dirBytes(spool.incomingDir, () => true));
    this.last = { by_state, total: entries.length, oldest_age_seconds: oldest, spool_bytes, ...(this.shared ? { local_messages: local.length, ...(stale ? { shared_stale: true } : {}) } : {}), at: this.clock() };
    return this.last;
  }
}

async function dirBytes(dir: string, want: (name: string) => boolean): Promise<number> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return 0;
  }
  let total = 0;
  for (const n of names) {
    if (!want(n)) continue;
    total += await fsp
      .stat(path.join(dir, n))
      .then((s) => (s.isFile() ? s.size : 0))
      .catch(() => 0);
  }
  return total;
}
