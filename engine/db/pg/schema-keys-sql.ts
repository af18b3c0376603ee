// The PostgreSQL schema of what the nodes must agree on outside the tables they share: migration 45, the
// fingerprints of the keys every node must hold (keys/secret.key, the SRS key) as the first node recorded them, so
// a node started with other keys (made itself because nobody copied the files) is told at start
// (engine/db/pg/server-key-check.ts).
import type { Migration } from './migrations.js';

export const KEY_MIGRATIONS: Migration[] = [
  {
    version: 45,
    name: 'the fingerprints of the keys every node must hold (keys/secret.key, the SRS key), as the first node recorded them',
    sql: `
      -- one row per key file (secret.key, srs.secret): an HMAC of a fixed text under the key (never the key),
      -- the node that recorded it and when
      CREATE TABLE server_key (
        name text PRIMARY KEY,
        fingerprint text NOT NULL,
        node text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];
