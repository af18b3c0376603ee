// What `tegami serve` adds for the operator, wired in one place so engine/server.ts only calls it: the log's
// outputs (syslog copy, daily retention pass), and once the listeners are up the metrics listener
// (/metrics, /healthz, /readyz), the lazy gauges, the monitor with its alerts, and the `status` request of
// the control socket. close() stops them in the order a graceful stop needs.
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { listenAddress } from '../net/host-port.js';
import { webLimits } from '../web/limits.js';
import { databaseFile, type Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import { scheduleRetention, type RetentionSchedule } from '../log/retention.js';
import { SyslogSink } from '../log/syslog.js';
import { Alerter } from '../monitor/alerts.js';
import { Monitor } from '../monitor/monitor.js';
import { closeProbes } from '../monitor/probes.js';
import { tegamiVersion } from '../ops/backup.js';
import type { QueueAdmin, ExtraRequests, QueueEntry } from '../queue/control.js';
import type { Queue } from '../queue/queue.js';
import { registerCollectors } from './collectors.js';
import { startMetricsListener } from './http.js';
import type { Metrics } from './metrics.js';
import { QueueSnapshots } from './queue-snapshot.js';
import { checkReadiness, POOL_PING, type Readiness } from './readiness.js';
import { collectStatus, statusRequests, type StatusDocument } from './status.js';
import { redactedUrl } from '../db/redact-url.js';
import { probeDatabase } from './database-probe.js';

export interface LogOutputs {
  syslog: SyslogSink | null;
  retention: RetentionSchedule | null;
  /** After logger.close(): stop the pass, send what syslog still has (at most 2 s). */
  close(): Promise<void>;
}

/** Syslog copy and retention for the server's logger ([log] syslog, keep_days, compress). */
export function startLogOutputs(logger: Logger, config: LoadedConfig, now?: () => Date): LogOutputs {
  const c = config.log;
  let syslog: SyslogSink | null = null;
  if (c.syslog) {
    const sink = new SyslogSink({
      target: c.syslog,
      facility: c.syslog_facility,
      hostname: config.hostname,
      caFile: c.syslog_ca_file,
      buffer: c.syslog_buffer,
      onState: (s) => {
        if (s.kind === 'connected') logger.emit('system.syslog-connected', { target: c.syslog });
        else if (s.kind === 'lost') logger.emit('system.syslog-lost', { target: c.syslog, error: s.error });
        else logger.emit('system.log-dropped', { destination: 'syslog', lines: s.lines });
      },
    });
    logger.tee((level, service, event, text) => sink.line(level, service, event, text));
    syslog = sink;
  }
  let retention: RetentionSchedule | null = null;
  if (c.files && (c.keep_days > 0 || c.compress)) {
    retention = scheduleRetention({
      dir: path.join(config.data_dir, 'logs'),
      keepDays: c.keep_days,
      compress: c.compress,
      now,
      openFiles: () => logger.openFiles(),
      beforePass: (today) => logger.closePastDays(today),
      report: (r) => {
        if (r.compressed || r.deleted) logger.emit('system.log-retention', { compressed: r.compressed, deleted: r.deleted, kept_days: c.keep_days });
        for (const e of r.errors) logger.emit('system.log-retention-failed', { file: e.file, error: e.error });
      },
    });
  }
  return {
    syslog,
    retention,
    close: async () => {
      retention?.stop();
      await syslog?.close();
    },
  };
}

export interface Operations {
  monitor: Monitor | null;
  status(): Promise<StatusDocument>;
  readiness(): Promise<Readiness>;
  /** For startControlServer: answers {"cmd":"status"}. */
  requests: ExtraRequests;
  close(): Promise<void>;
}

interface Listed {
  name: string;
  host: string;
  port: number;
  listening?: () => boolean;
  close(): Promise<void>;
}

/** "200MB" → bytes, "1%" → percent. */
export function parseMinFree(v: string): { bytes: number } | { percent: number } {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (pct) return { percent: Number(pct[1]) };
  const m = /^(\d+)\s*([KMG]?)B?$/i.exec(v.trim());
  if (!m) return { bytes: 200 * 1024 ** 2 };
  return { bytes: Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'] };
}

export async function startOperations(o: {
  config: LoadedConfig;
  logger: Logger;
  metrics: Metrics;
  queue: Queue;
  admin: QueueAdmin;
  /** PostgreSQL: the shared queue's messages (PgQueueAdmin.list); the figures then count every node's queue. */
  sharedQueue?: () => Promise<QueueEntry[]>;
  /** PostgreSQL: a statement on the shared database (its mailboxes and queue): /readyz fails while it cannot answer. */
  pingShared?: () => Promise<unknown>;
  db: Db;
  /** The server's listeners; the metrics listener is added to it. */
  listeners: Listed[];
  started: number;
  logOutputs: LogOutputs;
}): Promise<Operations> {
  const { config, logger, metrics, queue } = o;
  const version = tegamiVersion();
  let refusedAt = 0;
  metrics.onRefused = (reason) => {
    if (Date.now() - refusedAt < 60_000) return;
    refusedAt = Date.now();
    logger.emit('system.worker-metrics-refused', { reason });
  };
  metrics.listenToWorkers(config.data_dir);

  const alerter = config.alerts.mail_to.length || config.alerts.webhooks.length ? new Alerter(config.alerts, { hostname: config.hostname, version, logger }) : null;
  const monitor = config.monitor.length ? new Monitor(config.monitor, { logger, alerter, dnsServers: config.dns.servers }) : null;
  monitor?.start();

  const snapshots = new QueueSnapshots(o.admin, undefined, undefined, o.sharedQueue);
  const listenerStates = () =>
    Object.entries(config.listeners).map(([name, address]) => {
      const l = o.listeners.find((x) => x.name === name);
      return { name, address: l ? `${l.host}:${l.port}` : String(address), bound: !!l && (l.listening?.() ?? true) };
    });
  const minFree = parseMinFree(config.health.min_free);
  const readiness = () =>
    checkReadiness({
      listeners: listenerStates,
      dbWrite: () => {
        const v = Number(o.db.pragma('user_version', { simple: true }));
        o.db.transaction(() => o.db.pragma(`user_version = ${v}`)).immediate();
      },
      spoolDirs: [queue.spool.incomingDir, queue.spool.queueDir],
      pingPool: () => queue.pool.run(null, { filename: POOL_PING }),
      pingShared: o.pingShared,
      dataDir: config.data_dir,
      minFree,
      timeoutMs: config.health.check_timeout,
    });
  const monitorStates = () => (monitor?.snapshot() ?? []).map((t) => ({ name: t.name, state: t.state }));
  registerCollectors(metrics, { queue: () => snapshots.get(), sharedQueue: !!o.sharedQueue, pool: queue.pool, dataDir: config.data_dir, monitor: monitor ? monitorStates : undefined, version });

  const sqlite = String((o.db.prepare('select sqlite_version() as v').get() as { v: string }).v);
  const status = () =>
    collectStatus({
      hostname: config.hostname,
      dataDir: config.data_dir,
      configFile: config.source,
      started: o.started,
      versions: { tegami: version, node: process.version, openssl: process.versions.openssl, sqlite },
      listeners: listenerStates,
      metrics,
      queue: () => snapshots.get(),
      pool: queue.pool,
      monitor: monitor ? () => monitor.snapshot() : undefined,
      ready: readiness,
      logs: { dir: path.join(config.data_dir, 'logs'), keep_days: config.log.keep_days, compress: config.log.compress, syslog: config.log.syslog || null },
      storage:
        config.storage.backend === 'postgres'
          ? { backend: 'postgresql', location: redactedUrl(config.storage.url ?? ''), node: config.storage.node_name }
          : { backend: 'sqlite', location: databaseFile(config.data_dir), node: null },
      database: () => probeDatabase(config, config.health.check_timeout),
    });

  if (config.listeners.metrics) {
    const { host, port } = listenAddress(config.listeners.metrics);
    const l = await startMetricsListener(host, port, { metrics, ready: readiness, logger, limits: webLimits(config) });
    o.listeners.push(l);
    logger.emit('system.listening', { listener: 'metrics', address: `${l.host}:${l.port}` });
  }

  return {
    monitor,
    status,
    readiness,
    requests: statusRequests(status),
    close: async () => {
      monitor?.stop();
      await alerter?.close();
      await closeProbes();
    },
  };
}
