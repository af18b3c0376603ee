// The PostgreSQL schema for the per-message state around the mail that every node must share (scale-out, issue 17):
// migration 50. List moderation keeps a held post's bytes with its row and who is carrying out a decision; a
// distributed post names the node that recorded it. Added columns only: rows a single node imported keep working.
// Migrations 51 and 52: the per-account sending counts and limit overrides (engine/submission/pg-send-ledger.ts).
// Migration 53: a deleted account's Bayes counts and forward-list day count go with it.
import type { Migration } from './migrations.js';

export const ACTIVITY_MIGRATIONS: Migration[] = [
  {
    version: 50,
    name: 'shared list activity: held posts with their bytes and a claim, distributed posts with their node',
    sql: `
      -- the held post itself, so a moderator's decision reaching any node can carry it out (NULL: a post
      -- imported from a single node with tegami db import-local, still in that node's held/ directory)
      ALTER TABLE list_held ADD COLUMN raw bytea;
      -- a decision made with the CLI or the admin pages is carried out by one node's housekeeping: it claims the
      -- row until this time (ms), and another node takes it over only after that (the first one died meanwhile)
      ALTER TABLE list_held ADD COLUMN claimed_until bigint NOT NULL DEFAULT 0;
      -- the node whose copies of the post went out: another node that raced it drops its own staged copies
      ALTER TABLE list_posts ADD COLUMN node text NOT NULL DEFAULT '';
    `,
  },
  {
    version: 51,
    name: 'per-account sending counts, shared by every node',
    sql: `
      -- one row per message an account sent (msg: its queue id; settled: it got its 250), pruned past 24 hours
      CREATE TABLE send_log (
        address text NOT NULL,
        msg text NOT NULL,
        at bigint NOT NULL,
        rcpts integer NOT NULL,
        settled boolean NOT NULL DEFAULT false,
        PRIMARY KEY (address, msg)
      );
      CREATE INDEX send_log_at ON send_log (address, at);
    `,
  },
  {
    version: 52,
    name: 'per-account and per-domain sending limit overrides',
    sql: `
      -- key: an account's address, or "@domain" for a domain's default; NULL = the next level's value
      CREATE TABLE send_limits (
        key text PRIMARY KEY,
        messages_hour integer,
        messages_day integer,
        recipients_hour integer,
        recipients_day integer
      );
      -- a deleted account's limits and counts go with it (the address may be given to someone else)
      CREATE FUNCTION tegami_send_limits_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM send_limits WHERE key = OLD.address;
        DELETE FROM send_log WHERE address = OLD.address;
        RETURN NULL;
      END $$;
      CREATE TRIGGER users_delete_send_limits AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION tegami_send_limits_deleted();
    `,
  },
  {
    version: 53,
    name: 'a deleted account takes its Bayes counts and its forward-list day count with it',
    sql: `
      -- the per-user Bayes counts (migration 8: owner = the address; '' is the server's own, never an account)
      -- and the day count of its forward list's copies (sieve_redirects under "forward:<address>",
      -- workers/forward-cap.ts): whoever gets the address next starts untrained and uncounted
      CREATE FUNCTION tegami_user_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM bayes_tokens WHERE owner = OLD.address;
        DELETE FROM bayes_totals WHERE owner = OLD.address;
        DELETE FROM bayes_learnt WHERE owner = OLD.address;
        DELETE FROM sieve_redirects WHERE address = 'forward:' || OLD.address;
        RETURN NULL;
      END $$;
      CREATE TRIGGER users_delete_counts AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION tegami_user_counts_deleted();
    `,
  },
];
