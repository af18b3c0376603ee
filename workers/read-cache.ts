// The rules store of a delivery worker with the three reads every delivery makes (the user's and the domain's
// active Sieve script, vacation and auto-reply settings) answered from the thread's tegami.db read cache
// (engine/db/read-cache.ts), which process.ts revalidates as each task starts. Writes go to the store as ever.
import type { Db } from '../engine/db/database.js';
import type { ReadCache } from '../engine/db/read-cache.js';
import { SqliteRulesStore } from '../engine/rules/sqlite-store.js';
import type { AutoReply, ScriptOwner, StoredScript, VacationSettings } from '../engine/rules/store.js';

export { cachedDirectory, readCacheFor } from '../engine/db/read-cache.js';

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
