// The PostgreSQL schema of everything around the accounts (migrations 4–9): mailing lists, admin rights, quotas,
// domain defaults, rules (Sieve, vacation, auto-replies), settings, web/API tokens and Bayes. Column for column
// the SQLite schema (engine/db/database.ts), so a node's local copy and an import map one to one. Released
// entries are never edited: a change is a new entry (versions 4–9 are this file's).
import type { Migration } from './migrations.js';

export const ACCOUNTS_MIGRATIONS: Migration[] = [
  {
    version: 4,
    name: 'mailing lists: settings, members, admins, moderation, requests, bounces, posts, replies, batches',
    sql: `
      CREATE TABLE lists (
        address text PRIMARY KEY,
        name text NOT NULL,
        domain text NOT NULL,
        post text NOT NULL DEFAULT 'members',
        moderated boolean NOT NULL DEFAULT false,
        subject_prefix text NOT NULL DEFAULT '',
        reply_to text NOT NULL DEFAULT 'sender',
        max_size bigint NOT NULL DEFAULT 0,
        digest boolean NOT NULL DEFAULT false,
        archive boolean NOT NULL DEFAULT false,
        dmarc_rewrite text NOT NULL DEFAULT 'policy',
        private boolean NOT NULL DEFAULT false,
        digest_last bigint NOT NULL DEFAULT 0,
        digest_issue bigint NOT NULL DEFAULT 0,
        created bigint NOT NULL
      );
      CREATE INDEX lists_domain ON lists(domain);
      CREATE TABLE list_members (
        id bigint PRIMARY KEY,
        list text NOT NULL,
        address text NOT NULL,
        digest boolean NOT NULL DEFAULT false,
        disabled boolean NOT NULL DEFAULT false,
        disabled_reason text,
        disabled_at bigint,
        added bigint NOT NULL,
        UNIQUE (list, address)
      );
      CREATE TABLE list_admins (
        list text NOT NULL,
        address text NOT NULL,
        PRIMARY KEY (list, address)
      );
      CREATE TABLE list_held (
        id text PRIMARY KEY,
        list text NOT NULL,
        post_key text NOT NULL,
        sender text NOT NULL,
        mail_from text NOT NULL,
        subject text NOT NULL,
        size bigint NOT NULL,
        reason text NOT NULL,
        state text NOT NULL DEFAULT 'held',
        notified boolean NOT NULL DEFAULT false,
        created bigint NOT NULL,
        expires bigint NOT NULL,
        UNIQUE (list, post_key)
      );
      CREATE TABLE list_requests (
        id text PRIMARY KEY,
        list text NOT NULL,
        address text NOT NULL,
        kind text NOT NULL,
        state text NOT NULL,
        digest boolean NOT NULL DEFAULT false,
        created bigint NOT NULL,
        expires bigint NOT NULL,
        UNIQUE (list, address, kind)
      );
      CREATE TABLE list_bounces (
        list text NOT NULL,
        address text NOT NULL,
        at bigint NOT NULL,
        status text NOT NULL,
        kind text NOT NULL,
        counted bigint NOT NULL
      );
      CREATE INDEX list_bounces_member ON list_bounces(list, address, at);
      CREATE TABLE list_posts (
        list text NOT NULL,
        post_key text NOT NULL,
        created bigint NOT NULL,
        PRIMARY KEY (list, post_key)
      );
      CREATE TABLE list_replies (
        list text NOT NULL,
        address text NOT NULL,
        day bigint NOT NULL,
        count bigint NOT NULL,
        PRIMARY KEY (list, address, day)
      );
      CREATE TABLE originated_batches (
        batch text PRIMARY KEY,
        created bigint NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'admin rights, quota overrides, domain defaults; list admins kept equal to list rights',
    sql: `
      CREATE TABLE admin_rights (
        address text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('system', 'host', 'list')),
        target text NOT NULL DEFAULT '',
        created bigint NOT NULL,
        PRIMARY KEY (address, kind, target)
      );
      CREATE INDEX admin_rights_target ON admin_rights(kind, target);
      INSERT INTO admin_rights (address, kind, target, created) SELECT address, 'system', '', created FROM users WHERE system_admin ON CONFLICT DO NOTHING;
      INSERT INTO admin_rights (address, kind, target, created) SELECT address, 'host', domain, created FROM users WHERE host_admin ON CONFLICT DO NOTHING;
      CREATE TABLE user_quotas (
        address text PRIMARY KEY,
        bytes bigint,
        messages bigint
      );
      CREATE TABLE domain_defaults (
        domain text PRIMARY KEY,
        reply_to text,
        forward text,
        keep_copy boolean,
        cannot_change_password boolean,
        disabled boolean,
        web_access boolean,
        quota_bytes bigint NOT NULL DEFAULT 0,
        quota_messages bigint NOT NULL DEFAULT 0
      );
      -- an account's settings go with it; a domain's defaults and host rights with the domain (as in SQLite)
      CREATE FUNCTION tegami_user_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM user_quotas WHERE address = OLD.address;
        DELETE FROM admin_rights WHERE address = OLD.address;
        RETURN NULL;
      END $$;
      CREATE TRIGGER users_delete_settings AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION tegami_user_deleted();
      CREATE FUNCTION tegami_domain_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM domain_defaults WHERE domain = OLD.name;
        DELETE FROM admin_rights WHERE kind = 'host' AND target = OLD.name;
        RETURN NULL;
      END $$;
      CREATE TRIGGER domains_delete_settings AFTER DELETE ON domains FOR EACH ROW EXECUTE FUNCTION tegami_domain_deleted();
      -- one fact, two readers: list_admins (who moderates a list) and the 'list' right of a local account;
      -- kept equal both ways, as the SQLite triggers do (an insert that is already there does nothing: no loop)
      CREATE FUNCTION tegami_list_admin_added() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM users WHERE address = NEW.address) THEN
          INSERT INTO admin_rights (address, kind, target, created)
            VALUES (NEW.address, 'list', NEW.list, (extract(epoch FROM clock_timestamp()) * 1000)::bigint) ON CONFLICT DO NOTHING;
          UPDATE users SET list_admin = true WHERE address = NEW.address AND NOT list_admin;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER list_admins_grant AFTER INSERT ON list_admins FOR EACH ROW EXECUTE FUNCTION tegami_list_admin_added();
      CREATE FUNCTION tegami_list_admin_removed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM admin_rights WHERE address = OLD.address AND kind = 'list' AND target = OLD.list;
        UPDATE users SET list_admin = EXISTS (SELECT 1 FROM admin_rights r WHERE r.address = OLD.address AND r.kind = 'list')
          WHERE address = OLD.address;
        RETURN NULL;
      END $$;
      CREATE TRIGGER list_admins_revoke AFTER DELETE ON list_admins FOR EACH ROW EXECUTE FUNCTION tegami_list_admin_removed();
      CREATE FUNCTION tegami_list_right_added() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.kind = 'list' AND EXISTS (SELECT 1 FROM lists WHERE address = NEW.target) THEN
          INSERT INTO list_admins (list, address) VALUES (NEW.target, NEW.address) ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER admin_rights_list_grant AFTER INSERT ON admin_rights FOR EACH ROW EXECUTE FUNCTION tegami_list_right_added();
      CREATE FUNCTION tegami_list_right_removed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.kind = 'list' THEN
          DELETE FROM list_admins WHERE list = OLD.target AND address = OLD.address;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER admin_rights_list_revoke AFTER DELETE ON admin_rights FOR EACH ROW EXECUTE FUNCTION tegami_list_right_removed();
    `,
  },
  {
    version: 6,
    name: 'rules: Sieve scripts, vacations, auto-replies, reply history',
    sql: `
      CREATE TABLE sieve_scripts (
        owner text NOT NULL,
        name text NOT NULL,
        script text NOT NULL,
        active boolean NOT NULL DEFAULT false,
        updated bigint NOT NULL,
        PRIMARY KEY (owner, name)
      );
      CREATE UNIQUE INDEX sieve_scripts_active ON sieve_scripts(owner) WHERE active;
      CREATE TABLE vacations (
        address text PRIMARY KEY,
        enabled boolean NOT NULL,
        subject text,
        text text NOT NULL,
        html text,
        from_ms bigint,
        until_ms bigint,
        days bigint,
        addresses text NOT NULL DEFAULT '[]',
        sender text,
        updated bigint NOT NULL
      );
      CREATE TABLE auto_replies (
        address text PRIMARY KEY,
        enabled boolean NOT NULL,
        subject text,
        text text NOT NULL,
        interval_s bigint NOT NULL,
        updated bigint NOT NULL
      );
      CREATE TABLE reply_history (
        address text NOT NULL,
        sender text NOT NULL,
        handle text NOT NULL,
        at bigint NOT NULL,
        PRIMARY KEY (address, sender, handle)
      );
      CREATE INDEX reply_history_at ON reply_history(address, at);
    `,
  },
  {
    version: 7,
    name: 'settings changed from the web, web sessions, admin API and JMAP tokens',
    sql: `
      CREATE TABLE settings (
        key text PRIMARY KEY,
        value text NOT NULL,
        updated bigint NOT NULL,
        updated_by text NOT NULL DEFAULT ''
      );
      CREATE TABLE settings_meta (
        id integer PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL
      );
      INSERT INTO settings_meta (id, version) VALUES (1, 0);
      CREATE TABLE web_sessions (
        id_hash text PRIMARY KEY,
        kind text NOT NULL,
        address text NOT NULL,
        csrf text NOT NULL,
        ip text NOT NULL DEFAULT '',
        created bigint NOT NULL,
        last_seen bigint NOT NULL
      );
      CREATE INDEX web_sessions_address ON web_sessions(address);
      CREATE TABLE api_tokens (
        id bigint PRIMARY KEY,
        hash text NOT NULL UNIQUE,
        address text NOT NULL,
        label text NOT NULL DEFAULT '',
        created bigint NOT NULL,
        last_used bigint
      );
      CREATE INDEX api_tokens_address ON api_tokens(address);
      CREATE TABLE jmap_tokens (
        id bigint PRIMARY KEY,
        hash text NOT NULL UNIQUE,
        address text NOT NULL,
        label text NOT NULL DEFAULT '',
        created bigint NOT NULL,
        last_used bigint
      );
      CREATE INDEX jmap_tokens_address ON jmap_tokens(address);
    `,
  },
  {
    version: 8,
    name: 'Bayes tokens shared by all nodes, counted per user',
    sql: `
      CREATE TABLE bayes_tokens (
        owner text NOT NULL,
        token text NOT NULL,
        spam bigint NOT NULL DEFAULT 0,
        ham bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (owner, token)
      );
      CREATE TABLE bayes_totals (
        owner text PRIMARY KEY,
        spam bigint NOT NULL DEFAULT 0,
        ham bigint NOT NULL DEFAULT 0
      );
      CREATE TABLE bayes_learnt (
        owner text NOT NULL,
        key text NOT NULL,
        kind text NOT NULL,
        PRIMARY KEY (owner, key)
      );
    `,
  },
  {
    version: 9,
    name: 'change notifications for every table the nodes keep a local copy of',
    sql: `
      CREATE TRIGGER lists_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lists FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER list_members_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON list_members FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER list_admins_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON list_admins FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER admin_rights_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON admin_rights FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER user_quotas_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_quotas FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER domain_defaults_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON domain_defaults FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER sieve_scripts_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sieve_scripts FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER vacations_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vacations FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER auto_replies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON auto_replies FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER settings_meta_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings_meta FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER api_tokens_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_tokens FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
      CREATE TRIGGER jmap_tokens_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON jmap_tokens FOR EACH STATEMENT EXECUTE FUNCTION tegami_directory_changed();
    `,
  },
];
