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
  // mailing lists (engine/lists, docs/lists.md): settings, members, moderators, the moderation queue,
  // subscriptions waiting for confirmation, bounce events, distributed posts (dedup) and the batches of
  // messages tegami originated (engine/queue/notices.ts originate: committed once their row is here)
  `CREATE TABLE IF NOT EXISTS lists (
     address TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     domain TEXT NOT NULL,
     post TEXT NOT NULL DEFAULT 'members',
     moderated INTEGER NOT NULL DEFAULT 0,
     subject_prefix TEXT NOT NULL DEFAULT '',
     reply_to TEXT NOT NULL DEFAULT 'sender',
     max_size INTEGER NOT NULL DEFAULT 0,
     digest INTEGER NOT NULL DEFAULT 0,
     archive INTEGER NOT NULL DEFAULT 0,
     dmarc_rewrite TEXT NOT NULL DEFAULT 'policy',
     private INTEGER NOT NULL DEFAULT 0,
     digest_last INTEGER NOT NULL DEFAULT 0,
     digest_issue INTEGER NOT NULL DEFAULT 0,
     created INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS lists_domain ON lists(domain);
   CREATE TABLE IF NOT EXISTS list_members (
     id INTEGER PRIMARY KEY,
     list TEXT NOT NULL,
     address TEXT NOT NULL,
     digest INTEGER NOT NULL DEFAULT 0,
     disabled INTEGER NOT NULL DEFAULT 0,
     disabled_reason TEXT,
     disabled_at INTEGER,
     added INTEGER NOT NULL,
     UNIQUE (list, address)
   );
   CREATE TABLE IF NOT EXISTS list_admins (
     list TEXT NOT NULL,
     address TEXT NOT NULL,
     PRIMARY KEY (list, address)
   );
   CREATE TABLE IF NOT EXISTS list_held (
     id TEXT PRIMARY KEY,
     list TEXT NOT NULL,
     post_key TEXT NOT NULL,
     sender TEXT NOT NULL,
     mail_from TEXT NOT NULL,
     subject TEXT NOT NULL,
     size INTEGER NOT NULL,
     reason TEXT NOT NULL,
     state TEXT NOT NULL DEFAULT 'held',
     notified INTEGER NOT NULL DEFAULT 0,
     created INTEGER NOT NULL,
     expires INTEGER NOT NULL,
     UNIQUE (list, post_key)
   );
   CREATE TABLE IF NOT EXISTS list_requests (
     id TEXT PRIMARY KEY,
     list TEXT NOT NULL,
     address TEXT NOT NULL,
     kind TEXT NOT NULL,
     state TEXT NOT NULL,
     digest INTEGER NOT NULL DEFAULT 0,
     created INTEGER NOT NULL,
     expires INTEGER NOT NULL,
     UNIQUE (list, address, kind)
   );
   CREATE TABLE IF NOT EXISTS list_bounces (
     list TEXT NOT NULL,
     address TEXT NOT NULL,
     at INTEGER NOT NULL,
     status TEXT NOT NULL,
     kind TEXT NOT NULL,
     counted INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS list_bounces_member ON list_bounces(list, address, at);
   CREATE TABLE IF NOT EXISTS list_posts (
     list TEXT NOT NULL,
     post_key TEXT NOT NULL,
     created INTEGER NOT NULL,
     PRIMARY KEY (list, post_key)
   );
   CREATE TABLE IF NOT EXISTS list_replies (
     list TEXT NOT NULL,
     address TEXT NOT NULL,
     day INTEGER NOT NULL,
     count INTEGER NOT NULL,
     PRIMARY KEY (list, address, day)
   );
   CREATE TABLE IF NOT EXISTS originated_batches (
     batch TEXT PRIMARY KEY,
     created INTEGER NOT NULL
   );`,
  // JMAP (engine/jmap/): app tokens for non-browser clients (SHA-256 only), the account's Identity and
  // EmailSubmission objects with their change history, and the VacationResponse the Sieve vacation is made from
  `CREATE TABLE IF NOT EXISTS jmap_tokens (
     id INTEGER PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     address TEXT NOT NULL,
     label TEXT NOT NULL DEFAULT '',
     created INTEGER NOT NULL,
     last_used INTEGER
   );
   CREATE INDEX IF NOT EXISTS jmap_tokens_address ON jmap_tokens(address);
   CREATE TABLE IF NOT EXISTS jmap_objects (
     address TEXT NOT NULL,
     type TEXT NOT NULL,
     id TEXT NOT NULL,
     data TEXT,
     created INTEGER NOT NULL,
     modseq INTEGER NOT NULL,
     destroyed INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (address, type, id)
   );
   CREATE INDEX IF NOT EXISTS jmap_objects_modseq ON jmap_objects(address, type, modseq);
   CREATE TABLE IF NOT EXISTS jmap_counters (
     address TEXT NOT NULL,
     type TEXT NOT NULL,
     modseq INTEGER NOT NULL,
     PRIMARY KEY (address, type)
   );
   CREATE TABLE IF NOT EXISTS vacation_responses (
     address TEXT PRIMARY KEY,
     enabled INTEGER NOT NULL DEFAULT 0,
     from_date INTEGER,
     to_date INTEGER,
     subject TEXT,
     text_body TEXT,
     html_body TEXT,
     updated INTEGER NOT NULL
   );`,
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
