// The one place `serve` and every CLI command open their storage from [storage]: SQLite in the data dir (the
// default, exactly as before: openContext), or PostgreSQL with the node's local copy (engine/db/pg/replica.ts).
// The mailbox store is chosen here too, and the queue beside it (engine/db/serve-queue.ts, which only `serve` loads),
// so a shared implementation plugs in at one spot.
// It never falls back from PostgreSQL to SQLite silently, and never overwrites a single node's own database.
import fs from 'node:fs';
import path from 'node:path';
import { buildConfig, ConfigError, readRawConfig, resolveConfigPath } from '../config/load.js';
import { directoryFor, openContext, PRIVATE_DIR, privateDataDir, type Context } from '../context.js';
import { databaseFile, openDatabase, type Db } from './database.js';
import { clientConfig, openPool, type PgPool } from './pg/pool.js';
import { migrate } from './pg/migrations.js';
import { untilReachable } from './pg/wait.js';
import { checkServerKeys, KeyMismatchError } from './pg/server-key-check.js';
import { isCopy, Replica } from './pg/replica.js';
import { ensureSettingsTables } from '../settings/store.js';
import { addScramColumn } from '../accounts/sqlite-directory.js';
import { startupConfig } from '../settings/live.js';
import { MaildirStore } from '../store/maildir-store.js';
import { openPgMailboxStore } from '../store/pg-store.js';
import type { MailAccountStore, MailboxStore } from '../store/mailbox-store.js';
import { SqliteRulesStore } from '../rules/sqlite-store.js';
import type { LoadedConfig } from '../config/load.js';

/** What Context holds (config, data dir database, directory), with a close that finishes asynchronously. */
export interface Storage extends Omit<Context, 'close'> {
  backend: 'sqlite' | 'postgres';
  /** PostgreSQL only: the pool and the local copy (its `connected` tells whether the database answers now). */
  pool?: PgPool;
  replica?: Replica;
  /** The rules (Sieve, vacation, auto-replies) over the same database as the directory. */
  rules: SqliteRulesStore;
  /**
   * Where mail is stored and how that is described at startup (see mailStoreFor): the data dir's Maildir, or
   * for `serve` on PostgreSQL the shared store (PgMailboxStore, with LISTEN for cross-node IDLE).
   */
  mailboxStore: MailboxStore & MailAccountStore;
  mailStoreDescription: string;
  /** Where the queue lives: "local" (spool/ in the data dir) until a shared queue is configured. */
  queueDescription: string;
  /** Close everything; for a command on PostgreSQL this commits its writes (an error here means they were not). */
  close(): Promise<void>;
}

export interface StorageOptions {
  /**
   * "command": one CLI command, run whole under the writers' lock on a freshly loaded copy and committed at close
   * (its checks see every node's writes). "serve": a long-running node that follows PostgreSQL by LISTEN.
   */
  mode: 'command' | 'serve';
  /** A sync or the LISTEN connection failed in the background (serve). */
  onError?: (err: Error) => void;
  /**
   * serve: the database could not be reached at start; it is tried again (1 s doubling to 30 s) and this is
   * told before each wait. Absent (the commands), an unreachable database fails at once, as always.
   */
  onWaiting?: (err: Error, attempt: number, retryMs: number) => void;
  /** Ends a wait for the database (the server told to stop before it ever started). */
  signal?: AbortSignal;
}

/** Open the storage [storage] names. SQLite: the data dir's database, as `openContext` always did. */
export async function openStorage(configPath: string | undefined, opts: StorageOptions): Promise<Storage> {
  const file = readRawConfig(resolveConfigPath(configPath));
  const base = buildConfig(file);
  if (base.storage.backend === 'sqlite') {
    const ctx = openContext(configPath);
    return {
      ...ctx,
      backend: 'sqlite',
      rules: new SqliteRulesStore(ctx.db),
      ...mailStoreFor(ctx.config),
      queueDescription: 'local',
      close: async () => ctx.close(),
    };
  }
  const modeFixes = privateDataDir(base.data_dir);
  fs.mkdirSync(path.join(base.data_dir, 'logs'), { recursive: true, mode: PRIVATE_DIR });
  const pool = openPool(base.storage, { onIdleError: opts.onError });
  let db: Db | undefined;
  let closeStore: (() => unknown) | undefined;
  try {
    // any command migrates an empty or older database on first use, as SQLite does; serve waits for a database
    // that is away at start instead of exiting (engine/db/pg/wait.ts)
    const onWaiting = opts.onWaiting;
    if (onWaiting) await untilReachable(() => migrate(pool), { onWait: onWaiting, signal: opts.signal });
    else await migrate(pool);
    // before anything makes a key of its own: are this node's keys the cluster's? (said by serve)
    const keyProblems = opts.mode === 'serve' ? await checkServerKeys(pool, base, base.storage.node_name) : [];
    // ... and a node that holds other keys does not start: it would fail every login, signature, list token and
    // SRS bounce the other nodes made (before anything here makes a key of its own)
    if (keyProblems.length) throw new KeyMismatchError(keyProblems);
    db = openNodeCopy(base);
    const replica = new Replica({ db, pool, listen: clientConfig(base.storage), onError: opts.onError, watchMs: opts.mode === 'serve' ? 1000 : 0 });
    let finish: (() => void) | undefined;
    let committed: Promise<unknown> = Promise.resolve();
    if (opts.mode === 'serve') {
      await replica.start();
    } else {
      // the whole command is one PostgreSQL transaction under the writers' lock; close() lets it commit
      const started = new Promise<void>((resolve, reject) => {
        committed = replica.transaction(() => {
          resolve();
          return new Promise<void>((r) => (finish = r));
        });
        committed.catch(reject);
      });
      await started;
    }
    const { config, ignored } = startupConfig(file, db);
    const local = db;
    // serve keeps mail in the shared store; a CLI command keeps the local Maildir it has always used (docs/scale-out.md)
    let mail: { mailboxStore: MailboxStore & MailAccountStore; mailStoreDescription: string } = mailStoreFor(config);
    if (opts.mode === 'serve') {
      const shared = await sharedMailStore(pool, config, opts.onError);
      closeStore = () => shared.mailboxStore.close();
      mail = shared;
    }
    return {
      backend: 'postgres',
      config,
      file,
      settingsIgnored: ignored,
      db: local,
      directory: directoryFor(config, local),
      modeFixes,
      pool,
      replica,
      rules: new SqliteRulesStore(local),
      ...mail,
      queueDescription: 'shared queue in PostgreSQL (a local spool on this node until each message is handed over)',
      async close() {
        try {
          finish?.();
          await committed;
        } finally {
          await Promise.resolve(closeStore?.()).catch(() => undefined);
          await replica.close();
          await pool.end().catch(() => undefined);
          local.close();
        }
      },
    };
  } catch (e) {
    await Promise.resolve(closeStore?.()).catch(() => undefined);
    db?.close();
    await pool.end().catch(() => undefined);
    throw e;
  }
}

/** The local mailbox store: the data dir's Maildir (SQLite, and the CLI commands on PostgreSQL). */
export function mailStoreFor(config: LoadedConfig): { mailboxStore: MaildirStore; mailStoreDescription: string } {
  const shared = config.storage.backend === 'postgres';
  return {
    mailboxStore: new MaildirStore(config.data_dir),
    mailStoreDescription: shared ? 'local Maildir (this command)' : 'local Maildir',
  };
}

/**
 * `serve` on PostgreSQL: the shared mailbox store (PgMailboxStore) on the node's pool, listening for other nodes'
 * changes (IDLE, JMAP push). The worker threads open their own (workers/shared-store.ts) and deliver into it.
 */
export async function sharedMailStore(
  pool: PgPool,
  config: LoadedConfig,
  onError?: (err: Error) => void,
): Promise<{ mailboxStore: MailboxStore & MailAccountStore & { close(): Promise<void> }; mailStoreDescription: string }> {
  const store = await openPgMailboxStore(pool, { listen: clientConfig(config.storage), nodeName: config.storage.node_name, onError });
  return { mailboxStore: store, mailStoreDescription: 'shared store in PostgreSQL' };
}

/**
 * The node's copy: tegami.db in the data dir, as on a single node, so the worker threads read it unchanged. A
 * data dir whose database is a single node's own (accounts, no copy marker) is refused: its data would be
 * replaced by PostgreSQL's. `tegami db import-local` moves it into PostgreSQL and marks it a copy.
 */
export function openNodeCopy(config: LoadedConfig): Db {
  const db = openDatabase(config.data_dir);
  try {
    ensureSettingsTables(db);
    addScramColumn(db);
    if (!isCopy(db) && holdsAccounts(db)) {
      throw new ConfigError(
        config.source ?? 'config',
        undefined,
        'storage.backend',
        `"postgres", but ${databaseFile(config.data_dir)} holds a single node's accounts: move them into PostgreSQL with \`tegami db import-local\` first (nothing was changed)`,
      );
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

export function holdsAccounts(db: Db): boolean {
  return !!db.prepare('SELECT 1 FROM users UNION ALL SELECT 1 FROM domains UNION ALL SELECT 1 FROM aliases UNION ALL SELECT 1 FROM lists LIMIT 1').get();
}
