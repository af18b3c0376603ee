// The embedded SQLite database in the data dir: accounts, domains, aliases (and, later, indexes).
// Opened once per process or worker thread; schema migrations are idempotent and run on open.
// The file is created private (0600), whatever the umask: it holds password hashes and sealed secrets.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export const MIGRATIONS: string[] = [
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
  // account settings (engine/accounts/rights.ts, settings.ts, docs/accounts.md): admin rights as rows (the one
  // source of truth: system, host admin of a domain, list admin of a list; the users.*_admin columns are kept
  // as a derived copy), per-user quota overrides and per-domain defaults for new users. Every statement is
  // idempotent, so running it again (migrations merged in another order) changes nothing.
  `CREATE TABLE IF NOT EXISTS admin_rights (
     address TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('system', 'host', 'list')),
     target TEXT NOT NULL DEFAULT '',
     created INTEGER NOT NULL,
     PRIMARY KEY (address, kind, target)
   );
   CREATE INDEX IF NOT EXISTS admin_rights_target ON admin_rights(kind, target);
   INSERT OR IGNORE INTO admin_rights (address, kind, target, created) SELECT address, 'system', '', created FROM users WHERE system_admin = 1;
   INSERT OR IGNORE INTO admin_rights (address, kind, target, created) SELECT address, 'host', domain, created FROM users WHERE host_admin = 1;
   CREATE TABLE IF NOT EXISTS user_quotas (
     address TEXT PRIMARY KEY,
     bytes INTEGER,
     messages INTEGER
   );
   CREATE TABLE IF NOT EXISTS domain_defaults (
     domain TEXT PRIMARY KEY,
     reply_to TEXT,
     forward TEXT,
     keep_copy INTEGER,
     cannot_change_password INTEGER,
     disabled INTEGER,
     web_access INTEGER,
     quota_bytes INTEGER NOT NULL DEFAULT 0,
     quota_messages INTEGER NOT NULL DEFAULT 0
   );
   CREATE TRIGGER IF NOT EXISTS users_domain_defaults AFTER INSERT ON users
   WHEN EXISTS (SELECT 1 FROM domain_defaults WHERE domain = new.domain)
   BEGIN
     UPDATE users SET
       reply_to = COALESCE((SELECT reply_to FROM domain_defaults WHERE domain = new.domain), reply_to),
       forward = CASE WHEN forward = '' THEN COALESCE((SELECT forward FROM domain_defaults WHERE domain = new.domain), '') ELSE forward END,
       keep_copy = COALESCE((SELECT keep_copy FROM domain_defaults WHERE domain = new.domain), keep_copy),
       cannot_change_password = COALESCE((SELECT cannot_change_password FROM domain_defaults WHERE domain = new.domain), cannot_change_password),
       web_access = COALESCE((SELECT web_access FROM domain_defaults WHERE domain = new.domain), web_access),
       disabled = MAX(disabled, COALESCE((SELECT disabled FROM domain_defaults WHERE domain = new.domain), 0))
     WHERE address = new.address;
   END;
   CREATE TRIGGER IF NOT EXISTS users_delete_settings AFTER DELETE ON users
   BEGIN
     DELETE FROM user_quotas WHERE address = old.address;
     DELETE FROM admin_rights WHERE address = old.address;
   END;
   CREATE TRIGGER IF NOT EXISTS domains_delete_settings AFTER DELETE ON domains
   BEGIN
     DELETE FROM domain_defaults WHERE domain = old.name;
     DELETE FROM admin_rights WHERE kind = 'host' AND target = old.name;
   END;`,
  // one fact, two readers: a list's administrators (list_admins: who is notified and may moderate, by mail or
  // the CLI; may be an outside address) and the A2 list-admin right of a local account (admin_rights: what the
  // web administration lets it see). Kept equal both ways for local accounts by triggers, so neither the lists
  // code nor the accounts code can forget the other (a trigger never fires itself again: no loop).
  `INSERT OR IGNORE INTO admin_rights (address, kind, target, created)
     SELECT la.address, 'list', la.list, CAST(strftime('%s','now') AS INTEGER) * 1000 FROM list_admins la JOIN users u ON u.address = la.address;
   INSERT OR IGNORE INTO list_admins (list, address)
     SELECT r.target, r.address FROM admin_rights r JOIN lists l ON l.address = r.target WHERE r.kind = 'list';
   UPDATE users SET list_admin = EXISTS (SELECT 1 FROM admin_rights r WHERE r.address = users.address AND r.kind = 'list');
   CREATE TRIGGER IF NOT EXISTS list_admins_grant AFTER INSERT ON list_admins
   WHEN EXISTS (SELECT 1 FROM users WHERE address = new.address)
   BEGIN
     INSERT OR IGNORE INTO admin_rights (address, kind, target, created) VALUES (new.address, 'list', new.list, CAST(strftime('%s','now') AS INTEGER) * 1000);
     UPDATE users SET list_admin = 1 WHERE address = new.address;
   END;
   CREATE TRIGGER IF NOT EXISTS list_admins_revoke AFTER DELETE ON list_admins
   BEGIN
     DELETE FROM admin_rights WHERE address = old.address AND kind = 'list' AND target = old.list;
     UPDATE users SET list_admin = EXISTS (SELECT 1 FROM admin_rights r WHERE r.address = old.address AND r.kind = 'list') WHERE address = old.address;
   END;
   CREATE TRIGGER IF NOT EXISTS admin_rights_list_grant AFTER INSERT ON admin_rights
   WHEN new.kind = 'list' AND EXISTS (SELECT 1 FROM lists WHERE address = new.target)
   BEGIN
     INSERT OR IGNORE INTO list_admins (list, address) VALUES (new.target, new.address);
   END;
   CREATE TRIGGER IF NOT EXISTS admin_rights_list_revoke AFTER DELETE ON admin_rights
   WHEN old.kind = 'list'
   BEGIN
     DELETE FROM list_admins WHERE list = old.target AND address = old.address;
   END;`,
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
  // JMAP (engine/jmap/): app tokens for non-browser clients (SHA-256 only), the account's Identity and
  // EmailSubmission objects with their change history (the VacationResponse lives in the rules store's vacations)
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
   );`,
  // A deleted account takes everything that acts for it or speaks as it: an address given to someone else later
  // must not inherit the old owner's web sessions, API/JMAP tokens, Sieve scripts (a redirect to the old owner),
  // vacation and auto-replies, reply history or JMAP identities. Its mail folder is set aside as an orphan (A4).
  `DROP TRIGGER IF EXISTS users_delete_settings;
   CREATE TRIGGER users_delete_settings AFTER DELETE ON users
   BEGIN
     DELETE FROM user_quotas WHERE address = old.address;
     DELETE FROM admin_rights WHERE address = old.address;
     DELETE FROM web_sessions WHERE address = old.address;
     DELETE FROM api_tokens WHERE address = old.address;
     DELETE FROM jmap_tokens WHERE address = old.address;
     DELETE FROM sieve_scripts WHERE owner = old.address;
     DELETE FROM vacations WHERE address = old.address;
     DELETE FROM auto_replies WHERE address = old.address;
     DELETE FROM reply_history WHERE address = old.address;
     DELETE FROM jmap_objects WHERE address = old.address;
   END;`,
  // Sieve redirects per account and day ([sieve] max_redirects_per_day, engine/sieve/redirect-count.ts), one row
  // per message and account sent on (msg: the queue id), so a delivery retried after a failure is counted
  // once. Earlier versions made the table without msg at the first redirect: it is kept, its rows still count.
  `CREATE TABLE IF NOT EXISTS sieve_redirects (
     address TEXT NOT NULL,
     at INTEGER NOT NULL,
     n INTEGER NOT NULL
   );
   ALTER TABLE sieve_redirects ADD COLUMN msg TEXT;
   CREATE INDEX IF NOT EXISTS sieve_redirects_at ON sieve_redirects(address, at);
   CREATE UNIQUE INDEX IF NOT EXISTS sieve_redirects_msg ON sieve_redirects(address, msg);`,
  // Per-account sending limits (engine/submission/send-ledger.ts): one row per message an account sent (its queue
  // id; settled = got its 250), pruned past 24 hours, and the overrides (an account's, or "@domain" for a domain's
  // default; null = the next level's). A deleted account's rows go with it (the address may be given again).
  `CREATE TABLE IF NOT EXISTS send_log (
     address TEXT NOT NULL,
     msg TEXT NOT NULL,
     at INTEGER NOT NULL,
     rcpts INTEGER NOT NULL,
     settled INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (address, msg)
   );
   CREATE INDEX IF NOT EXISTS send_log_at ON send_log(address, at);
   CREATE TABLE IF NOT EXISTS send_limits (
     key TEXT PRIMARY KEY,
     messages_hour INTEGER,
     messages_day INTEGER,
     recipients_hour INTEGER,
     recipients_day INTEGER
   );
   CREATE TRIGGER IF NOT EXISTS users_delete_send_limits AFTER DELETE ON users
   BEGIN
     DELETE FROM send_limits WHERE key = old.address;
     DELETE FROM send_log WHERE address = old.address;
   END;`,
  // ... and its Sieve redirect counts, JMAP change counters, list subscriptions (whoever gets the address next is
  // no member of the old owner's lists, a private list a moderator admitted it to included), pending list
  // requests, bounce and reply counts: nothing of the account stays behind. (Rows that accounts deleted before
  // left stay: a redirect count is pruned at the address's next redirect, and a counter only goes on counting.)
  `DROP TRIGGER IF EXISTS users_delete_settings;
   CREATE TRIGGER users_delete_settings AFTER DELETE ON users
   BEGIN
     DELETE FROM user_quotas WHERE address = old.address;
     DELETE FROM admin_rights WHERE address = old.address;
     DELETE FROM web_sessions WHERE address = old.address;
     DELETE FROM api_tokens WHERE address = old.address;
     DELETE FROM jmap_tokens WHERE address = old.address;
     DELETE FROM sieve_scripts WHERE owner = old.address;
     DELETE FROM vacations WHERE address = old.address;
     DELETE FROM auto_replies WHERE address = old.address;
     DELETE FROM reply_history WHERE address = old.address;
     DELETE FROM jmap_objects WHERE address = old.address;
     DELETE FROM jmap_counters WHERE address = old.address;
     DELETE FROM sieve_redirects WHERE address = old.address;
     DELETE FROM list_members WHERE address = old.address;
     DELETE FROM list_requests WHERE address = old.address;
     DELETE FROM list_bounces WHERE address = old.address;
     DELETE FROM list_replies WHERE address = old.address;
   END;
   CREATE INDEX IF NOT EXISTS list_members_address ON list_members(address);
   CREATE INDEX IF NOT EXISTS list_requests_address ON list_requests(address);
   CREATE INDEX IF NOT EXISTS list_bounces_address ON list_bounces(address);
   CREATE INDEX IF NOT EXISTS list_replies_address ON list_replies(address);`,
  // ... and the day count of its forward list's copies (workers/forward-cap.ts). Its Bayes counts are in
  // bayes.db, another file no trigger here reaches: SqliteDirectory.deleteUser removes them (forgetBayes).
  `CREATE TRIGGER IF NOT EXISTS users_delete_forward_count AFTER DELETE ON users
   BEGIN
     DELETE FROM sieve_redirects WHERE address = 'forward:' || old.address;
   END;`,
];

/** The main database's file in a data dir: <dataDir>/tegami.db (every module names it through this). */
export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'tegami.db');
}

export function openDatabase(dataDir: string, opts: { readonly?: boolean } = {}): Db {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = databaseFile(dataDir);
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

/** The same schema in a private in-memory database (the PostgreSQL directory's local copy, engine/accounts/pg-directory.ts). */
export function openMemoryDatabase(): Db {
  const db = new Database(':memory:');
  for (const m of MIGRATIONS) db.exec(m);
  db.pragma(`user_version = ${MIGRATIONS.length}`);
  return db;
}
