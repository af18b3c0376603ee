// The per-user mailbox index's schema (engine/store/index-db.ts): the folder and message tables, first builds
// waiting for their rows (index-build.ts; made by CREATE IF NOT EXISTS in an older index too), and the one
// migration that adds the account view (email ids, sort order, the change log and thread tables) to an index an
// older tegami wrote. Run at open, under a write lock; it never touches the Maildir files.
import type Database from 'better-sqlite3';
import { INDEX_SCHEMA } from './account-index.js';
import { LOG_SCHEMA } from './account-log.js';
import { emailIdOf } from './email-ids.js';

export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS folders (
    name TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    uidnext INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    cur_mtime TEXT NOT NULL DEFAULT ''
  );
  CREATE TABLE IF NOT EXISTS messages (
    folder TEXT NOT NULL,
    uid INTEGER NOT NULL,
    base TEXT NOT NULL,
    file TEXT NOT NULL,
    size INTEGER NOT NULL,
    idate INTEGER NOT NULL,
    letters TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '',
    modseq INTEGER NOT NULL,
    PRIMARY KEY (folder, uid)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX IF NOT EXISTS messages_base ON messages (folder, base);
  CREATE TABLE IF NOT EXISTS subscriptions (name TEXT PRIMARY KEY);
  CREATE TABLE IF NOT EXISTS builds (
    folder TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    uid0 INTEGER NOT NULL,
    modseq0 INTEGER NOT NULL,
    count INTEGER NOT NULL,
    crc INTEGER NOT NULL,
    names BLOB NOT NULL
  );
`;

/**
 * The schema of a new index file, as SCHEMA then migrate() would leave it (the columns migrate adds come last, where
 * ALTER TABLE puts them), written at once: one transaction, and no ALTER TABLE (each makes SQLite read the whole
 * schema again). A new user's first SELECT creates its index.
 */
function freshSchema(): string {
  const folders = "cur_mtime TEXT NOT NULL DEFAULT ''\n  );";
  const messages = 'modseq INTEGER NOT NULL,\n    PRIMARY KEY (folder, uid)';
  if (!SCHEMA.includes(folders) || !SCHEMA.includes(messages)) throw new Error('index schema: the fresh schema no longer fits SCHEMA');
  return (
    SCHEMA.replace(folders, "cur_mtime TEXT NOT NULL DEFAULT '',\n    sort_order INTEGER\n  );").replace(messages, "modseq INTEGER NOT NULL,\n    eid TEXT NOT NULL DEFAULT '',\n    PRIMARY KEY (folder, uid)") +
    'CREATE INDEX IF NOT EXISTS messages_eid ON messages (eid);' + LOG_SCHEMA + INDEX_SCHEMA
  );
}

/** Make the tables of an index: a new file gets the current schema at once; any other SCHEMA's tables, then migrate. */
export function createOrMigrate(db: Database.Database): void {
  const empty = db.prepare<[], number>('SELECT count(*) FROM sqlite_schema').pluck();
  if (empty.get() === 0 && (db.pragma('user_version', { simple: true }) as number) === 0) {
    // another process may be making the same file: decided again under the write lock
    const made = db.transaction(() => {
      if (empty.get() !== 0) return false;
      db.exec(freshSchema());
      db.pragma('user_version = 1');
      return true;
    }).immediate();
    if (made) return;
  }
  db.exec(SCHEMA);
  migrate(db);
}

/**
 * Version 1 adds the account view: an email id per row (hash of its base name), a sort order per folder, the
 * change log and the thread tables. Run once per file, under a write lock (another process may open it too).
 */
export function migrate(db: Database.Database): void {
  if ((db.pragma('user_version', { simple: true }) as number) >= 1) {
    // rows an older tegami added to a migrated index carry no email id yet
    const missing = db.prepare<[], { folder: string; uid: number; base: string }>("SELECT folder, uid, base FROM messages WHERE eid = ''").all();
    if (missing.length) {
      const set = db.prepare('UPDATE messages SET eid = ? WHERE folder = ? AND uid = ?');
      db.transaction(() => {
        for (const r of missing) set.run(emailIdOf(r.base), r.folder, r.uid);
      }).immediate();
    }
    return;
  }
  db.transaction(() => {
    if ((db.pragma('user_version', { simple: true }) as number) >= 1) return;
    const cols = (table: string) => db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all().map((c) => c.name);
    if (!cols('messages').includes('eid')) db.exec("ALTER TABLE messages ADD COLUMN eid TEXT NOT NULL DEFAULT ''");
    if (!cols('folders').includes('sort_order')) db.exec('ALTER TABLE folders ADD COLUMN sort_order INTEGER');
    const set = db.prepare('UPDATE messages SET eid = ? WHERE folder = ? AND uid = ?');
    for (const r of db.prepare<[], { folder: string; uid: number; base: string }>("SELECT folder, uid, base FROM messages WHERE eid = ''").all()) {
      set.run(emailIdOf(r.base), r.folder, r.uid);
    }
    db.exec('CREATE INDEX IF NOT EXISTS messages_eid ON messages (eid)');
    db.exec(LOG_SCHEMA + INDEX_SCHEMA);
    db.pragma('user_version = 1');
  }).immediate();
}
