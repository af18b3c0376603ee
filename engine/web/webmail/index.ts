// The webmail server (issue 14, [listen] webmail): the web foundation's app with the JMAP routes (/.well-known/jmap,
// /jmap/*) and the mail pages built on them — folders, lists, reading, writing, search, settings. startWebmail()
// is what `tegami serve` calls; registerWebmail() is what tests give buildWebApp. The pages never touch the store
// except through JMAP method calls made as the signed-in user.
import type { FastifyInstance } from 'fastify';
import type { SqliteDirectory } from '../../accounts/sqlite-directory.js';
import type { LoadedConfig } from '../../config/load.js';
import type { Db } from '../../db/database.js';
import { clientConfig, type PgPool } from '../../db/pg/pool.js';
import { PgWake } from '../../queue/pg-wake.js';
import { JMAP_OBJECTS_CHANNEL } from '../../jmap/pg-object-store.js';
import type { Logger } from '../../log/logger.js';
import type { LoginFlow } from '../../net/login.js';
import type { RelayPolicy } from '../../policy/relay.js';
import type { Queue } from '../../queue/queue.js';
import type { MailAccountStore, MailboxStore } from '../../store/mailbox-store.js';
import type { CertPair } from '../../tls/certificate.js';
import { learnPoolFor } from '../../spam/learn-pool.js';
import { learnMessage } from '../../spam/learn.js';
import { listKey } from '../../lists/tokens.js';
import { serverKey } from '../../accounts/password.js';
import { submitter } from '../../submission/submit.js';
import { createJmap, jmapAuth, jmapRoutes, type JmapService } from '../../jmap/index.js';
import { webDeps } from '../deps.js';
import { startWebServer, type RunningWebServer } from '../server.js';
import { webLimits } from '../limits.js';
import type { WebDeps } from '../types.js';
import { registerActions } from './actions.js';
import { registerComposePage } from './compose-page.js';
import { registerFoldersPage } from './folders-page.js';
import { apiFor, registerListPage } from './list-page.js';
import { registerHtmlFrame } from './html-frame.js';
import { registerReadPage } from './read-page.js';
import { registerSettingsPage, type Accounts } from './settings-page.js';
import { registerUnsubscribe, type Unsubscribe } from './unsubscribe.js';
import { applyLanguage } from './prefs.js';
import { registerRulesPage } from './rules-page.js';
import type { SendGate } from '../../submission/send-gate.js';

export interface WebmailParts {
  svc: JmapService;
  deps: WebDeps;
  accounts: Accounts;
  /** RFC 8058 one-click unsubscribe for mailing lists ([lists] one_click_url points here); absent: no endpoint. */
  unsubscribe?: Unsubscribe;
  /** [sieve] of the configuration for the rules page (extensions, limits); the defaults when absent. */
  sieve?: Pick<LoadedConfig, 'sieve'>;
}

/** JMAP and the mail pages, for buildWebApp / startWebServer ({ routes, shell: false }). */
export function webmailRoutes(p: WebmailParts): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    applyLanguage(app, p.svc);
    await jmapRoutes(p.svc)(app);
    registerListPage(app, p.svc);
    registerReadPage(app, p.svc);
    registerHtmlFrame(app, p.svc, (req) => apiFor(p.svc, req));
    registerActions(app, p.svc);
    registerComposePage(app, p.svc);
    registerSettingsPage(app, p.svc, p.deps, p.accounts);
    registerFoldersPage(app, p.svc);
    registerRulesPage(app, { svc: p.svc, sieve: p.sieve });
    if (p.unsubscribe) await registerUnsubscribe(app, p.unsubscribe);
  };
}

export interface WebmailWiring {
  listen: string;
  tls: CertPair;
  config: LoadedConfig;
  db: Db;
  /** [storage] backend = "postgres": the node's pool; web sessions and the JMAP objects are shared rows there. */
  pool?: PgPool;
  directory: SqliteDirectory;
  logger: Logger;
  /** The one login flow of the process: the web login counts against IMAP's throttle and the reverse. */
  login: LoginFlow;
  queue: Pick<Queue, 'spool' | 'receive' | 'isFull' | 'beginReceive'>;
  relay: () => RelayPolicy;
  /** The mailbox store IMAP and POP3 use (one per process): the Maildir, or the shared store on PostgreSQL. */
  store: MailboxStore & MailAccountStore;
  /** Per-account sending limits, the same gate SMTP AUTH sessions go through. */
  sendGate?: SendGate;
}

export interface RunningWebmail extends RunningWebServer {
  jmap: JmapService;
}

export async function startWebmail(w: WebmailWiring): Promise<RunningWebmail> {
  const { config, logger } = w;
  const dataDir = config.data_dir;
  const svc = createJmap({
    store: w.store,
    db: w.db,
    pool: w.pool,
    directory: w.directory,
    dataDir,
    logger,
    maxMessageSize: config.max_message_size,
    maxRecipients: config.smtp.max_recipients,
    limits: { maxMailboxesPerAccount: config.accounts.max_folders, nodeMemory: config.web.jmap_memory },
    submit: submitter({
      config,
      directory: w.directory,
      logger,
      queue: w.queue,
      sendGate: w.sendGate,
      // the relay policy may change while running (settings): read it per submission
      get relay() {
        return w.relay();
      },
    }),
    learn: (raw, verdict, owner) => {
      const pool = learnPoolFor(dataDir);
      return pool ? pool(raw, verdict, owner) : learnMessage(dataDir, raw, verdict, owner);
    },
  });
  const deps = webDeps({ kind: 'webmail', db: w.db, pool: w.pool, directory: w.directory, login: w.login, dataDir, logger });
  deps.apiAuth = jmapAuth(svc, { authenticate: deps.authenticate, roles: deps.roles });
  const web = await startWebServer({ listen: w.listen, tls: w.tls, kind: 'webmail', deps, shell: false, limits: webLimits(config), routes: webmailRoutes({ svc, deps, accounts: w.directory, sieve: config, unsubscribe: { lists: w.directory.lists, key: listKey(serverKey(dataDir)), logger } }) });
  // PostgreSQL: another node's write to an account's identities or submissions reaches this node's push at once
  // (the mailbox store's own LISTEN carries mail; without this, push would see them at its 60-s look)
  const objectEvents = w.pool
    ? new PgWake(clientConfig(config.storage), JMAP_OBJECTS_CHANNEL, (address) => {
        if (address) for (const fn of svc.objectListeners) fn(address);
      }, (e) => logger.warn('web', 'web.jmap-listen-failed', { error: e.message }))
    : null;
  objectEvents?.start();
  return {
    ...web,
    jmap: svc,
    async close() {
      await web.close();
      await objectEvents?.stop();
    },
  };
}
