// `tegami db import-local`: copy a single node's SQLite data (accounts, aliases, lists, rights, quotas, defaults,
// rules, settings, tokens, list state, reply history, Bayes) into PostgreSQL in one transaction, then check that
// every source row's key is there. Never overwrites a row PostgreSQL has (so running it again changes nothing),
// and refuses a database that already has accounts unless told to merge. Mail and the queue plug in as hooks.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import type { LoadedConfig } from '../../config/load.js';
import type { Db } from '../database.js';
import { migrate } from './migrations.js';
import { REPLICA_LOCK } from './replica.js';
import { inTransaction, Rollback } from './transaction.js';
import { COPIED_TABLES, IMPORTED_ONLY_TABLES, type TableSpec } from './replica-tables.js';

export interface ImportCount {
  table: string;
  /** Rows in the single node's database. */
  source: number;
  /** Rows inserted now (the others were there already). */
  imported: number;
  /** Rows in PostgreSQL afterwards. */
  postgres: number;
  /** Source rows whose key is not in PostgreSQL afterwards (0 when the import is whole). */
  missing: number;
}

export type ImportResult = { ok: true; counts: ImportCount[] } | { ok: false; reason: string };

/**
 * Something else a node holds locally, imported in the same run (mail into the shared mailbox store, the spool
 * into the shared queue): the shared store and queue register theirs in IMPORT_HOOKS. Each runs after the tables.
 */
export interface ImportHook {
  name: string;
  run(pool: pg.Pool, dataDir: string, opts: ImportOptions): Promise<ImportCount[]>;
}
export const IMPORT_HOOKS: ImportHook[] = [];

export interface ImportOptions {
  merge: boolean;
  /** The node's config, for hooks that need it (the queue: routes decide destinations). */
  config?: LoadedConfig;
}

const BAYES_TABLES: { from: string; spec: TableSpec }[] = [
  { from: 'tokens', spec: { name: 'bayes_tokens', key: ['owner', 'token'], cols: ['owner', 'token', 'spam', 'ham'], ints: ['spam', 'ham'] } },
  { from: 'totals', spec: { name: 'bayes_totals', key: ['owner'], cols: ['owner', 'spam', 'ham'], ints: ['spam', 'ham'] } },
  { from: 'learnt', spec: { name: 'bayes_learnt', key: ['owner', 'key'], cols: ['owner', 'key', 'kind'] } },
];

/** Import `source` (an opened single-node tegami.db) and dataDir's bayes.db, if any. */
export async function importLocal(pool: pg.Pool, source: Db, dataDir: string, opts: ImportOptions): Promise<ImportResult> {
  await migrate(pool);
  const counts: ImportCount[] = [];
  const tables = await inTransaction(pool, async (c): Promise<ImportResult | Rollback<ImportResult>> => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [REPLICA_LOCK.toString()]);
    const accounts = Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0].n);
    if (accounts > 0 && !opts.merge) {
      return new Rollback({ ok: false, reason: `PostgreSQL already holds ${accounts} account(s): nothing imported (--merge adds what it lacks, keeping its rows)` });
    }
    for (const t of [...COPIED_TABLES, ...IMPORTED_ONLY_TABLES]) {
      if (!hasTable(source, t.name)) continue;
      counts.push(await copyTable(c, source.prepare(`SELECT ${t.cols.join(', ')} FROM ${t.name}`).all() as Row[], t));
    }
    const bayesFile = path.join(dataDir, 'bayes.db');
    if (fs.existsSync(bayesFile)) {
      const bayes = new Database(bayesFile, { readonly: true, fileMustExist: true });
      try {
        for (const b of BAYES_TABLES) {
          if (hasTable(bayes, b.from)) counts.push(await copyTable(c, bayes.prepare(`SELECT ${b.spec.cols.join(', ')} FROM ${b.from}`).all() as Row[], b.spec));
        }
      } finally {
        bayes.close();
      }
    }
    // the workers of every node reload their settings when this moves
    await c.query('UPDATE settings_meta SET version = version + 1 WHERE id = 1');
    const missing = counts.filter((n) => n.missing > 0);
    if (missing.length) return new Rollback({ ok: false, reason: `rows missing after the copy (rolled back): ${missing.map((m) => `${m.table} ${m.missing}`).join(', ')}` });
    return { ok: true, counts };
  });
  if (!tables.ok) return tables;
  for (const h of IMPORT_HOOKS) {
    const got = await h.run(pool, dataDir, opts);
    counts.push(...got);
    // a hook commits as it goes (mail is copied message by message): what is missing is named, and a re-run adds it
    const missing = got.filter((n) => n.missing > 0);
    if (missing.length) return { ok: false, reason: `${h.name}: rows missing after the copy: ${missing.map((m) => `${m.table} ${m.missing}`).join(', ')} (run it again: what is there is kept)` };
  }
  return { ok: true, counts };
}

type Row = Record<string, unknown>;

function hasTable(db: Database.Database, name: string): boolean {
  return !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name);
}

/** Insert the rows PostgreSQL lacks, then count the source keys found there. */
async function copyTable(c: pg.PoolClient, rows: Row[], t: TableSpec): Promise<ImportCount> {
  let imported = 0;
  const sql = `INSERT INTO ${t.name} (${t.cols.join(', ')}) VALUES (${t.cols.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT DO NOTHING`;
  for (const r of rows) {
    const res = await c.query(sql, t.cols.map((k) => (r[k] !== null && t.bools?.includes(k) ? !!r[k] : r[k])));
    imported += res.rowCount ?? 0;
  }
  // a member is the same member under another id (UNIQUE (list, address)): found by what makes it one
  const key = t.name === 'list_members' ? ['list', 'address'] : t.key;
  const keyOf = (r: Row) => JSON.stringify(key.map((k) => (r[k] === null ? null : String(r[k]))));
  const there = new Set((await c.query<Row>(`SELECT ${key.join(', ')} FROM ${t.name}`)).rows.map(keyOf));
  const missing = rows.filter((r) => !there.has(keyOf(r))).length;
  return { table: t.name, source: rows.length, imported, postgres: there.size, missing };
}
