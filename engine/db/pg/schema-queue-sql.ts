// The PostgreSQL schema of the shared queue (scale-out, issue 17): migrations 20–29. One row per queued
// message with its envelope, its body in a content-addressed table, and one row per recipient carrying its
// delivery state and its lease (owner node, expiry). Released entries are never edited: a change is a new one.
import type { Migration } from './migrations.js';

export const QUEUE_MIGRATIONS: Migration[] = [
  {
    version: 20,
    name: 'shared queue: message bodies, envelopes, recipients with leases, takeover events',
    sql: `
      -- the spooled message bytes (header block excluded), stored once per SHA-256; rows no envelope references
      -- are collected after the message that used them is removed
      CREATE TABLE queue_bodies (
        sha256 bytea PRIMARY KEY CHECK (length(sha256) = 32),
        data bytea NOT NULL,
        size integer NOT NULL
      );
      CREATE TABLE queue_envelopes (
        id text PRIMARY KEY,
        sender text NOT NULL,
        envelope jsonb NOT NULL,
        size integer NOT NULL,
        body_sha256 bytea NOT NULL REFERENCES queue_bodies (sha256),
        created bigint NOT NULL,
        node text NOT NULL,
        held boolean NOT NULL DEFAULT false,
        delay_warned boolean NOT NULL DEFAULT false
      );
      CREATE INDEX queue_envelopes_body ON queue_envelopes (body_sha256);
      CREATE TABLE queue_recipients (
        message_id text NOT NULL REFERENCES queue_envelopes (id) ON DELETE CASCADE,
        address text NOT NULL,
        rcpt text NOT NULL,
        dest text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'deferred', 'sent', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt bigint NOT NULL,
        last_attempt bigint,
        last_reply text,
        notify text[],
        orcpt text,
        owner text,
        lease_until bigint,
        PRIMARY KEY (message_id, address)
      );
      CREATE INDEX queue_recipients_due ON queue_recipients (next_attempt) WHERE state IN ('pending', 'deferred');
      CREATE INDEX queue_recipients_leased ON queue_recipients (dest, lease_until) WHERE owner IS NOT NULL;
      CREATE INDEX queue_recipients_owner ON queue_recipients (owner) WHERE owner IS NOT NULL;
      -- a lease that ended without an outcome (its node died or lost the database mid-delivery) and was claimed
      -- again: the one window in which a recipient can get the message twice; counted here, one row per claim
      CREATE TABLE queue_events (
        seq bigserial PRIMARY KEY,
        at bigint NOT NULL,
        kind text NOT NULL,
        node text NOT NULL,
        message_id text NOT NULL,
        address text NOT NULL,
        detail text NOT NULL DEFAULT ''
      );
      CREATE INDEX queue_events_kind ON queue_events (kind, at);
    `,
  },
  {
    version: 21,
    name: 'shared queue: the ids of messages handed over from a node\'s spool, kept after their delivery',
    sql: `
      -- a node copies a message from its local spool into the queue (pg-remote.ts) and only then updates its
      -- spool; killed in between, it repeats the copy at restart. The id is recorded here in the copy's
      -- transaction and outlives the message's rows, so a repeat after another node has already delivered and
      -- removed the message queues nothing again (pruned after [queue] max_queue_lifetime and a day)
      CREATE TABLE queue_handovers (
        id text PRIMARY KEY,
        node text NOT NULL,
        at bigint NOT NULL
      );
      CREATE INDEX queue_handovers_at ON queue_handovers (at);
    `,
  },
  {
    version: 22,
    name: 'shared queue: domains held by the operator (tegami queue hold --domain), honoured by every node',
    sql: `
      -- no node claims a recipient of a held domain, now or for mail that arrives later, until it is released
      CREATE TABLE queue_holds (
        domain text PRIMARY KEY,
        since bigint NOT NULL,
        node text NOT NULL
      );
    `,
  },
  {
    version: 23,
    name: 'shared queue: queue_events pruned by age, once per cluster (engine/queue/pg-events-prune.ts)',
    sql: `
      -- jobs every node schedules but one node of the cluster runs per period: when each last ran (node time, ms)
      CREATE TABLE cluster_jobs (
        name text PRIMARY KEY,
        last_run bigint NOT NULL,
        node text NOT NULL
      );
      -- rows past [queue] events_retention are deleted by age, whatever their kind
      CREATE INDEX queue_events_at ON queue_events (at);
    `,
  },
  {
    version: 24,
    name: 'shared queue: the worker\'s no-notice decision kept with the message (security review 8)',
    sql: `
      -- why this message's sender gets no notice (the sender may be forged: workers/notice-sender.ts), decided by
      -- the worker at the message's first run and handed over with it; NULL: notices as usual (rows queued before)
      ALTER TABLE queue_envelopes ADD COLUMN no_notice text CHECK (no_notice IS NULL OR length(no_notice) BETWEEN 1 AND 200);
    `,
  },
];
