// Starts the admin server for `tegami serve` ([listen] admin): the foundation's WebDeps (the login flow the
// mail listeners share, sessions and body limits from [web]) plus the AdminServices the pages use. Kept
// here so engine/server.ts adds one call; it never opens its own database or resolver.
import type { Context } from '../../context.js';
import type { LoadedConfig } from '../../config/load.js';
import type { Resolver } from '../../dns/resolver.js';
import type { Logger } from '../../log/logger.js';
import type { LoginFlow } from '../../net/login.js';
import type { StatusDocument } from '../../metrics/status.js';
import { createBackup } from '../../ops/backup.js';
import type { QueueAdmin } from '../../queue/control.js';
import type { LiveSettings } from '../../settings/live.js';
import type { CertPair } from '../../tls/certificate.js';
import { webDeps } from '../deps.js';
import { startWebServer, type RunningWebServer } from '../server.js';
import type { AdminServices, ListenerView } from './services.js';
import path from 'node:path';

export interface AdminWiring {
  listen: string;
  tls: CertPair;
  ctx: Context;
  config: LoadedConfig;
  logger: Logger;
  login: LoginFlow;
  settings: LiveSettings;
  queue: QueueAdmin;
  resolver: Resolver;
  /** The server's listeners as they are bound (the admin's own included once it runs). */
  listeners: () => ListenerView[];
  /** The operations' status (ops.status()), null until the operations run (they start after the listeners). */
  status?: () => Promise<StatusDocument> | null;
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
    backup: (file, o) => createBackup(config, { file, withMail: o.withMail, withBayes: o.withBayes, force: false }),
    logsDir: path.join(config.data_dir, 'logs'),
  };
  const deps = webDeps({
    kind: 'admin',
    db: w.ctx.db,
    directory: w.ctx.directory,
    login: w.login,
    dataDir: config.data_dir,
    logger: w.logger,
    sessions: { idleMs: config.web.session_idle, lifetimeMs: config.web.session_lifetime, maxPerUser: config.web.sessions_per_account },
    bodyLimit: config.web.body_limit,
    uploadLimit: config.web.upload_limit,
    admin,
  });
  return startWebServer({ listen: w.listen, tls: w.tls, kind: 'admin', deps });
}
