// The running server's status as one document: listeners, connections, queue by state, worker pool,
// monitor targets with their history, the last backup (and, apart, the last download), disk space, readiness and versions. `tegami
// status` asks for it over the control socket (request {"cmd":"status"}); the admin dashboard calls
// collectStatus() directly. Reading it changes nothing.
import { readLastBackup, type LastBackup } from '../ops/last-backup.js';
import type { ControlResponse, ExtraRequests } from '../queue/control.js';
import type { TargetView } from '../monitor/monitor.js';
import { diskSpace, type DiskSpace, type PoolLike } from './collectors.js';
import type { Metrics } from './metrics.js';
import type { QueueSnapshot } from './queue-snapshot.js';
import type { Readiness } from './readiness.js';
import type { DatabaseProbe } from './database-probe.js';


export interface StatusDocument {
  running: true;
  hostname: string;
  pid: number;
  started: string;
  uptime_seconds: number;
  versions: Record<string, string>;
  data_dir: string;
  config_file: string | null;
  listeners: { name: string; address: string; bound: boolean }[];
  connections: Record<string, number>;
  queue: Omit<QueueSnapshot, 'at'> & { read_at: string };
  pool: { threads: number; utilization: number; waiting_tasks: number; completed_tasks: number } | null;
  monitor: TargetView[];
  /** The last backup made by `tegami backup` (run/last-backup.json). */
  last_backup: LastBackup | null;
  /** The last backup downloaded from the admin web (run/last-download.json): the server keeps no copy. */
  last_download: LastBackup | null;
  disk: DiskSpace & { path: string };
  ready: Readiness;
  logs: { dir: string; keep_days: number; compress: boolean; syslog: string | null };
  /** Where the accounts and mail are: "sqlite" (data dir's tegami.db and Maildirs) or "postgresql" (url with its
   *  password shown as ***), and this node's name ([storage] node_name: its queue leases, its key records). */
  storage: StatusStorage;
  /** Whether the accounts database answered a trivial query on a connection of its own, and how fast
   *  (engine/metrics/database-probe.ts); absent from a server older than it. */
  database?: DatabaseProbe;
}

export interface StatusStorage {
  backend: 'sqlite' | 'postgresql';
  /** sqlite: the path of tegami.db (databaseFile), the same as the probe's `where`; postgresql: the URL, password
   *  redacted (the probe's `where` is its host:port/database). A JSON key scripts read: kept, as `where` is. */
  location: string;
  /** [storage] node_name on PostgreSQL; null on SQLite (one node). */
  node: string | null;
}

export interface StatusSources {
  hostname: string;
  dataDir: string;
  configFile?: string;
  started: number;
  versions: Record<string, string>;
  listeners: () => { name: string; address: string; bound: boolean }[];
  metrics: Metrics;
  queue: () => Promise<QueueSnapshot>;
  pool?: PoolLike;
  monitor?: () => TargetView[];
  ready: () => Promise<Readiness>;
  logs: StatusDocument['logs'];
  storage: StatusStorage;
  database?: () => Promise<DatabaseProbe>;
}

export async function collectStatus(s: StatusSources): Promise<StatusDocument> {
  const [queue, ready, disk, conns, database] = await Promise.all([
    s.queue(),
    s.ready(),
    diskSpace(s.dataDir),
    s.metrics.get('tegami_connections_current').get(),
    s.database?.(),
  ]);
  const connections: Record<string, number> = {};
  for (const v of conns.values) connections[String(v.labels.service)] = v.value;
  const { at, ...q } = queue;
  return {
    running: true,
    hostname: s.hostname,
    pid: process.pid,
    started: new Date(s.started).toISOString(),
    uptime_seconds: Math.round((Date.now() - s.started) / 1000),
    versions: s.versions,
    data_dir: s.dataDir,
    config_file: s.configFile ?? null,
    listeners: s.listeners(),
    connections,
    queue: { ...q, read_at: new Date(at).toISOString() },
    pool: s.pool ? { threads: s.pool.threads.length, utilization: s.pool.utilization, waiting_tasks: s.pool.queueSize, completed_tasks: s.pool.completed } : null,
    monitor: s.monitor?.() ?? [],
    last_backup: readLastBackup(s.dataDir),
    last_download: readLastBackup(s.dataDir, 'download'),
    disk: { path: s.dataDir, ...disk },
    ready,
    logs: s.logs,
    storage: s.storage,
    ...(database ? { database } : {}),
  };
}

/** The control socket's `status` request (the rest go to the queue's dispatcher). */
export function statusRequests(collect: () => Promise<StatusDocument>): ExtraRequests {
  return (req) => (req.cmd === 'status' ? collect().then((result): ControlResponse => ({ ok: true, result })) : null);
}
