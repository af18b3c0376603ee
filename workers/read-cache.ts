// Rows of tegami.db that every delivery reads — the recipient's account (routing, quota), its own and its
// domain's active Sieve scripts, its vacation and auto-reply settings — kept in the worker between tasks while
// the database is unchanged: valid while no other connection committed (PRAGMA data_version: the admin pages,
// the CLI, ManageSieve, another worker) and this one changed no row (total_changes()). Checked at the start of
// every task; never caches a row across a change. Values are frozen, so no caller alters what the next one reads.
import type { Db } from '../engine/db/database.js';
import type { SqliteDirectory } from '../engine/accounts/sqlite-directory.js';
import { SqliteRulesStore } from '../engine/rules/sqlite-store.js';
import type { AutoReply, ScriptOwner, StoredScript, VacationSettings } from '../engine/rules/store.js';

/** Rows kept at most (a server with more recipients than this in one quiet spell starts over). */
const MAX_ROWS = 10_000;

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

export class ReadCache {
  private readonly token;
  private version = -1;
  private changes = -1;
  private readonly rows = new Map<string, unknown>();

  constructor(db: Db) {
    this.token = db.prepare<[], { v: number; c: number }>('SELECT data_version AS v, total_changes() AS c FROM pragma_data_version');
  }

  /** Forget every row when the database changed since the last check (called as each task starts). */
  revalidate(): void {
    const t = this.token.get()!;
    if (t.v === this.version && t.c === this.changes) return;
    this.rows.clear();
    this.version = t.v;
    this.changes = t.c;
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

/** The rules store with the three reads of every delivery (active script, vacation, auto-reply) from the cache. */
export class CachedRulesStore extends SqliteRulesStore {
  constructor(
    db: Db,
    private readonly cache: ReadCache,
  ) {
    super(db);
  }

  override activeScript(owner: ScriptOwner): StoredScript | null {
    return this.cache.read('script', owner, () => super.activeScript(owner));
  }

  override getVacation(address: string): VacationSettings | null {
    return this.cache.read('vacation', address, () => super.getVacation(address));
  }

  override getAutoReply(address: string): AutoReply | null {
    return this.cache.read('auto-reply', address, () => super.getAutoReply(address));
  }
}
