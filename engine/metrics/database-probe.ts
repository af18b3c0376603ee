// Does the accounts database answer? One trivial query on a connection of its own (never the server's pool or
// its open SQLite handle, which keep working on a file renamed or replaced under them), timed: on SQLite
// `SELECT count(*) FROM sqlite_master` on <data_dir>/tegami.db opened read-only (the file must exist); on
// PostgreSQL `SELECT 1` on a new connection with the node's TLS settings, the connect counted in the time.
// `tegami status` shows it (from the server, and from the CLI itself when no server answers) and the admin
// dashboard too. The PostgreSQL location is host:port/database: never the URL's user or password.
import Database from 'better-sqlite3';
import type pg from 'pg';
import { pgLib } from '../db/pg/lib.js';
import type { StorageConfig } from '../config/schema.js';
import { clientConfig } from '../db/pg/pool.js';
import { databaseFile } from '../db/database.js';
import { deadline, whenAborted } from '../util/abort-deadline.js';

export interface DatabaseProbe {
  backend: 'sqlite' | 'postgresql';
  /** sqlite: the file; postgresql: host:port/database. */
  where: string;
  ok: boolean;
  /** How long the query took (with the connect), in milliseconds, 0.1 ms steps. */
  ms: number;
  /** Why it did not answer (the driver's message, one line). */
  error?: string;
}

/** host:port/database of a connection URL, nothing else of it. */
function pgWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return '(an unreadable [storage] url)';
  }
}

const oneLine = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0].slice(0, 300) || 'failed';
const since = (t0: bigint) => Math.round(Number(process.hrtime.bigint() - t0) / 1e5) / 10;

export async function probeDatabase(config: { data_dir: string; storage: StorageConfig }, timeoutMs: number): Promise<DatabaseProbe> {
  if (config.storage.backend === 'postgres') return probePostgres(config.storage, timeoutMs);
  const file = databaseFile(config.data_dir);
  const t0 = process.hrtime.bigint();
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: timeoutMs });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return { backend: 'sqlite', where: file, ok: true, ms: since(t0) };
  } catch (e) {
    return { backend: 'sqlite', where: file, ok: false, ms: since(t0), error: oneLine(e) };
  } finally {
    db?.close();
  }
}

async function probePostgres(s: StorageConfig, timeoutMs: number): Promise<DatabaseProbe> {
  const where = pgWhere(s.url ?? '');
  const t0 = process.hrtime.bigint();
  let client: pg.Client | undefined;
  const limit = deadline(timeoutMs);
  try {
    client = new (pgLib().Client)({ ...clientConfig(s), connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    client.on('error', () => undefined); // a connection cut after the answer: the result stands
    const c = client;
    const answer = (async () => {
      await c.connect();
      await c.query('SELECT 1');
    })();
    answer.catch(() => undefined);
    await Promise.race([answer, whenAborted(limit.signal)]);
    return { backend: 'postgresql', where, ok: true, ms: since(t0) };
  } catch (e) {
    return { backend: 'postgresql', where, ok: false, ms: since(t0), error: oneLine(e) };
  } finally {
    limit.clear();
    // a connection that never came up may not end promptly either: the answer does not wait for it
    if (client) await Promise.race([client.end().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

/** The text of `tegami status`'s database line (after "database:"). */
export function describeProbe(p: DatabaseProbe): string {
  return p.ok
    ? `${p.backend} ${p.where}: answered in ${p.ms} ms`
    : `${p.backend} ${p.where}: NOT ANSWERING (${p.error ?? 'failed'}; gave up after ${p.ms} ms)`;
}
