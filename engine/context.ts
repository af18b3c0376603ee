// What every command and the server open first: the config, the data dir, the database and the
// account directory. One function, so the CLI and `serve` see the same state.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, resolveConfigPath, type LoadedConfig } from './config/load.js';
import { openDatabase, type Db } from './db/database.js';
import { SqliteDirectory } from './accounts/sqlite-directory.js';
import { serverKey } from './accounts/password.js';

export interface Context {
  config: LoadedConfig;
  db: Db;
  directory: SqliteDirectory;
  close(): void;
}

export function directoryFor(config: LoadedConfig, db: Db): SqliteDirectory {
  return new SqliteDirectory(db, {
    hostname: config.hostname,
    configDomains: config.domains.local.map((d) => d.toLowerCase()),
    hostAliases: Object.fromEntries(Object.entries(config.domains.aliases).map(([k, v]) => [k.toLowerCase(), v.toLowerCase()])),
    primary: config.domains.primary,
    postmaster: config.accounts.postmaster,
    serverKey: serverKey(config.data_dir),
    recoverableSecrets: config.auth.recoverable_secrets,
    scramIterations: config.auth.scram_iterations,
    minUserLength: config.accounts.min_user_length,
    passwordMin: config.accounts.password_min,
    passwordMax: config.accounts.password_max,
  });
}

export function openContext(configPath?: string): Context {
  const config = loadConfig(resolveConfigPath(configPath));
  fs.mkdirSync(config.data_dir, { recursive: true });
  fs.mkdirSync(path.join(config.data_dir, 'logs'), { recursive: true });
  const db = openDatabase(config.data_dir);
  const directory = directoryFor(config, db);
  return { config, db, directory, close: () => db.close() };
}
