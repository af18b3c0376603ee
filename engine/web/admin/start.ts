// Starts the admin server for `tegami serve` ([listen] admin): the foundation's WebDeps (the login flow the
// mail listeners share, sessions and body limits from [web]) plus the AdminServices the pages use. Kept
// here so engine/server.ts adds one call; it never opens its own database or resolver.
import type { Context } from '../../context.js';
import type { PgPool } from '../../db/pg/pool.js';
import type { LoadedConfig } from '../../config/load.js';
import type { Resolver } from '../../dns/resolver.js';
import type { Logger } from '../../log/logger.js';
import type { LoginFlow } from '../../net/login.js';
import type { StatusDocument } from '../../metrics/status.js';
import { createBackup } from '../../ops/backup.js';
import type { QueueOperations } from '../../queue/control.js';
import type { LiveSettings } from '../../settings/live.js';
import type { CertPair } from '../../tls/certificate.js';
import { webDeps } from '../deps.js';
import { startWebServer, type RunningWebServer } from '../server.js';
import { webLimits } from '../limits.js';
import type { AdminServices, ListenerView, RuleScripts } from './services.js';
import { SqliteRulesStore } from '../../rules/sqlite-store.js';
import type { ScriptStore } from '../../rules/store.js';
import path from 'node:path';

import type { Quota, Usage } from '../../accounts/quota.js';
import { SqliteActivity } from '../../lists/activity.js';
import { PgActivity } from '../../lists/pg-activity.js';
import { openSendLedger } from '../../submission/pg-send-ledger.js';

export interface AdminWiring {
  listen: string;
  tls: CertPair;
  /** On PostgreSQL with its pool: the lists' moderation queue is read and decided in the shared rows. */
  ctx: Omit<Context, 'close'> & { pool?: PgPool };
  /** [storage] backend = "postgres": the node's pool (web sessions are shared rows there). */
  pool?: PgPool;
  config: LoadedConfig;
  logger: Logger;
  login: LoginFlow;
  settings: LiveSettings;
  queue: QueueOperations;
  resolver: Resolver;
  /** The server's listeners as they are bound (the admin's own included once it runs). */
  listeners: () => ListenerView[];
  /** The Prometheus text of the server's metrics (also on [listen] metrics), for logged-in system admins. */
  metrics?: () => Promise<string>;
  /** On PostgreSQL, a mailbox's usage from the shared store (the mail is not in this node's Maildir). */
  mailUsage?: (address: string, quota: Quota) => Promise<Usage | null>;
  /** The operations' status (ops.status()), null until the operations run (they start after the listeners). */
  status?: () => Promise<StatusDocument> | null;
}

/** The rule form's script name, as `tegami rule` uses it: one active script per domain, edited in place. */
const FORM_SCRIPT = 'rules';

/** The admin rules page reads and writes the domain's active Sieve script in the store delivery runs from. */
export function domainRuleScripts(store: ScriptStore): RuleScripts {
  return {
    get: (domain) => store.activeScript(`@${domain.toLowerCase()}`)?.text ?? null,
    put: (domain, script) => {
      const owner = `@${domain.toLowerCase()}`;
      const active = store.activeScript(owner);
      store.putScript(owner, active?.name ?? FORM_SCRIPT, script);
      if (!active) store.setActive(owner, FORM_SCRIPT);
    },
  };
}

export async function startAdminServer(w: AdminWiring): Promise<RunningWebServer> {
  const { config } = w;
  const admin: AdminServices = {
    config,
    dataDir: config.data_dir,
    db: w.ctx.db,
    accounts: w.ctx.directory,
    settings: w.settings,
    queue: w.queue,
    resolver: w.resolver,
    status: { listeners: w.listeners, document: w.status },
    backup: (file, o) => createBackup(config, { file, withMail: o.withMail, withBayes: o.withBayes, force: false, record: false }),
    logsDir: path.join(config.data_dir, 'logs'),
    rules: domainRuleScripts(new SqliteRulesStore(w.ctx.db)),
    ...(w.metrics ? { metrics: w.metrics } : {}),
    ...(w.mailUsage ? { mailUsage: w.mailUsage } : {}),
    sendLedger: openSendLedger(w.ctx.db, w.ctx.pool),
    ...(w.ctx.pool ? { listActivity: new PgActivity(w.ctx.pool, config.storage.node_name, new SqliteActivity(w.ctx.db), { carriesOut: false }) } : {}),
  };
  const deps = webDeps({
    kind: 'admin',
    db: w.ctx.db,
    pool: w.pool,
    directory: w.ctx.directory,
    login: w.login,
    dataDir: config.data_dir,
    logger: w.logger,
    sessions: { idleMs: config.web.session_idle, lifetimeMs: config.web.session_lifetime, maxPerUser: config.web.sessions_per_account },
    bodyLimit: config.web.body_limit,
    uploadLimit: config.web.upload_limit,
    admin,
  });
  return startWebServer({ listen: w.listen, tls: w.tls, kind: 'admin', deps, limits: webLimits(config) });
}
