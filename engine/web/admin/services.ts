// What the admin pages use from the running server, beyond the foundation's WebDeps: the live config and its
// settings layer, the account directory's write side, the queue operations of the control socket, the
// resolver (DNS checks, DNSBL tests), the listeners, backups and the log directory. server.ts (through
// start.ts) builds it; tests build it over a temporary data dir. No behaviour lives here.
import type { SqliteDirectory } from '../../accounts/sqlite-directory.js';
import type { Quota, Usage } from '../../accounts/quota.js';
import type { LoadedConfig } from '../../config/load.js';
import type { Db } from '../../db/database.js';
import type { ListActivity } from '../../lists/activity.js';
import type { Resolver } from '../../dns/resolver.js';
import type { BackupResult } from '../../ops/backup.js';
import type { QueueOperations } from '../../queue/control.js';
import type { LiveSettings } from '../../settings/live.js';
import type { StatusDocument } from '../../metrics/status.js';
import type { SendLedger } from '../../submission/send-limit.js';

export interface ListenerView {
  name: string;
  /** host:port as bound. */
  address: string;
  up: boolean;
}

/** The dashboard's figures that OPS' engine/metrics may provide; absent, the admin reads the logs and the queue. */
export interface StatusSource {
  listeners(): ListenerView[];
  /**
   * The operations' status document (engine/metrics/operations.ts ops.status(): listeners as bound, the queue
   * snapshot, the monitor's targets), once the server has it running; null before that or without it.
   */
  document?(): Promise<StatusDocument> | null;
}

export interface AdminServices {
  /** The config in force (its live sections are swapped when settings change). */
  config: LoadedConfig;
  dataDir: string;
  /** The main database (tegami.db): the admin reads the users table page by page. */
  db: Db;
  accounts: SqliteDirectory;
  settings: LiveSettings;
  queue: QueueOperations;
  /** tegami's own resolver ([dns] servers), for the DNS record check. */
  resolver: Resolver;
  status: StatusSource;
  /** Write a backup file (engine/ops/backup.ts) to `file`. */
  backup(file: string, o: { withMail: boolean; withBayes: boolean }): Promise<BackupResult>;
  /** <data_dir>/logs */
  logsDir: string;
  /** Domain Sieve scripts (the Sieve integration's script store); absent, the rules page checks but saves nothing. */
  rules?: RuleScripts;
  /**
   * A mailbox's usage from the mail store `serve` runs (the shared PostgreSQL store); absent, the node's Maildir
   * (usage.ts quotaUsage) — the figure delivery and IMAP GETQUOTA check against either way.
   */
  mailUsage?: (address: string, quota: Quota) => Promise<Usage | null>;
  /** The moderation queue of the lists (PostgreSQL: the shared rows); absent, the SQLite tables of `db`. */
  listActivity?: ListActivity;
  /** The Prometheus text of the server's metrics (engine/metrics), for GET /api/v1/metrics; absent in page tests. */
  metrics?: () => Promise<string>;
  /** Sending counts and limit overrides (PostgreSQL: the shared rows); absent, the SQLite tables of `db`. */
  sendLedger?: SendLedger;
}

/** The domain's active Sieve script, read and replaced (seam for the Sieve integration's ScriptStore). */
export interface RuleScripts {
  get(domain: string): string | null;
  put(domain: string, script: string, by: string): void;
}
