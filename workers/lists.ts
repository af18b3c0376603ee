// Worker task "lists-housekeeping": the periodic work of mailing lists (engine/lists/handle.ts housekeeping:
// moderation decisions made with the CLI, expiry, bounce grace, digests, staged batches after a crash), run in
// the piscina pool like "process", so nothing of it runs on the main thread. Returns what it originated.
import { workerData } from 'node:worker_threads';
import { loadConfig, type LoadedConfig } from '../engine/config/load.js';
import { openDatabase, type Db } from '../engine/db/database.js';
import { directoryFor } from '../engine/context.js';
import type { SqliteDirectory } from '../engine/accounts/sqlite-directory.js';
import { housekeeping, type HousekeepingTask } from '../engine/lists/handle.js';
import { listRuntime, type ListEvent } from '../engine/lists/runtime.js';

interface Settings {
  configPath?: string;
  dataDir: string;
}
const settings = (workerData ?? {}) as Settings;
let state: { config: LoadedConfig; db: Db; directory: SqliteDirectory } | null = null;

export interface ListsTaskResult {
  originated: string[];
  events: ListEvent[];
}

export default async function listsTask(task: HousekeepingTask): Promise<ListsTaskResult> {
  if (!state) {
    const config = loadConfig(settings.configPath);
    config.data_dir = settings.dataDir ?? config.data_dir;
    const db = openDatabase(config.data_dir);
    state = { config, db, directory: directoryFor(config, db) };
  }
  const now = Number.isSafeInteger(task?.now) ? task.now : Date.now();
  const out = await housekeeping(listRuntime(state.config, state.db, state.directory), { kind: 'lists-housekeeping', now, full: !!task?.full });
  return { originated: out.originated, events: out.events };
}
