// What list handling needs in a worker thread (config, directory, activity — shared rows on PostgreSQL —, spool,
// resolver, token key), made once per thread, and the outcome every handler returns: ids of the messages it originated
// (the queue adopts them), events for the log, and temporary failures (the post is retried). Never the main thread.
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { Db } from '../db/database.js';
import type { SqliteDirectory } from '../accounts/sqlite-directory.js';
import type { ListDirectory } from '../accounts/list-directory.js';
import { serverKey } from '../accounts/password.js';
import { dnsCacheOptions, makeResolver, type Resolver } from '../dns/resolver.js';
import { Spool } from '../spool/spool.js';
import { SqliteActivity, type ListActivity } from './activity.js';
import { PgActivity } from './pg-activity.js';
import { threadPool } from '../db/pg/thread-pool.js';
import { listKey } from './tokens.js';

export interface ListRuntime {
  config: LoadedConfig;
  directory: SqliteDirectory;
  lists: ListDirectory;
  activity: ListActivity;
  spool: Spool;
  resolver: Resolver;
  /** The token key (derived from the server key). */
  key: Buffer;
  now(): number;
}

export type EventLevel = 'info' | 'warn' | 'error';

export interface ListEvent {
  event: string;
  level: EventLevel;
  fields: Record<string, string | number | boolean | null>;
}

export interface ListOutcome {
  originated: string[];
  events: ListEvent[];
  /** The recipient cannot be served (a list deleted meanwhile): the sender gets a notice. */
  failed: { address: string; reason: string }[];
  tempFailed: { address: string; reason: string }[];
}

export function emptyOutcome(): ListOutcome {
  return { originated: [], events: [], failed: [], tempFailed: [] };
}

export function note(out: ListOutcome, event: string, fields: ListEvent['fields'], level: EventLevel = 'info'): void {
  out.events.push({ event, level, fields });
}

export function merge(into: ListOutcome, from: ListOutcome): ListOutcome {
  into.originated.push(...from.originated);
  into.events.push(...from.events);
  into.failed.push(...from.failed);
  into.tempFailed.push(...from.tempFailed);
  return into;
}

const runtimes = new WeakMap<Db, ListRuntime>();

/** The runtime of this thread over a database connection (made on first use). */
export function listRuntime(config: LoadedConfig, db: Db, directory: SqliteDirectory): ListRuntime {
  let rt = runtimes.get(db);
  if (!rt) {
    rt = {
      config,
      directory,
      lists: directory.lists,
      // PostgreSQL: moderation, dedup, bounces and counters are shared rows, seen by every node
      activity:
        config.storage.backend === 'postgres'
          ? new PgActivity(threadPool(config.storage), config.storage.node_name, new SqliteActivity(db), { carriesOut: true })
          : new SqliteActivity(db),
      spool: new Spool(path.join(config.data_dir, 'spool')),
      resolver: makeResolver(config.dns.servers, config.dns.timeout, undefined, dnsCacheOptions(config.dns)),
      key: listKey(serverKey(config.data_dir)),
      now: () => Date.now(),
    };
    runtimes.set(db, rt);
  }
  return rt;
}
