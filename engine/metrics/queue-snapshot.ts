// The queue as /metrics, /readyz and `tegami status` see it: messages by state, the oldest one's age and
// the spool's bytes, read from the spool (QueueAdmin.list) at most once per `maxAgeMs` however many
// scrapers ask, and never on the mail path (it runs when asked, and concurrent askers share one pass).
import fsp from 'node:fs/promises';
import path from 'node:path';
import { STAGES, type MessageStage, type QueueAdmin } from '../queue/control.js';

export interface QueueSnapshot {
  by_state: Record<MessageStage, number>;
  total: number;
  oldest_age_seconds: number;
  spool_bytes: number;
  /** When it was read (ms since epoch). */
  at: number;
}

export class QueueSnapshots {
  private last: QueueSnapshot | null = null;
  private running: Promise<QueueSnapshot> | null = null;

  constructor(
    private readonly admin: Pick<QueueAdmin, 'list' | 'spool'>,
    private readonly maxAgeMs = 10_000,
    private readonly clock: () => number = Date.now,
  ) {}

  get(): Promise<QueueSnapshot> {
    if (this.last && this.clock() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last);
    this.running ??= this.read().finally(() => (this.running = null));
    return this.running;
  }

  private async read(): Promise<QueueSnapshot> {
    const by_state = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<MessageStage, number>;
    let oldest = 0;
    const entries = await this.admin.list();
    for (const e of entries) {
      by_state[e.state]++;
      oldest = Math.max(oldest, e.age_seconds);
    }
    const spool = this.admin.spool;
    const spool_bytes = (await dirBytes(spool.queueDir, (n) => !n.endsWith('.state'))) + (await dirBytes(spool.incomingDir, () => true));
    this.last = { by_state, total: entries.length, oldest_age_seconds: oldest, spool_bytes, at: this.clock() };
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
