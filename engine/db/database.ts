// The embedded SQLite database in the data dir: accounts, domains, aliases (and, later, indexes).
// Opened once per process or worker thread; schema migrations are idempotent and run on open.
// The file is created private (0600), whatever the umask: it holds password hashes and sealed secrets.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS domains (
     name TEXT PRIMARY KEY,
     created INTEGER NOT NULL
   );
   CREATE TABLE IF NOT EXISTS users (
     address TEXT PRIMARY KEY,
     local TEXT NOT NULL,
     domain TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     secret_sealed TEXT,
     full_name TEXT NOT NULL DEFAULT '',
     reply_to TEXT NOT NULL DEFAULT '',
     forward TEXT NOT NULL DEFAULT '',
     keep_copy INTEGER NOT NULL DEFAULT 1,
     disabled INTEGER NOT NULL DEFAULT 0,
     cannot_change_password INTEGER NOT NULL DEFAULT 0,
     web_access INTEGER NOT NULL DEFAULT 1,
     host_admin INTEGER NOT NULL DEFAULT 0,
     list_admin INTEGER NOT NULL DEFAULT 0,
     system_admin INTEGER NOT NULL DEFAULT 0,
     created INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS users_domain ON users(domain);
   CREATE TABLE IF NOT EXISTS aliases (
     address TEXT PRIMARY KEY,
     targets TEXT NOT NULL,
     created INTEGER NOT NULL
   );`,
  // web sessions and admin API tokens (engine/web/session-store.ts, engine/web/token-store.ts): only
  // SHA-256 hashes of session ids and tokens are kept, so a copy of the database opens no session
  `CREATE TABLE IF NOT EXISTS web_sessions (
     id_hash TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     address TEXT NOT NULL,
     csrf TEXT NOT NULL,
     ip TEXT NOT NULL DEFAULT '',
     created INTEGER NOT NULL,
     last_seen INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS web_sessions_address ON web_sessions(address);
   CREATE TABLE IF NOT EXISTS api_tokens (
     id INTEGER PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     address TEXT NOT NULL,
     label TEXT NOT NULL DEFAULT '',
     created INTEGER NOT NULL,
     last_used INTEGER
   );
   CREATE INDEX IF NOT EXISTS api_tokens_address ON api_tokens(address);`,
  // rules (engine/rules, docs/rules.md): Sieve scripts of users ("user@domain") and domains ("@domain"), at
  // most one active per owner; the one vacation of each user (CLI, JMAP, webmail); auto-responders; and the
  // history of automatic replies (vacation and auto-reply), one row per (address, sender, handle)
  `CREATE TABLE IF NOT EXISTS sieve_scripts (
     owner TEXT NOT NULL,
     name TEXT NOT NULL,
     script TEXT NOT NULL,
     active INTEGER NOT NULL DEFAULT 0,
     updated INTEGER NOT NULL,
     PRIMARY KEY (owner, name)
   );
   CREATE UNIQUE INDEX IF NOT EXISTS sieve_scripts_active ON sieve_scripts(owner) WHERE active = 1;
   CREATE TABLE IF NOT EXISTS vacations (
     address TEXT PRIMARY KEY,
     enabled INTEGER NOT NULL,
     subject TEXT,
     text TEXT NOT NULL,
     html TEXT,
     from_ms INTEGER,
     until_ms INTEGER,
     days INTEGER,
     addresses TEXT NOT NULL DEFAULT '[]',
     sender TEXT,
     updated INTEGER NOT NULL
   );
   CREATE TABLE IF NOT EXISTS auto_replies (
     address TEXT PRIMARY KEY,
     enabled INTEGER NOT NULL,
     subject TEXT,
     text TEXT NOT NULL,
     interval_s INTEGER NOT NULL,
     updated INTEGER NOT NULL
   );
   CREATE TABLE IF NOT EXISTS reply_history (
     address TEXT NOT NULL,
     sender TEXT NOT NULL,
     handle TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (address, sender, handle)
   );
   CREATE INDEX IF NOT EXISTS reply_history_at ON reply_history(address, at);`,
];

export function openDatabase(dataDir: string, opts: { readonly?: boolean } = {}): Db {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'tegami.db');
  // password hashes and sealed secrets: made 0600 before SQLite opens it (its -wal and -shm copy this mode)
  if (!(opts.readonly && fs.existsSync(file))) fs.closeSync(fs.openSync(file, 'a', 0o600));
  const db = new Database(file, { readonly: !!opts.readonly && fs.existsSync(file), fileMustExist: false });
  db.pragma('busy_timeout = 5000');
  if (!db.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }
  }
  return db;
}
