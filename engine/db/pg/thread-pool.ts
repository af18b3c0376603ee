// One small PostgreSQL pool per thread for the per-row shared state a worker thread writes besides the mail
// ([storage] backend = "postgres": list moderation, dedup and counters, vacation reply history). Opened on first
// use; the migrations are the main thread's (it ran them before any task). Never used on SQLite.
import type { StorageConfig } from '../../config/schema.js';
import { openPool, type PgPool } from './pool.js';

/** Connections per thread: a list post's statements run one after another. */
const THREAD_POOL = 2;

let pool: PgPool | null = null;

export function threadPool(s: StorageConfig): PgPool {
  return (pool ??= openPool({ ...s, pool_size: THREAD_POOL }));
}
