// `tegami serve`: open the data dir, start the queue (resuming spooled mail), then the listeners
// named in [listen]. SIGTERM/SIGINT stop accepting, let sessions and deliveries in flight finish, exit.
import fs from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from './config/load.js';
import { openContext, type Context } from './context.js';
import { Logger } from './log/logger.js';
import { listenAddress } from './net/host-port.js';
import { LoginFlow } from './net/login.js';
import { RelayPolicy } from './policy/relay.js';
import { Queue } from './queue/queue.js';
import { loadOrCreateCertificate } from './tls/certificate.js';
import { makeResolver } from './dns/resolver.js';
import { startSmtpListener, type RunningListener } from './smtp/listeners.js';
import { OutboundScheduler } from './queue/outbound.js';
import { QueueAdmin, startControlServer } from './queue/control.js';
import { recipientDomain } from './outbound/destination.js';
import type { SessionDeps } from './smtp/session.js';
import { ConnectionChecker } from './spam/connection.js';
import { MaildirStore } from './store/maildir-store.js';
import { startPop3 } from './pop3/server.js';
import { startImap } from './imap/server.js';
import type { ListenerName } from './config/schema.js';
import { ListScheduler, LISTS_WORKER } from './lists/scheduler.js';
import type { JmapService } from './jmap/service.js';

export interface RunningServer {
  ctx: Context;
  config: LoadedConfig;
  logger: Logger;
  queue: Queue;
  listeners: RunningListener[];
  /** The webmail's JMAP service, when [listen] webmail runs. */
  jmap?: JmapService;
  stop(): Promise<void>;
}

export async function startServer(opts: { configPath?: string; quiet?: boolean } = {}): Promise<RunningServer> {
  const ctx = openContext(opts.configPath);
  const { config } = ctx;
  const logger = new Logger({ dir: path.join(config.data_dir, 'logs'), stdout: config.log.stdout && !opts.quiet, files: config.log.files, level: config.log.level });
  if (config.relay.mode === 'anyone') {
    logger.warn('system', 'OPEN RELAY', { message: 'relay mode "anyone": this server relays mail for anyone on the Internet' });
  }
  const tls = await loadOrCreateCertificate({ dataDir: config.data_dir, hostname: config.hostname, cert: config.tls.cert, key: config.tls.key });
  const resolver = makeResolver(config.dns.servers, config.dns.timeout);
  const queue = new Queue({
    dataDir: config.data_dir,
    configPath: config.source,
    logger,
    workers: config.queue.workers,
    maxMessages: config.queue.max_messages,
    analysisDeadlineMs: config.queue.analysis_deadline,
    retrySchedule: config.queue.retry_schedule,
  });
  const isLocal = (a: string) => ctx.directory.localDomain(recipientDomain(a)) !== null;
  const outbound = new OutboundScheduler({ queue, config, logger, resolver, isLocal });
  queue.remote = outbound;
  const resumed = await queue.start();
  if (resumed.resumed || resumed.cleared) logger.info('queue', 'resumed', resumed);
  // mailing-list housekeeping (CLI decisions, expiry, digests, crash recovery) runs in the worker pool
  const lists = new ListScheduler({
    interval: config.lists.check_interval,
    run: (task) => queue.pool.run(task, { filename: LISTS_WORKER }),
    accept: (r) => queue.fromWorker('lists', (r ?? {}) as object),
    onError: (e) => logger.error('delivery', 'list-error', { step: 'housekeeping', error: e.message }),
  });
  lists.start();

  const connectionCheck = new ConnectionChecker(config, resolver, logger, (d) => ctx.directory.localDomain(d) !== null);
  const store = new MaildirStore(config.data_dir);

  const deps: SessionDeps = {
    config,
    directory: ctx.directory,
    logger,
    queue,
    // one login flow (one throttle, one bound on password hashing) for SMTP, POP3 and IMAP: a guesser cannot
    // switch protocols to start afresh
    login: LoginFlow.fromConfig(config, ctx.directory, logger),
    relay: new RelayPolicy(config.relay.mode, config.relay.allow_ips),
    connectionCheck,
    resolver: config.dns.servers ? { reverse: (ip) => resolver.reverse(ip) } : undefined,
  };

  // the pid file is there before the first client can connect, so whoever sees a listener also sees the pid
  fs.mkdirSync(path.join(config.data_dir, 'run'), { recursive: true });
  const pidFile = path.join(config.data_dir, 'run', 'tegami.pid');
  fs.writeFileSync(pidFile, String(process.pid));
  // run/listeners.json: the addresses really bound (port 0 → the one the OS chose), whole once everything is up
  const listenersFile = path.join(config.data_dir, 'run', 'listeners.json');
  fs.rmSync(listenersFile, { force: true });

  const listeners: RunningListener[] = [];
  let jmap: JmapService | undefined;
  const stopAll = async () => {
    await Promise.all(listeners.map((l) => l.close().catch(() => {})));
  };
  try {
    for (const [name, addr] of Object.entries(config.listeners) as [ListenerName, string][]) {
      if (name === 'smtp' || name === 'submission' || name === 'submissions') {
        listeners.push(await startSmtpListener(name, addr, tls, deps));
      } else if (name === 'pop3' || name === 'pop3s' || name === 'imap' || name === 'imaps') {
        const o = { listen: addr, implicitTls: name.endsWith('s'), tls, store, directory: ctx.directory, config, logger, login: deps.login };
        const r = name.startsWith('pop3') ? await startPop3(o) : await startImap(o);
        listeners.push({ name, host: listenAddress(addr).host, port: r.port, close: r.close });
      } else if (name === 'webmail') {
        // loaded only when the webmail runs: servers without it do not carry Fastify, JMAP and the catalogues
        const { startWebmail } = await import('./web/webmail/index.js');
        const w = await startWebmail({ listen: addr, tls, config, db: ctx.db, directory: ctx.directory, logger, login: deps.login, queue, relay: () => deps.relay, store });
        jmap = w.jmap;
        listeners.push({ name, host: w.host, port: w.port, close: w.close });
      }
    }
  } catch (e) {
    await stopAll();
    await lists.stop();
    await queue.close();
    ctx.close();
    removePidFile(pidFile);
    throw e;
  }
  for (const l of listeners) logger.info('system', 'listening', { listener: l.name, address: `${l.host}:${l.port}` });
  const admin = new QueueAdmin(config, isLocal, { scheduler: outbound, inject: (e, raw) => queue.inject(e, raw) });
  const control = await startControlServer(config.data_dir, admin, logger);
  const bound = Object.fromEntries(listeners.map((l) => [l.name, `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`]));
  fs.writeFileSync(`${listenersFile}.tmp`, JSON.stringify(bound) + '\n');
  fs.renameSync(`${listenersFile}.tmp`, listenersFile);

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('system', 'stopping', {});
      await stopAll();
      await control.close();
      await outbound.close();
      await lists.stop();
      await queue.close();
      await logger.close();
      ctx.close();
      fs.rmSync(listenersFile, { force: true });
      removePidFile(pidFile);
    })());
  return { ctx, config, logger, queue, listeners, jmap, stop };
}

/** A clean stop removes the pid file (only if it is still ours), so `tegami restore` sees no server. */
function removePidFile(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
  } catch {
    // already gone
  }
}
