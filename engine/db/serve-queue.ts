// The queue `serve` runs, chosen with the storage (engine/db/storage.ts): the local spool on both backends, and who
// delivers its remote recipients (this node's OutboundScheduler on SQLite, the queue shared on PostgreSQL). Apart
// from storage.ts so the CLI commands, which open the storage but never run the queue, do not load it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientConfig } from './pg/pool.js';
import type { Storage } from './storage.js';
import { Queue, type QueueOptions } from '../queue/queue.js';
import { OutboundScheduler } from '../queue/outbound.js';
import { openPgQueue, type PgQueue } from '../queue/pg-queue.js';
import { PgRemoteScheduler } from '../queue/pg-remote.js';
import type { Logger } from '../log/logger.js';
import type { Resolver } from '../dns/resolver.js';
import type { LoadedConfig } from '../config/load.js';

const DELIVER_WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workers/deliver-remote.js');

/** The queue of this node: the local spool on both backends (on PostgreSQL it only holds mail until it is handed over). */
export function queueFor(_storage: Pick<Storage, 'backend'>, opts: QueueOptions): Queue {
  return new Queue(opts);
}

/** Who delivers the queue's remote recipients: this node's OutboundScheduler, or the queue shared on PostgreSQL. */
export type RemoteDelivery =
  | { kind: 'local'; scheduler: OutboundScheduler; start(): Promise<void>; stop(limitMs: number): Promise<void> }
  | { kind: 'shared'; scheduler: PgRemoteScheduler; shared: PgQueue; start(): Promise<void>; stop(limitMs: number): Promise<void> };

/**
 * The remote side of `queue`, chosen here with the rest of the storage. SQLite: the OutboundScheduler, as always.
 * PostgreSQL: the shared queue (engine/queue/pg-queue.ts), fed by PgRemoteScheduler from the local spool, delivering
 * with the same deliver-remote worker in this node's pool. Sets `queue.remote`; call start() after queue.start().
 */
export async function remoteDeliveryFor(
  storage: Pick<Storage, 'backend' | 'pool'>,
  queue: Queue,
  o: { config: LoadedConfig; logger: Logger; resolver: Resolver; isLocal(address: string): boolean },
): Promise<RemoteDelivery> {
  const { config, logger, isLocal } = o;
  if (storage.backend !== 'postgres' || !storage.pool) {
    const scheduler = new OutboundScheduler({ queue, config, logger, resolver: o.resolver, isLocal });
    queue.remote = scheduler;
    return { kind: 'local', scheduler, start: async () => undefined, stop: async () => scheduler.close() };
  }
  const shared = await openPgQueue(storage.pool, {
    nodeName: config.storage.node_name,
    leaseTime: config.storage.lease_time,
    config,
    logger,
    deliver: (task) => queue.pool.run(task, { filename: DELIVER_WORKER }),
    workDir: path.join(config.data_dir, 'spool', 'pg-queue'),
    isLocal,
    injectLocal: (env, raw) => queue.inject(env, raw),
    listen: clientConfig(config.storage),
    resolver: o.resolver,
  });
  const scheduler = new PgRemoteScheduler({ queue, shared, config, logger, isLocal });
  queue.remote = scheduler;
  return {
    kind: 'shared',
    scheduler,
    shared,
    start: () => shared.start(),
    async stop(limitMs) {
      scheduler.close();
      await shared.stop(limitMs);
    },
  };
}
