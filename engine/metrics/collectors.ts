// The gauges computed when /metrics is read (LAZY_GAUGES of definitions.ts): queue by state and oldest
// age, spool bytes, the worker pool, free space on the data dir, the last backup, monitor targets, versions. Nothing here
// runs on the mail path; a source that fails leaves its gauge at its last value rather than failing a scrape.
import fsp from 'node:fs/promises';
import { Gauge } from 'prom-client';
import { LAZY_GAUGES } from './definitions.js';
import type { Metrics } from './metrics.js';
import type { QueueSnapshot } from './queue-snapshot.js';
import { STAGES } from '../queue/control.js';
import { readLastBackup } from '../ops/last-backup.js';

export interface PoolLike {
  readonly threads: unknown[];
  readonly utilization: number;
  readonly queueSize: number;
  readonly completed: number;
}

export interface LiveSources {
  queue?: () => Promise<QueueSnapshot>;
  /** The queue figures are the shared queue's (PostgreSQL): tegami_queue_local_messages is added. */
  sharedQueue?: boolean;
  pool?: PoolLike;
  dataDir: string;
  monitor?: () => { name: string; state: 'up' | 'down' | 'unknown' }[];
  version: string;
}

export interface DiskSpace {
  free_bytes: number;
  size_bytes: number;
  free_percent: number;
}

export async function diskSpace(dir: string): Promise<DiskSpace> {
  const s = await fsp.statfs(dir);
  const free = s.bavail * s.bsize;
  const size = s.blocks * s.bsize;
  return { free_bytes: free, size_bytes: size, free_percent: size ? Math.round((free / size) * 10_000) / 100 : 0 };
}

export function registerCollectors(metrics: Metrics, src: LiveSources): void {
  const registers = [metrics.registry];
  const gauge = (name: keyof typeof LAZY_GAUGES, collect: (g: Gauge<string>) => void | Promise<void>) =>
    new Gauge({
      name,
      help: LAZY_GAUGES[name].help,
      labelNames: [...LAZY_GAUGES[name].labels],
      registers,
      async collect() {
        try {
          await collect(this);
        } catch {
          // keep the last value
        }
      },
    });

  new Gauge({ name: 'tegami_build_info', help: LAZY_GAUGES.tegami_build_info.help, labelNames: ['version', 'node'], registers }).set({ version: src.version, node: process.version }, 1);

  if (src.queue) {
    const q = src.queue;
    gauge('tegami_queue_messages', async (g) => {
      const s = await q();
      for (const state of STAGES) g.set({ state }, s.by_state[state]);
    });
    gauge('tegami_queue_oldest_age_seconds', async (g) => g.set((await q()).oldest_age_seconds));
    gauge('tegami_spool_bytes', async (g) => g.set((await q()).spool_bytes));
    // PostgreSQL only (the queue above is then the shared one): what this node's spool holds of it
    if (src.sharedQueue) gauge('tegami_queue_local_messages', async (g) => g.set((await q()).local_messages ?? 0));
  }
  if (src.pool) {
    const p = src.pool;
    gauge('tegami_pool_threads', (g) => g.set(p.threads.length));
    gauge('tegami_pool_utilization_ratio', (g) => g.set(p.utilization));
    gauge('tegami_pool_waiting_tasks', (g) => g.set(p.queueSize));
    gauge('tegami_pool_completed_tasks', (g) => g.set(p.completed));
  }
  gauge('tegami_data_dir_free_bytes', async (g) => g.set((await diskSpace(src.dataDir)).free_bytes));
  gauge('tegami_data_dir_size_bytes', async (g) => g.set((await diskSpace(src.dataDir)).size_bytes));
  // the record `tegami backup` leaves (another process, perhaps a timer's): read, checked, at each scrape
  gauge('tegami_backup_last_success_timestamp_seconds', (g) => {
    const b = readLastBackup(src.dataDir);
    g.set(b ? Date.parse(b.created) / 1000 : 0);
  });
  gauge('tegami_backup_last_size_bytes', (g) => g.set(readLastBackup(src.dataDir)?.bytes ?? 0));
  if (src.monitor) {
    const m = src.monitor;
    gauge('tegami_monitor_target_up', (g) => {
      for (const t of m()) g.set({ target: t.name }, t.state === 'up' ? 1 : t.state === 'down' ? 0 : -1);
    });
  }
}
