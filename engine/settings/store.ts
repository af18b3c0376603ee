// The settings table of the main database (tegami.db, so every backup holds it): key → JSON value, who
// changed it and when, and one version number bumped in the same transaction as every change, which the
// worker threads compare per task to know when to reload. It stores; it never validates (effective.ts does).
import type { Db } from '../db/database.js';

export interface StoredSetting {
  key: string;
  value: unknown;
  updated: number;
  updatedBy: string;
}

/** Idempotent: the main thread creates the tables when it opens the store; workers call it before reading. */
export function ensureSettingsTables(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated INTEGER NOT NULL,
     updated_by TEXT NOT NULL DEFAULT ''
   );
   CREATE TABLE IF NOT EXISTS settings_meta (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     version INTEGER NOT NULL
   );
   INSERT OR IGNORE INTO settings_meta (id, version) VALUES (1, 0);`);
}

interface Row {
  key: string;
  value: string;
  updated: number;
  updated_by: string;
}

/** A value read back from the table; a row that is not JSON (a damaged table) is skipped, never thrown. */
function decode(r: Row): StoredSetting | null {
  try {
    return { key: r.key, value: JSON.parse(r.value) as unknown, updated: r.updated, updatedBy: r.updated_by };
  } catch {
    return null;
  }
}

export class SettingsStore {
  private readonly q;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    ensureSettingsTables(db);
    this.q = {
      all: db.prepare<[], Row>('SELECT key, value, updated, updated_by FROM settings ORDER BY key'),
      put: db.prepare('INSERT INTO settings (key, value, updated, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated, updated_by = excluded.updated_by'),
      del: db.prepare('DELETE FROM settings WHERE key = ?'),
      bump: db.prepare('UPDATE settings_meta SET version = version + 1 WHERE id = 1'),
      version: db.prepare<[], { version: number }>('SELECT version FROM settings_meta WHERE id = 1'),
    };
  }

  all(): StoredSetting[] {
    return this.q.all.all().map(decode).filter((s): s is StoredSetting => s !== null);
  }

  /** Key → value of every stored override. */
  values(): Record<string, unknown> {
    return Object.fromEntries(this.all().map((s) => [s.key, s.value]));
  }

  version(): number {
    return this.q.version.get()?.version ?? 0;
  }

  /**
   * Write a set of changes at once (undefined removes an override): all or nothing, with the version bump
   * in the same transaction. The caller has validated the result.
   */
  write(changes: Record<string, unknown>, by: string): number {
    const t = this.now();
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(changes)) {
        if (value === undefined) this.q.del.run(key);
        else this.q.put.run(key, JSON.stringify(value), t, by);
      }
      this.q.bump.run();
    })();
    return this.version();
  }
}

/** A worker's cheap check: the version only (one indexed read), or 0 when the table is not there yet. */
export function settingsVersion(db: Db): number {
  try {
    const r = db.prepare<[], { version: number }>('SELECT version FROM settings_meta WHERE id = 1').get();
    return r?.version ?? 0;
  } catch {
    return 0;
  }
}

/** Every stored override, for a thread that only reads (no table: none). */
export function readOverrides(db: Db): Record<string, unknown> {
  try {
    const rows = db.prepare<[], Row>('SELECT key, value, updated, updated_by FROM settings').all();
    return Object.fromEntries(rows.map(decode).filter((s): s is StoredSetting => s !== null).map((s) => [s.key, s.value]));
  } catch {
    return {};
  }
}
