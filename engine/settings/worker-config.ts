// The config a worker thread uses, kept fresh: the TOML file with the database's overrides merged, reloaded
// when the settings version in the database moves (one indexed read per task, no file read). A change made
// in the admin pages is committed before its answer is sent, so every task that starts after it sees it.
import { readRawConfig, type LoadedConfig, type RawConfig } from '../config/load.js';
import { openDatabase, type Db } from '../db/database.js';
import { effectiveConfig } from './effective.js';
import { ensureSettingsTables, readOverrides } from './store.js';

interface Cached {
  version: number;
  config: LoadedConfig;
}

const threads = new Map<string, { db: Db; file: RawConfig; read: () => number; cached: Cached | null }>();

/**
 * The config in force for this thread, and its settings version (callers that derive state from the config,
 * like the spam analyser, rebuild it when the version changes). `dataDir` overrides the file's data_dir as
 * the pool was told at start.
 */
export function workerConfig(configPath: string | undefined, dataDir: string | undefined): Cached {
  const key = `${configPath ?? ''}\0${dataDir ?? ''}`;
  let t = threads.get(key);
  if (!t) {
    const file = readRawConfig(configPath);
    // the data dir the pool was started with (tests and `serve` agree with the file, but the pool's word wins)
    const dir = dataDir ?? effectiveConfig(file, {}).config.data_dir;
    const db = openDatabase(dir);
    ensureSettingsTables(db);
    const stmt = db.prepare<[], { version: number }>('SELECT version FROM settings_meta WHERE id = 1');
    t = { db, file, read: () => stmt.get()?.version ?? 0, cached: null };
    threads.set(key, t);
  }
  const version = t.read();
  if (!t.cached || t.cached.version !== version) {
    const { config } = effectiveConfig(t.file, readOverrides(t.db));
    if (dataDir) config.data_dir = dataDir;
    t.cached = { version, config };
  }
  return t.cached;
}
