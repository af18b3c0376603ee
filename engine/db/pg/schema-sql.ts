// The PostgreSQL schema, as numbered migrations (engine/db/pg/migrations.ts runs them). Released entries are
// never edited: a change is a new entry. Times are milliseconds since the epoch (bigint), as in SQLite.
import type { Migration } from './migrations.js';
import { ACCOUNTS_MIGRATIONS } from './schema-accounts-sql.js';
import { STORE_MIGRATIONS } from './schema-store-sql.js';
import { QUEUE_MIGRATIONS } from './schema-queue-sql.js';
import { WEB_MIGRATIONS } from './schema-web-sql.js';
import { ACTIVITY_MIGRATIONS } from './schema-activity-sql.js';
import { KEY_MIGRATIONS } from './schema-keys-sql.js';

const CORE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'accounts: domains, users, aliases; change notifications',
    sql: `
      CREATE TABLE domains (
        name text PRIMARY KEY,
        created bigint NOT NULL
      );
      CREATE TABLE users (
        address text PRIMARY KEY,
        local text NOT NULL,
        domain text NOT NULL,
        password_hash text NOT NULL,
        secret_sealed text,
        scram_sha256 text,
        full_name text NOT NULL DEFAULT '',
        reply_to text NOT NULL DEFAULT '',
        forward text NOT NULL DEFAULT '',
        keep_copy boolean NOT NULL DEFAULT true,
        disabled boolean NOT NULL DEFAULT false,
        cannot_change_password boolean NOT NULL DEFAULT false,
        web_access boolean NOT NULL DEFAULT true,
        host_admin boolean NOT NULL DEFAULT false,
        list_admin boolean NOT NULL DEFAULT false,
        system_admin boolean NOT NULL DEFAULT false,
        created bigint NOT NULL
      );
      CREATE INDEX users_domain ON users(domain);
      CREATE TABLE aliases (
        address text PRIMARY KEY,
        targets text NOT NULL,
        created bigint NOT NULL
      );
      -- every node keeps the directory in memory; a committed change tells them all to reload
      CREATE FUNCTION tegami_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tegami_directory', TG_TABLE_NAME);
        RETURN NULL;
      END $$;
      CREATE TRIGGER domains_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON domains
        FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
        FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER aliases_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aliases
        FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
    `,
  },
  {
    version: 2,
    name: 'login throttle shared by all nodes',
    sql: `
      CREATE TABLE login_failures (
        scope text NOT NULL CHECK (scope IN ('client', 'account')),
        key text NOT NULL,
        at bigint NOT NULL
      );
      CREATE INDEX login_failures_key ON login_failures (scope, key, at);
      CREATE INDEX login_failures_at ON login_failures (at);
      CREATE TABLE login_blocks (
        client text PRIMARY KEY,
        until bigint NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'queue leases: one row per queued message, claimed by one node at a time',
    sql: `
      CREATE TABLE queue_messages (
        id text PRIMARY KEY,
        due bigint NOT NULL,
        owner text,
        lease_until bigint,
        attempts integer NOT NULL DEFAULT 0,
        done boolean NOT NULL DEFAULT false,
        created bigint NOT NULL
      );
      CREATE INDEX queue_messages_due ON queue_messages (due) WHERE NOT done;
      CREATE INDEX queue_messages_owner ON queue_messages (owner) WHERE owner IS NOT NULL;
    `,
  },
  {
    version: 30,
    name: 'shared limits: open connections per client on each node',
    sql: `
      -- each node replaces its own rows every few seconds; a row not refreshed (its node died) stops counting
      CREATE TABLE conn_counts (
        node text NOT NULL,
        protocol text NOT NULL,
        client text NOT NULL,
        n integer NOT NULL CHECK (n > 0),
        at bigint NOT NULL,
        PRIMARY KEY (node, protocol, client)
      );
    `,
  },
  {
    version: 31,
    name: 'DKIM private keys, sealed with the server key (keys/secret.key) every node holds',
    sql: `
      -- key_sealed: AES-256-GCM of the PEM under keys/secret.key (engine/accounts/password.ts seal); never the PEM
      CREATE TABLE dkim_keys (
        domain text NOT NULL,
        selector text NOT NULL,
        key_sealed text NOT NULL,
        created bigint NOT NULL,
        PRIMARY KEY (domain, selector)
      );
      CREATE TRIGGER dkim_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dkim_keys FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
    `,
  },
  {
    version: 32,
    name: "a deleted account's mail in the shared store is set aside as an orphan (FEATURES A4), whoever deletes it",
    sql: `
      -- the account row goes (a CLI command, the admin pages, any node's copy pushing its delete): its mail moves,
      -- in the same transaction, to the owner "orphan/<UTC time>-<8 hex>/<address>", so an account made later under
      -- the address starts empty, as with a Maildir orphan; nothing is deleted, no login can name that owner
      CREATE FUNCTION tegami_orphan_mail() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        dest text;
      BEGIN
        PERFORM 1 FROM mail_accounts WHERE owner = OLD.address FOR UPDATE;
        IF NOT FOUND THEN
          RETURN OLD;
        END IF;
        dest := 'orphan/' || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"') || '-'
          || substr(md5(random()::text || clock_timestamp()::text), 1, 8) || '/' || OLD.address;
        INSERT INTO mail_accounts (owner, epoch, modseq, floor, state_email, state_mailbox, state_thread, state_delivery, last_uidvalidity, used_bytes, used_messages)
          SELECT dest, epoch, modseq, floor, state_email, state_mailbox, state_thread, state_delivery, last_uidvalidity, used_bytes, used_messages
          FROM mail_accounts WHERE owner = OLD.address;
        UPDATE mail_mailboxes SET owner = dest WHERE owner = OLD.address;
        UPDATE mail_subscriptions SET owner = dest WHERE owner = OLD.address;
        UPDATE mail_messages SET owner = dest WHERE owner = OLD.address;
        UPDATE mail_emails SET owner = dest WHERE owner = OLD.address;
        UPDATE mail_threads SET owner = dest WHERE owner = OLD.address;
        UPDATE mail_thread_keys SET owner = dest WHERE owner = OLD.address;
        UPDATE mail_changes SET owner = dest WHERE owner = OLD.address;
        DELETE FROM mail_accounts WHERE owner = OLD.address;
        RETURN OLD;
      END $$;
      CREATE TRIGGER users_orphan_mail AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION tegami_orphan_mail();
    `,
  },
  {
    version: 33,
    name: "the login throttle's account spacing and the owners' known networks shared by all nodes",
    sql: `
      -- an account being guessed at: when its next spaced attempt may run, on any node (engine/net/pg-login-counts.ts)
      CREATE TABLE login_slots (
        account text PRIMARY KEY,
        next_slot bigint NOT NULL
      );
      -- client networks that logged in to an account (at most 8 per account, newest kept): they skip the spacing
      CREATE TABLE login_known (
        account text NOT NULL,
        client text NOT NULL,
        at bigint NOT NULL,
        PRIMARY KEY (account, client)
      );
    `,
  },
  {
    version: 34,
    name: 'a deleted account takes its sessions, tokens, Sieve scripts, replies and JMAP objects with it',
    sql: `
      -- as SQLite's users_delete_settings: an address given to someone else later inherits nothing that acts for
      -- the old owner (a session, a token, a redirecting script, a vacation, an identity)
      CREATE OR REPLACE FUNCTION tegami_user_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM user_quotas WHERE address = OLD.address;
        DELETE FROM admin_rights WHERE address = OLD.address;
        DELETE FROM web_sessions WHERE address = OLD.address;
        DELETE FROM api_tokens WHERE address = OLD.address;
        DELETE FROM jmap_tokens WHERE address = OLD.address;
        DELETE FROM sieve_scripts WHERE owner = OLD.address;
        DELETE FROM vacations WHERE address = OLD.address;
        DELETE FROM auto_replies WHERE address = OLD.address;
        DELETE FROM reply_history WHERE address = OLD.address;
        DELETE FROM jmap_objects WHERE address = OLD.address;
        DELETE FROM jmap_uploads WHERE address = OLD.address;
        DELETE FROM login_known WHERE account = OLD.address;
        DELETE FROM login_slots WHERE account = OLD.address;
        RETURN NULL;
      END $$;
    `,
  },
];

/** Sieve's per-day redirect count (engine/sieve/redirect-count.ts), in the web/JMAP range (accounts 4–9 are taken). */
const SIEVE_MIGRATIONS: Migration[] = [
  {
    version: 41,
    name: 'Sieve redirects per account and day, counted by every node',
    sql: `
      CREATE TABLE sieve_redirects (
        address text NOT NULL,
        at bigint NOT NULL,
        n integer NOT NULL
      );
      CREATE INDEX sieve_redirects_at ON sieve_redirects (address, at);
    `,
  },
  {
    version: 42,
    name: 'Sieve redirects counted once per message (a retried delivery is not counted again)',
    sql: `
      ALTER TABLE sieve_redirects ADD COLUMN IF NOT EXISTS msg text;
      CREATE UNIQUE INDEX IF NOT EXISTS sieve_redirects_msg ON sieve_redirects (address, msg);
    `,
  },
  {
    version: 43,
    name: 'a deleted account takes its Sieve redirect counts, JMAP counters, list subscriptions and login failures with it',
    sql: `
      -- as SQLite's users_delete_settings: nothing of the account stays behind, and whoever gets the address next
      -- is no member of the old owner's lists (a private one a moderator admitted it to included), nor counted in its redirects
      CREATE OR REPLACE FUNCTION tegami_user_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM user_quotas WHERE address = OLD.address;
        DELETE FROM admin_rights WHERE address = OLD.address;
        DELETE FROM web_sessions WHERE address = OLD.address;
        DELETE FROM api_tokens WHERE address = OLD.address;
        DELETE FROM jmap_tokens WHERE address = OLD.address;
        DELETE FROM sieve_scripts WHERE owner = OLD.address;
        DELETE FROM vacations WHERE address = OLD.address;
        DELETE FROM auto_replies WHERE address = OLD.address;
        DELETE FROM reply_history WHERE address = OLD.address;
        DELETE FROM jmap_objects WHERE address = OLD.address;
        DELETE FROM jmap_uploads WHERE address = OLD.address;
        DELETE FROM login_known WHERE account = OLD.address;
        DELETE FROM login_slots WHERE account = OLD.address;
        DELETE FROM jmap_counters WHERE address = OLD.address;
        DELETE FROM sieve_redirects WHERE address = OLD.address;
        DELETE FROM list_members WHERE address = OLD.address;
        DELETE FROM list_requests WHERE address = OLD.address;
        DELETE FROM list_bounces WHERE address = OLD.address;
        DELETE FROM list_replies WHERE address = OLD.address;
        DELETE FROM login_failures WHERE scope = 'account' AND key = OLD.address;
        RETURN NULL;
      END $$;
      CREATE INDEX IF NOT EXISTS list_members_address ON list_members (address);
      CREATE INDEX IF NOT EXISTS list_requests_address ON list_requests (address);
      CREATE INDEX IF NOT EXISTS list_bounces_address ON list_bounces (address);
      CREATE INDEX IF NOT EXISTS list_replies_address ON list_replies (address);
    `,
  },
];

/** Every migration, in version order: the core ones above and those of each part (accounts 4–9, store 10–19, queue 20–29, web 40–49, list activity 50–59). */
export const MIGRATIONS: Migration[] = [...CORE_MIGRATIONS, ...ACCOUNTS_MIGRATIONS, ...STORE_MIGRATIONS, ...QUEUE_MIGRATIONS, ...WEB_MIGRATIONS, ...SIEVE_MIGRATIONS, ...KEY_MIGRATIONS, ...ACTIVITY_MIGRATIONS].sort((a, b) => a.version - b.version);
