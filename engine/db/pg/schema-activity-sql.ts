// The PostgreSQL schema for the per-message state around the mail that every node must share (scale-out, issue 17):
// migration 50. List moderation keeps a held post's bytes with its row and who is carrying out a decision; a
// distributed post names the node that recorded it. Added columns only: rows a single node imported keep working.
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
];
