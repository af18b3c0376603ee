// `tegami serve`: open the data dir, start the queue (resuming spooled mail), then the listeners
// named in [listen]. SIGTERM/SIGINT stop accepting, let sessions and deliveries in flight finish, exit.
import fs from 'node:fs';
import path from 'node:path';
import { claimPidFile, releasePidFile, type StalePid } from './ops/pid-file.js';
import { keyFiles } from './ops/key-rotation.js';
import { buildConfig, readRawConfig, resolveConfigPath, type LoadedConfig } from './config/load.js';
import { openStorage, type Storage } from './db/storage.js';
import { queueFor, remoteDeliveryFor } from './db/serve-queue.js';
import { describeKeyProblem, KeyMismatchError } from './db/pg/server-key-check.js';
import { Logger } from './log/logger.js';
import { listenAddress } from './net/host-port.js';
import { LoginFlow } from './net/login.js';
import { PgLoginCounts } from './net/pg-login-counts.js';
import { PgConnectionCounts } from './net/pg-conn-counts.js';
import { limitsFor } from './net/listener.js';
import { RelayPolicy } from './policy/relay.js';
import { srsFor } from './srs/secret.js';
import { SrsBounceCap } from './srs/bounce-cap.js';
import { Queue } from './queue/queue.js';
import { loadOrCreateCertificate } from './tls/certificate.js';
import { CertificateSelector } from './tls/select.js';
import { dnsCacheOptions, makeResolver } from './dns/resolver.js';
import { startSmtpListener, type RunningListener } from './smtp/listeners.js';
import { PgQueueAdmin } from './queue/pg-queue-admin.js';
import { QueueAdmin, startControlServer } from './queue/control.js';
import { recipientDomain } from './outbound/destination.js';
import type { SessionDeps } from './smtp/session.js';
import { ConnectionChecker } from './spam/connection.js';
import { startPop3 } from './pop3/server.js';
import { startImap } from './imap/server.js';
import { ListArchives } from './imap/list-archives.js';
import { startManageSieve } from './managesieve/server.js';
import { coversTheInternet, type ListenerName } from './config/schema.js';
import { ListScheduler, LISTS_WORKER } from './lists/scheduler.js';
import { Metrics } from './metrics/metrics.js';
import { startLogOutputs, startOperations, type Operations } from './metrics/operations.js';

import { LiveSettings } from './settings/live.js';
import { SendGate } from './submission/send-gate.js';
import { serveSendLedger } from './submission/pg-send-ledger.js';

/** SIGTERM waits this long for the worker tasks of messages already acknowledged (Queue.drain). */
const DRAIN_MS = 10_000;
import type { JmapService } from './jmap/service.js';
import { onLinkSkipped } from './store/maildir-links.js';

export interface RunningServer {
  ctx: Storage;
  config: LoadedConfig;
  logger: Logger;
  queue: Queue;
  listeners: RunningListener[];
  /** Metrics, readiness, monitor and status (for the admin dashboard: ops.status(), ops.monitor?.snapshot()). */
  ops: Operations;
  metrics: Metrics;
  /** The webmail's JMAP service, when [listen] webmail runs. */
  jmap?: JmapService;
  stop(): Promise<void>;
}

export async function startServer(opts: { configPath?: string; quiet?: boolean; signal?: AbortSignal } = {}): Promise<RunningServer> {
  const started = Date.now();
  // [storage]: SQLite in the data dir, or PostgreSQL with this node's local copy (engine/db/storage.ts); a
  // background sync that fails is said once, and its recovery too (the node serves from its copy meanwhile)
  let storageDown = false;
  let logRef: Logger | undefined;
  const onStorageError = (e: Error) => {
    if (storageDown) return;
    storageDown = true;
    logRef?.emit('system.storage-unavailable', { error: e.message });
  };
  // PostgreSQL away at start: wait for it (1 s doubling to 30 s), saying so in the log the config file names
  // (the settings stored in the database are not known yet); nothing listens meanwhile
  let early: Logger | undefined;
  const onWaiting = (e: Error, attempt: number, retryMs: number) => {
    early ??= startupLogger(opts.configPath, opts.quiet);
    early.emit('system.storage-waiting', { error: e.message, attempt, retry_ms: retryMs });
  };
  const ctx = await openStorage(opts.configPath, { mode: 'serve', onError: onStorageError, onWaiting, signal: opts.signal })
    .catch((e: unknown) => {
      // PostgreSQL: this node's keys are not the cluster's: each said in the log, then the start fails naming the fix
      if (e instanceof KeyMismatchError) {
        early ??= startupLogger(opts.configPath, opts.quiet);
        for (const p of e.problems) early.emit('system.server-key-differs', { key: p.name, reason: p.reason, message: describeKeyProblem(p) });
      }
      throw e;
    })
    .finally(() => early?.close());
  const { config } = ctx;
  // one server per data dir: a second one would resume the same spool (deliveries twice) and take over the run
  // files (run/tegami.pid, which restore checks; run/listeners.json), so it stops here, having started nothing
  // claimed, not just looked at: of two serves started at once, one goes on (engine/ops/pid-file.ts)
  // an interrupted `tegami keys rotate`: the sealed values may be under the key in keys/secret.key.next already, so
  // serving with secret.key would fail logins and DKIM and seal new secrets with the old key
  const keys = keyFiles(config.data_dir);
  if (fs.existsSync(keys.next)) {
    await ctx.close();
    throw new Error(`a rotation of ${keys.current} was interrupted (secret.key.next is there): run tegami keys rotate again to finish it, then start`);
  }
  const claim = claimPidFile(config.data_dir);
  if (!claim.ok) {
    await ctx.close();
    throw new Error(`a tegami (pid ${claim.pid}) is already running on ${config.data_dir} (tegami status shows it); stop it first, or give this one a data_dir of its own`);
  }
  const pidFile = claim.file;
  // what start-up has opened so far, undone in reverse if a later step fails (a certificate that does not match
  // its key, a queue that cannot start): the pool, LISTEN and the log would otherwise keep the process alive
  // with nothing listening and the pid file claimed, a node that neither serves nor exits (docs/operations.md)
  const undo: (() => unknown)[] = [() => releasePidFile(pidFile), () => ctx.close()];
  const unwind = async () => {
    for (const f of undo.splice(0).reverse()) await Promise.resolve().then(f).catch(() => undefined);
  };
  // every step from here to the return is under this try: whatever throws (a certificate, the SRS key, the control
  // socket, a setting) releases the pid file and closes what was opened, and the error goes up to `tegami serve`
  try {
    const metrics = new Metrics({ configLabels: { list: config.dnsbl.map((d) => d.name), target: config.monitor.map((m) => m.name) } });
    const logger = new Logger({ dir: path.join(config.data_dir, 'logs'), stdout: config.log.stdout && !opts.quiet, files: config.log.files, level: config.log.level, sink: metrics });
    const logOutputs = startLogOutputs(logger, config);
    logRef = logger;
    logger.emit('system.storage', { backend: ctx.backend, mail_store: ctx.mailStoreDescription, queue: ctx.queueDescription });
    const offLinks = onLinkSkipped((dir, name) => logger.emit('system.maildir-link-skipped', { dir, name }));
    undo.push(offLinks);
    if (claim.stale) logger.emit('system.stale-pid-file', { file: pidFile, pid: claim.stale.pid, reason: claim.stale.reason, message: staleMessage(claim.stale) });
    const storageWatch = ctx.replica
      ? setInterval(() => {
          if (storageDown && ctx.replica!.connected) {
            storageDown = false;
            logger.emit('system.storage-available', {});
          }
        }, 1000)
      : undefined;
    storageWatch?.unref();
    undo.push(() => clearInterval(storageWatch), () => metrics.close(), () => logOutputs.close(), () => logger.close());
    if (config.relay.mode === 'anyone') {
      logger.emit('system.open-relay', { message: 'OPEN RELAY: relay mode "anyone": this server relays mail for anyone on the Internet' });
    } else if (config.relay.mode === 'addresses' && config.relay.allow_ips.some(coversTheInternet)) {
      logger.emit('system.open-relay', { message: `OPEN RELAY: relay.allow_ips ${config.relay.allow_ips.filter(coversTheInternet).join(', ')} covers much of the Internet` });
    }
    const tls = await loadOrCreateCertificate({ dataDir: config.data_dir, hostname: config.hostname, cert: config.tls.cert, key: config.tls.key });
    // [[tls.domain]]: per-domain certificates, chosen by SNI and local address on every listener (read and checked now)
    const certificates = await CertificateSelector.fromConfig(tls, config.tls.domain);
    const resolver = makeResolver(config.dns.servers, config.dns.timeout, (l) => logger.emit('system.dns-lookup', l), dnsCacheOptions(config.dns));
    // the queue is chosen with the storage (engine/db/serve-queue.ts queueFor): the shared one plugs in there
    const queue = await queueFor(ctx, {
      dataDir: config.data_dir,
      configPath: config.source,
      logger,
      workers: config.queue.workers,
      maxMessages: config.queue.max_messages,
      analysisDeadlineMs: config.queue.analysis_deadline,
      retrySchedule: config.queue.retry_schedule,
    });
    undo.push(() => queue.close());
    const isLocal = (a: string) => ctx.directory.localDomain(recipientDomain(a)) !== null;
    // remote recipients: this node's OutboundScheduler, or on PostgreSQL the shared queue (handed over from the spool)
    const remote = await remoteDeliveryFor(ctx, queue, { config, logger, resolver, isLocal });
    undo.push(() => remote.stop(DRAIN_MS));
    const resumed = await queue.start();
    if (resumed.resumed || resumed.cleared) logger.emit('queue.resumed', resumed);
    await remote.start();
    // mailing-list housekeeping (CLI decisions, expiry, digests, crash recovery) runs in the worker pool
    const lists = new ListScheduler({
      interval: config.lists.check_interval,
      run: (task) => queue.pool.run(task, { filename: LISTS_WORKER }),
      accept: (r) => queue.fromWorker('lists', (r ?? {}) as object),
      onError: (e) => logger.error('delivery', 'list-error', { step: 'housekeeping', error: e.message }),
    });
    lists.start();
    undo.push(() => lists.stop());

    const isLocalDomain = (d: string) => ctx.directory.localDomain(d) !== null;
    const connectionCheck = new ConnectionChecker(config, resolver, logger, isLocalDomain);
    const store = ctx.mailboxStore;
    const archives = new ListArchives(config.data_dir, ctx.directory.lists, ctx.directory, ctx.backend === 'postgres' ? store : undefined);

    const sending = serveSendLedger(config.data_dir, ctx.pool);
    undo.push(() => sending.close());
    // bounces through our SRS addresses per forwarded copy (and, for addresses of the older form, per original sender)
    // and day: one count for the process, across settings changes
    const srsCap = new SrsBounceCap(config.srs.max_bounces_per_day);
    const srsCopyCap = new SrsBounceCap(config.srs.max_bounces_per_copy);
    const deps: SessionDeps = {
      config,
      directory: ctx.directory,
      logger,
      queue,
      // one login flow (one throttle, one bound on password hashing) for SMTP, POP3 and IMAP: a guesser cannot
      // switch protocols to start afresh
      // on PostgreSQL the failure counts are shared by every node (engine/net/pg-login-counts.ts)
      login: LoginFlow.fromConfig(config, ctx.directory, logger, ctx.pool ? new PgLoginCounts(ctx.pool, { windowMs: config.auth.window, blockAfter: config.auth.block_after, blockForMs: config.auth.block_for, accountDelayMs: config.auth.account_delay }) : undefined),
      relay: new RelayPolicy(config.relay.mode, config.relay.allow_ips, srsFor(config), srsCap, srsCopyCap),
      connectionCheck,
      resolver: config.dns.servers ? { reverse: (ip) => resolver.reverse(ip) } : undefined,
      // PostgreSQL: an address the copy does not know is a temporary failure while the database is away
      directoryCurrent: ctx.replica ? () => ctx.replica!.connected : undefined,
      // PostgreSQL: mail for a remote recipient gets 451 4.3.0 while the shared queue cannot be reached
      queueUp: remote.kind === 'shared' ? () => remote.shared.databaseUp() : undefined,
      // PostgreSQL: the shared mailbox store is in the same database; a local recipient gets 451 4.3.0 while it is
      // away, and the RCPT quota check reads the store's usage
      storeUp: remote.kind === 'shared' ? () => remote.shared.databaseUp() : undefined,
      mailUsage: ctx.backend === 'postgres' ? (owner, quota) => store.usage(owner, quota) : undefined,
      // per-account sending limits, counted in the accounts database (PostgreSQL: shared by every node)
      sendGate: new SendGate(sending.ledger, config, logger),
    };

    // settings changed in the admin pages: validated and stored (engine/settings), then applied here at once;
    // the worker threads reload by the settings version on their next task
    for (const i of ctx.settingsIgnored) logger.warn('system', 'setting-ignored', i);
    const settings = new LiveSettings(config, ctx.file, ctx.db);
    settings.onChange((c, keys) => {
      srsCap.limit = c.srs.max_bounces_per_day;
      srsCopyCap.limit = c.srs.max_bounces_per_copy;
      deps.relay = new RelayPolicy(c.relay.mode, c.relay.allow_ips, srsFor(c), srsCap, srsCopyCap); // keeps taking bounces to our SRS addresses (and their counts)
      deps.connectionCheck = new ConnectionChecker(c, resolver, logger, isLocalDomain);
      logger.info('system', 'settings-applied', { keys: keys.join(','), version: settings.version() });
      if (c.relay.mode === 'anyone') logger.emit('system.open-relay', { message: 'OPEN RELAY: relay mode "anyone": this server relays mail for anyone on the Internet' });
    });
    // the control socket (`tegami queue --local`) sees this node's spool; the admin pages, /api/v1/queue and the
    // queue figures (metrics, status, dashboard) on PostgreSQL see the shared queue's rows, as `tegami queue` does
    const queueAdmin = new QueueAdmin(config, isLocal, remote.kind === 'local' ? { scheduler: remote.scheduler, inject: (e, raw) => queue.inject(e, raw) } : null);
    const webQueue = ctx.backend === 'postgres' && ctx.pool ? new PgQueueAdmin(ctx.pool, config, isLocal) : queueAdmin;

    // the pid file (claimed above) is there before the first client can connect, so whoever sees a listener also sees the pid
    // run/listeners.json: the addresses really bound (port 0 → the one the OS chose), whole once everything is up
    const listenersFile = path.join(config.data_dir, 'run', 'listeners.json');
    fs.rmSync(listenersFile, { force: true });

    const listeners: RunningListener[] = [];
    let ops: Operations | undefined;
    let jmap: JmapService | undefined;
    const stopAll = async () => {
      await Promise.all(listeners.map((l) => l.close().catch(() => {})));
    };
    undo.push(() => ops?.close(), stopAll);
    for (const [name, addr] of Object.entries(config.listeners) as [ListenerName, string][]) {
      if (name === 'smtp' || name === 'submission' || name === 'submissions') {
        listeners.push(await startSmtpListener(name, addr, tls, deps, certificates));
      } else if (name === 'pop3' || name === 'pop3s' || name === 'imap' || name === 'imaps') {
        const o = { listen: addr, implicitTls: name.endsWith('s'), tls, certificates, store, directory: ctx.directory, config, logger, login: deps.login };
        const r = name.startsWith('pop3') ? await startPop3(o) : await startImap({ ...o, archives });
        listeners.push({ name, host: listenAddress(addr).host, port: r.port, close: r.close });
      } else if (name === 'managesieve') {
        const r = await startManageSieve({ listen: addr, tls, directory: ctx.directory, store: ctx.rules, config, logger, login: deps.login });
        listeners.push({ name, host: listenAddress(addr).host, port: r.port, close: r.close });
      } else if (name === 'admin') {
        // loaded only when the administration runs, as the webmail below (Fastify, every page, the list engine)
        const { startAdminServer } = await import('./web/admin/start.js');
        const views = () => listeners.map((l) => ({ name: l.name, address: `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`, up: true }));
        const w = await startAdminServer({ listen: addr, tls, ctx, pool: ctx.pool, config, logger, login: deps.login, settings, queue: webQueue, resolver, listeners: views, ...(ctx.backend === 'postgres' ? { mailUsage: (a, q) => store.usage(a, q) } : {}), metrics: () => metrics.text(), status: () => ops?.status() ?? null });
        listeners.push({ name, host: w.host, port: w.port, close: w.close });
      } else if (name === 'webmail') {
        // loaded only when the webmail runs: servers without it do not carry Fastify, JMAP and the catalogues
        const { startWebmail } = await import('./web/webmail/index.js');
        const w = await startWebmail({ listen: addr, tls, config, db: ctx.db, pool: ctx.pool, directory: ctx.directory, logger, login: deps.login, queue, relay: () => deps.relay, store, sendGate: deps.sendGate });
        jmap = w.jmap;
        listeners.push({ name, host: w.host, port: w.port, close: w.close });
      }
    }
    // on PostgreSQL the figures (metrics, status, the dashboard) count the shared queue's rows and this node's spool
    const sharedQueue = webQueue instanceof PgQueueAdmin ? () => webQueue.list() : undefined;
    const pool = ctx.pool;
    const pingShared = pool ? () => pool.query('SELECT 1') : undefined;
    ops = await startOperations({ config, logger, metrics, queue, admin: queueAdmin, sharedQueue, pingShared, db: ctx.db, listeners, started, logOutputs });
    for (const l of listeners) if (l.name !== 'metrics') logger.emit('system.listening', { listener: l.name, address: `${l.host}:${l.port}` });
    // on PostgreSQL the per-client connection caps count every node's connections (engine/net/pg-conn-counts.ts)
    let countsDown = false;
    const connCounts = ctx.pool
      ? new PgConnectionCounts(ctx.pool, {
          node: config.storage.node_name,
          onError: (e) => {
            if (!countsDown) logger.emit('system.conn-counts-shared-unavailable', { error: e.message });
            countsDown = true;
          },
          onOk: () => {
            if (!countsDown) return;
            countsDown = false;
            logger.emit('system.conn-counts-shared-available', {});
          },
        })
      : null;
    if (connCounts) {
      for (const p of ['smtp', 'pop3', 'imap', 'managesieve'] as const) connCounts.track(p, limitsFor(config, p));
      connCounts.start();
      undo.push(() => connCounts.stop());
    }
    const operations = ops!;
    const control = await startControlServer(config.data_dir, queueAdmin, logger, operations.requests);
    undo.push(() => control.close());
    const bound = Object.fromEntries(listeners.map((l) => [l.name, `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`]));
    fs.writeFileSync(`${listenersFile}.tmp`, JSON.stringify(bound) + '\n');
    fs.renameSync(`${listenersFile}.tmp`, listenersFile);

    let stopping: Promise<void> | null = null;
    const stop = () =>
      (stopping ??= (async () => {
        logger.emit('system.stopping', {});
        await stopAll();
        await connCounts?.stop();
        await control.close();
        await operations.close();
        const t0 = Date.now();
        const drained = await queue.drain(DRAIN_MS);
        logger.emit('system.drained', { ...drained, ms: Date.now() - t0, limit_ms: DRAIN_MS });
        await remote.stop(DRAIN_MS);
        await lists.stop();
        await queue.close();
        offLinks();
        await logger.close();
        await logOutputs.close();
        metrics.close();
        clearInterval(storageWatch);
        sending.close();
        await ctx.close();
        fs.rmSync(listenersFile, { force: true });
        releasePidFile(pidFile);
      })());
    return { ctx, config, logger, queue, listeners, ops: operations, metrics, jmap, stop };
  } catch (e) {
    await unwind();
    throw e;
  }
}

/** The log as the config file alone sets it up, for what is said before the storage is open. */
function startupLogger(configPath: string | undefined, quiet?: boolean): Logger {
  const c = buildConfig(readRawConfig(resolveConfigPath(configPath)));
  return new Logger({ dir: path.join(c.data_dir, 'logs'), stdout: c.log.stdout && !quiet, files: c.log.files, level: c.log.level });
}

/** The stale pid file's line: what the incident review needs (the last run did not stop cleanly). */
function staleMessage(s: StalePid): string {
  if (s.reason === 'unreadable') return 'the pid file held no pid; replaced';
  const why = s.reason === 'gone' ? 'which no longer runs' : 'whose number another process (not a tegami) holds now';
  return `the pid file named pid ${s.pid}, ${why}: the previous run did not stop cleanly (killed, crashed or the machine went down); replaced`;
}

