// What every command and the server open first: the config, the data dir, the database and the
// account directory. One function, so the CLI and `serve` see the same state. The data dir is private
// (0700) whatever the umask; one made by an older version is fixed here, and each fix is reported.
import fs from 'node:fs';
import path from 'node:path';
import { buildConfig, ConfigError, readRawConfig, resolveConfigPath, type LoadedConfig, type RawConfig } from './config/load.js';
import { openDatabase, type Db } from './db/database.js';
import { SqliteDirectory, type DirectoryOptions } from './accounts/sqlite-directory.js';
import { serverKey } from './accounts/password.js';
import { decoyKey } from './accounts/decoy-key.js';
import { orphanMailbox } from './store/orphans.js';
import { forgetBayes } from './accounts/bayes-forget.js';
import { startupConfig } from './settings/live.js';

export interface Context {
  /** The config in force: the file with the settings changed from the web merged in (engine/settings). */
  config: LoadedConfig;
  /** The file as parsed, which the settings layer merges into again on every change. */
  file: RawConfig;
  /** Stored settings that the file now fixes or that no longer validate with it (logged by `serve`). */
  settingsIgnored: { key: string; reason: string }[];
  db: Db;
  directory: SqliteDirectory;
  /** Modes found too open and made private at open (logged by `serve`, printed by the other commands). */
  modeFixes: ModeFix[];
  close(): void;
}

export interface ModeFix {
  path: string;
  was: string;
  now: string;
}

/** Everything in the data dir is for tegami's user only (issue #9). */
export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

const octal = (m: number) => '0' + (m & 0o777).toString(8).padStart(3, '0');

/**
 * Make the data dir (and its parents, when missing) 0700, and take group/other access away from the places
 * that must never be shared even in a data dir made before: the data dir, run/ (the control socket), keys/
 * and the server key. Returns what was changed.
 */
export function privateDataDir(dataDir: string): ModeFix[] {
  fs.mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR });
  const fixes: ModeFix[] = [];
  const targets: [string, number][] = [
    [dataDir, PRIVATE_DIR],
    [path.join(dataDir, 'run'), PRIVATE_DIR],
    [path.join(dataDir, 'keys'), PRIVATE_DIR],
    [path.join(dataDir, 'keys', 'secret.key'), PRIVATE_FILE],
  ];
  for (const [p, want] of targets) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue; // made private when it is created
    }
    if (st.isSymbolicLink() || (st.mode & 0o077) === 0) continue;
    const now = st.mode & want;
    fs.chmodSync(p, now);
    fixes.push({ path: p, was: octal(st.mode), now: octal(now) });
  }
  return fixes;
}

export function directoryFor(config: LoadedConfig, db: Db): SqliteDirectory {
  return new SqliteDirectory(db, directoryOptions(config));
}

/** The directory's settings from config (shared by the SQLite and PostgreSQL directories). */
export function directoryOptions(config: LoadedConfig): DirectoryOptions {
  return {
    hostname: config.hostname,
    configDomains: config.domains.local.map((d) => d.toLowerCase()),
    hostAliases: Object.fromEntries(Object.entries(config.domains.aliases).map(([k, v]) => [k.toLowerCase(), v.toLowerCase()])),
    primary: config.domains.primary,
    postmaster: config.accounts.postmaster,
    serverKey: serverKey(config.data_dir),
    decoyKey: decoyKey(config.data_dir),
    recoverableSecrets: config.auth.recoverable_secrets,
    scramIterations: config.auth.scram_iterations,
    minUserLength: config.accounts.min_user_length,
    passwordMin: config.accounts.password_min,
    passwordMax: config.accounts.password_max,
    orphanMailbox: (address) => orphanMailbox(config.data_dir, address),
    // on PostgreSQL the Bayes counts are rows of the database, removed by migration 53's trigger
    forgetBayes: config.storage.backend === 'sqlite' ? (address) => void forgetBayes(config.data_dir, address) : undefined,
  };
}

export function openContext(configPath?: string): Context {
  const file = readRawConfig(resolveConfigPath(configPath));
  const base = buildConfig(file); // the file alone must be valid: its errors name its lines
  if (base.storage.backend !== 'sqlite') {
    // PostgreSQL is opened by openStorage (engine/db/storage.ts); this is the SQLite path: never fall back to it silently
    throw new ConfigError(base.source ?? 'config', undefined, 'storage.backend', `"${base.storage.backend}": open it with openStorage (engine/db/storage.ts), not openContext`);
  }
  const modeFixes = privateDataDir(base.data_dir);
  fs.mkdirSync(path.join(base.data_dir, 'logs'), { recursive: true, mode: PRIVATE_DIR });
  const db = openDatabase(base.data_dir);
  const { config, ignored } = startupConfig(file, db);
  const directory = directoryFor(config, db);
  return { config, file, settingsIgnored: ignored, db, directory, modeFixes, close: () => db.close() };
}
