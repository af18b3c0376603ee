// Rows of tegami.db read for every message (the recipient's account at RCPT and in the worker; the worker's
// Sieve, vacation and auto-reply rows: workers/read-cache.ts), kept while the database is unchanged: valid while
// no other connection committed (PRAGMA data_version: the admin pages, the CLI, ManageSieve, another thread) and
// this one changed no row (total_changes()). The owner calls revalidate() before each message's reads; a row is
// never served across a change. Values are frozen, so no caller alters what the next one reads.
import type { Db } from './database.js';
import type { SqliteDirectory } from '../accounts/sqlite-directory.js';
import { deepFreeze } from '../util/deep-freeze.js';

/** Rows kept at most (a server with more recipients than this in one quiet spell starts over). */
const MAX_ROWS = 10_000;

export class ReadCache {
  private readonly dataVersion;
  private readonly totalChanges;
  private version = -1;
  private changes = -1;
  private readonly rows = new Map<string, unknown>();

  constructor(db: Db) {
    // two statements prepared once: the pragma_data_version table (one statement for both) prepares
    // "PRAGMA data_version" again inside every read, a cost paid per message on the main thread and in a worker
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.totalChanges = db.prepare<[], number>('SELECT total_changes()').pluck();
  }

  /**
   * Forget every row when the database changed since the last check (called as each task starts). True when it
   * had changed (or on the first check): what else the caller derives from tegami.db is then stale too.
   */
  revalidate(): boolean {
    const v = this.dataVersion.get()!;
    const c = this.totalChanges.get()!;
    if (v === this.version && c === this.changes) return false;
    this.rows.clear();
    this.version = v;
    this.changes = c;
    return true;
  }

  /** The row of `kind` for `key`, read by `fetch` when this cache does not hold it. */
  read<T>(kind: string, key: string, fetch: () => T): T {
    const k = `${kind}\0${key}`;
    if (this.rows.has(k)) return this.rows.get(k) as T;
    const v = deepFreeze(fetch());
    if (this.rows.size >= MAX_ROWS) this.rows.clear();
    this.rows.set(k, v);
    return v;
  }

  /** How many rows are held (tests). */
  get size(): number {
    return this.rows.size;
  }
}

const caches = new WeakMap<Db, ReadCache>();

/** This thread's cache for `db` (one per connection). */
export function readCacheFor(db: Db): ReadCache {
  let c = caches.get(db);
  if (!c) caches.set(db, (c = new ReadCache(db)));
  return c;
}

/** The directory with resolve() and quotaOf() answered from the cache; everything else goes to the directory itself. */
export function cachedDirectory(directory: SqliteDirectory, cache: ReadCache): SqliteDirectory {
  const resolve = (address: string) => cache.read('resolve', address, () => directory.resolve(address));
  const quotaOf = (owner: string) => cache.read('quota', owner, () => directory.quotaOf(owner));
  return new Proxy(directory, {
    get(target, p) {
      if (p === 'resolve') return resolve;
      if (p === 'quotaOf') return quotaOf;
      const v: unknown = Reflect.get(target, p, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
