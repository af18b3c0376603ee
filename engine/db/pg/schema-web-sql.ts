// Migrations of the web and JMAP state every node shares (40–49): the JMAP objects the mailbox store does not
// hold (Identity, EmailSubmission, the webmail's preferences) and their state counters, as in SQLite's
// jmap_objects / jmap_counters (engine/db/database.ts), and JMAP uploads (files on a single node). Web sessions
// are migration 7's web_sessions.
import type { Migration } from './migrations.js';

export const WEB_MIGRATIONS: Migration[] = [
  {
    version: 40,
    name: 'JMAP objects outside the mailbox store (identities, submissions) and their states, shared by every node',
    sql: `
      CREATE TABLE jmap_objects (
        address text NOT NULL,
        type text NOT NULL,
        id text NOT NULL,
        data text,
        created bigint NOT NULL,
        modseq bigint NOT NULL,
        destroyed boolean NOT NULL DEFAULT false,
        PRIMARY KEY (address, type, id)
      );
      CREATE INDEX jmap_objects_modseq ON jmap_objects (address, type, modseq);
      -- the MODSEQ of each (account, type), and "<type>.floor" below which /changes cannot answer
      CREATE TABLE jmap_counters (
        address text NOT NULL,
        type text NOT NULL,
        modseq bigint NOT NULL,
        PRIMARY KEY (address, type)
      );
      CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen);
      -- JMAP uploads (engine/jmap/pg-blobs.ts): id "U" + 40 hex of the content's SHA-256, per account
      CREATE TABLE jmap_uploads (
        address text NOT NULL,
        id text NOT NULL,
        type text NOT NULL,
        size bigint NOT NULL,
        created bigint NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (address, id)
      );
      CREATE INDEX jmap_uploads_created ON jmap_uploads (created);
    `,
  },
];
