// Versioned schema migrations for the PostgreSQL backend. Each runs in its own transaction with its row in
// schema_migrations, so one that fails leaves the schema as it was; an advisory lock makes nodes that start
// together migrate one after the other. A migration is never edited once released: add a new one.
import type pg from 'pg';
import { MIGRATIONS } from './schema-sql.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrateResult {
  /** Versions applied by this call, in order. */
  applied: number[];
  /** The schema's version now. */
  current: number;
  /** The newest version this program knows; below `current` when a newer node migrated further. */
  known: number;
}

export class MigrationError extends Error {
  constructor(
    readonly version: number,
    readonly migration: string,
    cause: unknown,
  ) {
    super(`migration ${version} (${migration}) failed and was rolled back: ${(cause as Error)?.message ?? cause}`);
  }
}

/** The advisory lock key all tegami nodes take while migrating ("tegami" in ASCII). */
export const MIGRATION_LOCK = 0x74_65_67_61_6d_69n;

type Queryable = Pick<pg.Pool, 'connect'>;

export async function migrate(pool: Queryable, migrations: Migration[] = MIGRATIONS): Promise<MigrateResult> {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version <= migrations[i - 1].version) throw new Error(`migrations out of order at ${migrations[i].version}`);
  }
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const rows = (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows;
      const done = new Set(rows.map((r) => r.version));
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK').catch(() => (broken = true));
          throw new MigrationError(m.version, m.name, e);
        }
        applied.push(m.version);
        done.add(m.version);
      }
      const known = migrations.length ? migrations[migrations.length - 1].version : 0;
      return { applied, current: Math.max(0, ...done), known };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => (broken = true));
    }
  } finally {
    // a connection whose state is unknown is closed, not handed back to the pool
    client.release(broken ? true : undefined);
  }
}

/** The schema's version (0: empty database), without migrating. */
export async function schemaVersion(pool: Pick<pg.Pool, 'query'>): Promise<number> {
  const t = await pool.query<{ t: string | null }>("SELECT to_regclass('schema_migrations') AS t");
  if (!t.rows[0].t) return 0;
  const v = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return v.rows[0].v ?? 0;
}
