// The mailbox store's PostgreSQL schema (migrations 10–19; engine/store/pg-*.ts use it): accounts with one MODSEQ
// and change log each, mailboxes, message rows, email/thread facts, and content-addressed bodies in chunks.
// Released entries are never edited: a change is a new entry. Times are ms since the epoch (bigint).
import type { Migration } from './migrations.js';

export const STORE_MIGRATIONS: Migration[] = [
  {
    version: 10,
    name: 'mailbox store: accounts, mailboxes, messages, change log, threads, content-addressed bodies',
    sql: `
      -- one row per mail owner: the account MODSEQ every change takes (IMAP MODSEQ and JMAP states are one
      -- history), the JMAP state of each type, and the floor below which destroyed rows were trimmed
      CREATE TABLE mail_accounts (
        owner text PRIMARY KEY,
        epoch bigint NOT NULL,
        modseq bigint NOT NULL DEFAULT 1,
        floor bigint NOT NULL DEFAULT 0,
        state_email bigint NOT NULL DEFAULT 0,
        state_mailbox bigint NOT NULL DEFAULT 0,
        state_thread bigint NOT NULL DEFAULT 0,
        state_delivery bigint NOT NULL DEFAULT 0,
        last_uidvalidity bigint NOT NULL DEFAULT 0,
        -- quota usage, kept by the message triggers (a sum over every message per APPEND would not scale)
        used_bytes bigint NOT NULL DEFAULT 0,
        used_messages bigint NOT NULL DEFAULT 0
      );
      CREATE TABLE mail_mailboxes (
        id bigserial PRIMARY KEY,
        owner text NOT NULL REFERENCES mail_accounts(owner) ON DELETE CASCADE,
        name text NOT NULL,
        uidvalidity bigint NOT NULL,
        uidnext bigint NOT NULL DEFAULT 1 CHECK (uidnext >= 1),
        highestmodseq bigint NOT NULL DEFAULT 1,
        sort_order integer,
        UNIQUE (owner, name),
        UNIQUE (owner, uidvalidity)
      );
      CREATE TABLE mail_subscriptions (
        owner text NOT NULL REFERENCES mail_accounts(owner) ON DELETE CASCADE,
        name text NOT NULL,
        PRIMARY KEY (owner, name)
      );
      -- bodies by SHA-256, in chunks (a large APPEND is streamed in, a partial FETCH reads only its chunks);
      -- refs counts the message rows naming the body (kept by the triggers below), unreferenced_at starts the
      -- collector's grace period
      CREATE TABLE mail_blobs (
        hash bytea PRIMARY KEY CHECK (length(hash) = 32),
        size bigint NOT NULL,
        refs integer NOT NULL DEFAULT 0,
        unreferenced_at bigint
      );
      CREATE INDEX mail_blobs_unreferenced ON mail_blobs (unreferenced_at) WHERE refs = 0;
      CREATE TABLE mail_blob_chunks (
        hash bytea NOT NULL REFERENCES mail_blobs(hash) ON DELETE CASCADE,
        n integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (hash, n)
      );
      CREATE TABLE mail_messages (
        mailbox_id bigint NOT NULL REFERENCES mail_mailboxes(id) ON DELETE CASCADE,
        uid bigint NOT NULL,
        owner text NOT NULL,
        -- the message's stable key (POP3 UIDL, and email_id is its hash as with Maildir base names); a copy keeps it
        email_key text NOT NULL,
        email_id text NOT NULL,
        letters text NOT NULL DEFAULT '',
        keywords text NOT NULL DEFAULT '',
        modseq bigint NOT NULL,
        internal_date bigint NOT NULL,
        size bigint NOT NULL,
        blob_hash bytea NOT NULL REFERENCES mail_blobs(hash),
        dedup_key text,
        PRIMARY KEY (mailbox_id, uid)
      );
      CREATE INDEX mail_messages_email ON mail_messages (owner, email_id);
      CREATE INDEX mail_messages_blob ON mail_messages (blob_hash);
      CREATE UNIQUE INDEX mail_messages_dedup ON mail_messages (mailbox_id, dedup_key) WHERE dedup_key IS NOT NULL;
      CREATE FUNCTION tegami_blob_refs() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          UPDATE mail_blobs SET refs = refs + 1, unreferenced_at = NULL WHERE hash = NEW.blob_hash;
          UPDATE mail_accounts SET used_bytes = used_bytes + NEW.size, used_messages = used_messages + 1 WHERE owner = NEW.owner;
          RETURN NEW;
        END IF;
        UPDATE mail_blobs SET refs = refs - 1,
          unreferenced_at = CASE WHEN refs = 1 THEN (extract(epoch FROM clock_timestamp()) * 1000)::bigint END
          WHERE hash = OLD.blob_hash;
        UPDATE mail_accounts SET used_bytes = used_bytes - OLD.size, used_messages = used_messages - 1 WHERE owner = OLD.owner;
        RETURN OLD;
      END $$;
      CREATE TRIGGER mail_messages_blob_refs AFTER INSERT OR DELETE ON mail_messages
        FOR EACH ROW EXECUTE FUNCTION tegami_blob_refs();
      -- per email: its thread and header facts (while any copy exists); threads by message id and base subject
      CREATE TABLE mail_emails (
        owner text NOT NULL,
        email_id text NOT NULL,
        thread_id text NOT NULL,
        meta text NOT NULL,
        extra text,
        PRIMARY KEY (owner, email_id)
      );
      CREATE INDEX mail_emails_thread ON mail_emails (owner, thread_id);
      CREATE TABLE mail_threads (
        owner text NOT NULL,
        thread_id text NOT NULL,
        subject text NOT NULL,
        PRIMARY KEY (owner, thread_id)
      );
      CREATE TABLE mail_thread_keys (
        owner text NOT NULL,
        msgid text NOT NULL,
        thread_id text NOT NULL,
        PRIMARY KEY (owner, msgid, thread_id)
      );
      CREATE INDEX mail_thread_keys_thread ON mail_thread_keys (owner, thread_id);
      -- the JMAP change log: one row per object and type (created at, last changed at, destroyed?)
      CREATE TABLE mail_changes (
        owner text NOT NULL,
        type text NOT NULL CHECK (type IN ('Email', 'Mailbox', 'Thread')),
        id text NOT NULL,
        created bigint NOT NULL,
        modseq bigint NOT NULL,
        destroyed boolean NOT NULL DEFAULT false,
        props bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (owner, type, id)
      );
      CREATE INDEX mail_changes_modseq ON mail_changes (owner, type, modseq);
    `,
  },
];
