// Where the values sealed with keys/secret.key are, for `tegami keys rotate` (engine/ops/key-rotation.ts):
// users.secret_sealed (APOP/CRAM-MD5 secrets) and dkim_keys.key_sealed (DKIM private keys: rows on PostgreSQL;
// on SQLite the DKIM keys are files under dkim/, not sealed, and the table is absent or empty). On SQLite one
// IMMEDIATE transaction of tegami.db; on PostgreSQL one transaction under the directory's advisory lock that also
// records the new key's fingerprint as the cluster's (server_key, migration 45), so a node started later with the
// old key refuses to start and says which file to copy. The nodes' local copies reload the re-sealed rows from
// PostgreSQL at their next sync.
import type pg from 'pg';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/pg/transaction.js';
import { REPLICA_LOCK } from '../db/pg/replica.js';
import { keyFingerprint } from '../db/pg/server-key-check.js';
import type { SealedStore, SealedValue } from './key-rotation.js';

interface SealedColumn {
  table: string;
  column: string;
  id: string[];
}

const SEALED_COLUMNS: SealedColumn[] = [
  { table: 'users', column: 'secret_sealed', id: ['address'] },
  { table: 'dkim_keys', column: 'key_sealed', id: ['domain', 'selector'] },
];

const select = (c: SealedColumn, lock = '') => `SELECT ${c.id.join(', ')}, ${c.column} AS sealed FROM ${c.table} WHERE ${c.column} IS NOT NULL AND ${c.column} <> '' ORDER BY ${c.id.join(', ')}${lock}`;
const toValue = (c: SealedColumn, r: Record<string, unknown>): SealedValue => ({ table: c.table, column: c.column, id: c.id.map((k) => String(r[k])), sealed: String(r.sealed) });

export function sqliteSealedStore(db: Db, busy: () => string | null): SealedStore {
  return {
    busy: async () => busy(),
    reseal: async (fn) => {
      db.transaction(() => {
        const present = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
        const cols = SEALED_COLUMNS.filter((c) => present.has(c.table));
        const values = cols.flatMap((c) => (db.prepare(select(c)).all() as Record<string, unknown>[]).map((r) => toValue(c, r)));
        const { updates } = fn(values);
        for (const u of updates) {
          const c = cols.find((x) => x.table === u.value.table)!;
          const r = db.prepare(`UPDATE ${c.table} SET ${c.column} = ? WHERE ${c.id.map((k) => `${k} = ?`).join(' AND ')} AND ${c.column} = ?`).run(u.sealed, ...u.value.id, u.value.sealed);
          if (r.changes !== 1) throw new Error(`${c.table} ${u.value.id.join(' ')}: the row changed during the rotation`);
        }
      }).immediate();
    },
  };
}

/** Other tegami nodes connected to the database now (application_name tegami/<node>), this node's name aside. */
async function otherNodes(pool: pg.Pool, node: string): Promise<string[]> {
  const r = await pool.query<{ name: string }>(
    `SELECT DISTINCT substr(application_name, 8) AS name FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE 'tegami/%' AND application_name <> $1 AND pid <> pg_backend_pid()
      ORDER BY 1`,
    [`tegami/${node}`.slice(0, 63)],
  );
  return r.rows.map((x) => x.name);
}

export function pgSealedStore(pool: pg.Pool, node: string, busy: () => string | null): SealedStore {
  return {
    busy: async () => {
      const local = busy();
      if (local) return local;
      const others = await otherNodes(pool, node);
      return others.length
        ? `other nodes are connected to the database (${others.join(', ')}): they hold the old key in memory and would seal new secrets with it; stop every node first (docs/scale-out.md, "Rotating secret.key")`
        : null;
    },
    reseal: async (fn, newKey) => {
      await inTransaction(pool, async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [REPLICA_LOCK.toString()]);
        const values: SealedValue[] = [];
        for (const col of SEALED_COLUMNS) values.push(...(await c.query(select(col, ' FOR UPDATE'))).rows.map((r: Record<string, unknown>) => toValue(col, r)));
        const { updates } = fn(values);
        for (const u of updates) {
          const col = SEALED_COLUMNS.find((x) => x.table === u.value.table)!;
          const where = col.id.map((k, i) => `${k} = $${i + 2}`).join(' AND ');
          await c.query(`UPDATE ${col.table} SET ${col.column} = $1 WHERE ${where}`, [u.sealed, ...u.value.id]);
        }
        await c.query(
          `INSERT INTO server_key (name, fingerprint, node, recorded_at) VALUES ('secret.key', $1, $2, now())
           ON CONFLICT (name) DO UPDATE SET fingerprint = excluded.fingerprint, node = excluded.node, recorded_at = now()`,
          [keyFingerprint(newKey), node],
        );
      });
    },
  };
}
