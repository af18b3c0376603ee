// Open the PostgreSQL account directory from config: the pool ([storage]), migrations on first use, the
// in-memory copy and its LISTEN connection. It never opens anything when the backend is SQLite.
import type { LoadedConfig } from '../config/load.js';
import { directoryOptions } from '../context.js';
import { clientConfig, openPool, type PgPool } from '../db/pg/pool.js';
import { PgDirectory } from './pg-directory.js';

export interface PgAccounts {
  pool: PgPool;
  directory: PgDirectory;
  close(): Promise<void>;
}

export async function openPgAccounts(config: LoadedConfig, onError?: (err: Error) => void): Promise<PgAccounts> {
  if (config.storage.backend !== 'postgres') throw new Error('[storage] backend is not "postgres"');
  const pool = openPool(config.storage, { onIdleError: onError });
  try {
    const directory = await PgDirectory.open({ pool, listen: clientConfig(config.storage), directory: directoryOptions(config), onError });
    return {
      pool,
      directory,
      async close() {
        await directory.close();
        await pool.end();
      },
    };
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
}
