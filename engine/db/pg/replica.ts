// A node's local SQLite copy of PostgreSQL tables ([storage] backend = "postgres"): the synchronous code (the
// account directory, lists, rules, settings) reads and writes SQLite exactly as on a single node, and this keeps
// the copy equal to PostgreSQL, the truth. It never lets a reload wipe a local change that PostgreSQL lacks.
//
// Each copied table T has a shadow pgcopy_T in the same SQLite file: what PostgreSQL had at the last load. A local
// write (any connection: the main thread, a worker, a CLI process) bumps pgcopy_meta.dirty by trigger; a sync then
// sends the rows that differ from the shadow to PostgreSQL, compare-and-set (a column is changed only where
// PostgreSQL still holds what this node last saw, an insert never overwrites), reloads the tables from one
// snapshot and installs them with their shadow in one SQLite transaction, only if no local write came meanwhile.
// `transaction(op)` runs op on a copy freshly loaded under an advisory lock and commits its changes in the same
// PostgreSQL transaction: the serialised path for writes with cross-table rules (a user vs an alias).
import { inTransaction } from './transaction.js';
import type pg from 'pg';
import { PgListen } from './listen.js';
import type { Db } from '../database.js';
import { COPIED_TABLES, type TableSpec } from './replica-tables.js';

/** Writes to copied tables from all nodes take this transaction-level advisory lock, one at a time ("tgdir"). */
export const REPLICA_LOCK = 0x74_67_64_69_72n;
/** Every copied table notifies this channel on commit (migrations 1 and 9). */
export const REPLICA_CHANNEL = 'tegami_directory';

type Row = Record<string, unknown>;
type Snapshot = Map<string, Row[]>;
interface Change {
  table: TableSpec;
  added: Row[];
  deleted: Row[];
  changed: { before: Row; after: Row }[];
}

export interface ReplicaOptions {
  db: Db;
  pool: pg.Pool;
  /** Connection settings of the dedicated LISTEN connection (engine/db/pg/pool.ts clientConfig). */
  listen: pg.ClientConfig;
  tables?: TableSpec[];
  /** Reload this often even without a notification (default 30 s). */
  refreshMs?: number;
  /** Look for local writes to send this often (default 1 s; 0: only at reloads and transactions). */
  watchMs?: number;
  /** A sync or the LISTEN connection failed (the copy stays as it was; retried). */
  onError?: (err: Error) => void;
}

export class Replica {
  readonly tables: TableSpec[];
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listen: PgListen;
  private closed = false;
  private syncQueued = false;
  private timers = new Set<NodeJS.Timeout>();
  private lastDirty = 0;
  /** False while PostgreSQL cannot be reached (the copy is still served); true again after a sync. */
  connected = true;

  constructor(private readonly o: ReplicaOptions) {
    this.tables = o.tables ?? COPIED_TABLES;
    // LISTEN: a notice or the connection back (changes may have been missed) syncs; while it is away (the database
    // may be too) the copy is not "connected" until a sync succeeds
    this.listen = new PgListen(o.listen, REPLICA_CHANNEL, {
      notice: () => this.queueSync(),
      back: () => this.queueSync(),
      down: () => void (this.connected = false),
      error: (e) => this.o.onError?.(e),
    });
    prepareCopy(o.db, this.tables);
  }

  /** Load the copy (sending local writes first) and keep it current: LISTEN, periodic reload, local-write watch. */
  async start(): Promise<void> {
    await this.sync();
    await this.listen.start();
    const every = setInterval(() => this.queueSync(), this.o.refreshMs ?? 30_000);
    every.unref();
    this.timers.add(every);
    const watchMs = this.o.watchMs ?? 1000;
    if (watchMs > 0) {
      const watch = setInterval(() => {
        const d = this.dirty();
        if (d !== 0 && d !== this.lastDirty) this.queueSync();
        this.lastDirty = d;
      }, watchMs);
      watch.unref();
      this.timers.add(watch);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    await this.chain.catch(() => undefined);
    await this.listen.stop();
  }

  /** Run one sync or transaction at a time in this process. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private dirty(): number {
    return (this.o.db.prepare('SELECT dirty FROM pgcopy_meta WHERE id = 1').get() as { dirty: number }).dirty;
  }

  // ---- sync: local writes up, PostgreSQL's state down ----

  /** Send local writes (compare-and-set), then load every copied table from PostgreSQL. */
  sync(): Promise<void> {
    return this.serial(async () => {
      try {
        for (let i = 0; i < 10; i++) if (await this.syncOnce()) return void (this.connected = true);
        throw new Error('the local copy kept changing during reloads (10 tries)');
      } catch (e) {
        this.connected = !isConnectionError(e);
        throw e;
      }
    });
  }

  private async syncOnce(): Promise<boolean> {
    const dirtyAt = this.dirty();
    const changes = dirtyAt !== 0 ? this.localChanges() : [];
    // with nothing to send, a consistent read only; else the changes under the lock every node's writes take
    const snap = await inTransaction(
      this.o.pool,
      async (c) => {
        if (changes.length) {
          await c.query('SELECT pg_advisory_xact_lock($1)', [REPLICA_LOCK.toString()]);
          await pushChanges(c, changes);
        }
        return fetchAll(c, this.tables);
      },
      changes.length ? 'BEGIN' : 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
    return this.install(snap, dirtyAt);
  }

  queueSync(): void {
    if (this.syncQueued || this.closed) return;
    this.syncQueued = true;
    void this.serial(async () => {
      this.syncQueued = false;
    })
      .then(() => (this.closed ? undefined : this.sync()))
      .catch((e: Error) => this.o.onError?.(e));
  }

  /**
   * Run `op` against a copy loaded under the advisory lock (every node's serialised writes wait for each other),
   * then write what it changed in the same PostgreSQL transaction. If anything fails, the copy goes back to what
   * PostgreSQL has, so it never keeps a change the database does not.
   */
  transaction<T>(op: () => T | Promise<T>): Promise<T> {
    return this.serial(async () => {
      // no connection (the database down): nothing was loaded, so the copy and its unsent writes stay as they are
      let began = false;
      try {
        const { result, snap, dirtyAt } = await inTransaction(this.o.pool, async (c) => {
          began = true;
          await c.query('SELECT pg_advisory_xact_lock($1)', [REPLICA_LOCK.toString()]);
          for (let i = 0; ; i++) {
            const dirtyAt = this.dirty();
            if (dirtyAt !== 0) await pushChanges(c, this.localChanges());
            if (this.install(await fetchAll(c, this.tables), dirtyAt)) break;
            if (i === 10) throw new Error('the local copy kept changing while loading it');
          }
          const result = await op();
          const dirtyAt = this.dirty();
          await pushChanges(c, this.localChanges());
          return { result, snap: await fetchAll(c, this.tables), dirtyAt };
        });
        this.connected = true;
        this.install(snap, dirtyAt); // if a local write came meanwhile, the next sync sends it
        return result;
      } catch (e) {
        if (isConnectionError(e)) this.connected = false;
        if (began) this.restore();
        throw e;
      }
    });
  }

  // ---- the local side ----

  /** The copy back to the shadow (what PostgreSQL had): local writes not yet sent are dropped. */
  private restore(): void {
    const db = this.o.db;
    db.transaction(() => {
      for (const t of [...this.tables].reverse()) db.prepare(`DELETE FROM ${t.name}`).run();
      for (const t of this.tables) db.prepare(`INSERT OR REPLACE INTO ${t.name} (${t.cols.join(', ')}) SELECT ${t.cols.join(', ')} FROM pgcopy_${t.name}`).run();
      db.prepare('UPDATE pgcopy_meta SET dirty = 0 WHERE id = 1').run();
    }).immediate();
  }

  /** Replace the copy and its shadow with a snapshot, unless a local write came after `dirtyAt` was read. */
  private install(snap: Snapshot, dirtyAt: number): boolean {
    const db = this.o.db;
    return db.transaction(() => {
      if (this.dirty() !== dirtyAt) return false;
      // children before parents for the deletes; the SQLite triggers that keep tables equal fire harmlessly,
      // as the snapshot already holds what they would write (INSERT OR REPLACE)
      for (const t of [...this.tables].reverse()) {
        db.prepare(`DELETE FROM ${t.name}`).run();
        db.prepare(`DELETE FROM pgcopy_${t.name}`).run();
      }
      for (const t of this.tables) {
        const marks = t.cols.map(() => '?').join(', ');
        const ins = db.prepare(`INSERT OR REPLACE INTO ${t.name} (${t.cols.join(', ')}) VALUES (${marks})`);
        const shadow = db.prepare(`INSERT INTO pgcopy_${t.name} (${t.cols.join(', ')}) VALUES (${marks})`);
        for (const r of snap.get(t.name) ?? []) {
          const v = t.cols.map((k) => toSqlite(t, k, r[k]));
          ins.run(...v);
          shadow.run(...v);
        }
      }
      db.prepare('UPDATE pgcopy_meta SET dirty = 0 WHERE id = 1').run();
      this.lastDirty = 0;
      return true;
    }).immediate();
  }

  /** Rows of the copy that differ from the shadow, per table. */
  private localChanges(): Change[] {
    const db = this.o.db;
    const out: Change[] = [];
    for (const t of this.tables) {
      const read = (name: string) => new Map((db.prepare(`SELECT ${t.cols.join(', ')} FROM ${name}`).all() as Row[]).map((r) => [keyOf(t, r), r]));
      const now = read(t.name);
      const was = read(`pgcopy_${t.name}`);
      const ch: Change = { table: t, added: [], deleted: [], changed: [] };
      for (const [k, r] of was) if (!now.has(k)) ch.deleted.push(r);
      for (const [k, r] of now) {
        const old = was.get(k);
        if (!old) ch.added.push(r);
        else if (t.cols.some((col) => old[col] !== r[col])) ch.changed.push({ before: old, after: r });
      }
      if (ch.added.length || ch.deleted.length || ch.changed.length) out.push(ch);
    }
    return out;
  }
}

/** Shadow tables, the dirty counter and its triggers (idempotent; a new copy starts dirty-free and empty). */
export function prepareCopy(db: Db, tables: TableSpec[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS pgcopy_meta (id INTEGER PRIMARY KEY CHECK (id = 1), dirty INTEGER NOT NULL); INSERT OR IGNORE INTO pgcopy_meta (id, dirty) VALUES (1, 0);');
  for (const t of tables) {
    if (t.create) db.exec(t.create);
    db.exec(`CREATE TABLE IF NOT EXISTS pgcopy_${t.name} AS SELECT ${t.cols.join(', ')} FROM ${t.name} WHERE 0`);
    for (const ev of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(`CREATE TRIGGER IF NOT EXISTS pgcopy_${t.name}_${ev.toLowerCase()} AFTER ${ev} ON ${t.name} BEGIN UPDATE pgcopy_meta SET dirty = dirty + 1 WHERE id = 1; END`);
    }
  }
}

/** Is this SQLite file a node's copy (made by prepareCopy), rather than a single node's own database? */
export function isCopy(db: Db): boolean {
  return !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pgcopy_meta'").get();
}

async function fetchAll(q: Pick<pg.PoolClient, 'query'>, tables: TableSpec[]): Promise<Snapshot> {
  const snap: Snapshot = new Map();
  for (const t of tables) snap.set(t.name, (await q.query<Row>(`SELECT ${t.cols.join(', ')} FROM ${t.name}`)).rows);
  return snap;
}

/**
 * Write local changes, compare-and-set: deletes by key; inserts that never overwrite a row another node made;
 * updates of the changed columns only, each only where PostgreSQL still holds the value this node last saw.
 * Under the advisory lock with a freshly loaded shadow, every one of them applies.
 */
async function pushChanges(c: Pick<pg.PoolClient, 'query'>, changes: Change[]): Promise<void> {
  for (const { table: t, deleted } of [...changes].reverse()) {
    for (const r of deleted) await c.query(`DELETE FROM ${t.name} WHERE ${where(t, 0)}`, t.key.map((k) => toPg(t, k, r[k])));
  }
  for (const { table: t, added, changed } of changes) {
    for (const r of added) {
      await c.query(`INSERT INTO ${t.name} (${t.cols.join(', ')}) VALUES (${t.cols.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT DO NOTHING`, t.cols.map((k) => toPg(t, k, r[k])));
    }
    for (const { before, after } of changed) {
      const cols = t.cols.filter((k) => before[k] !== after[k]);
      const params: unknown[] = t.key.map((k) => toPg(t, k, after[k]));
      const sets = cols.map((k) => {
        params.push(toPg(t, k, before[k]), toPg(t, k, after[k]));
        return `${k} = CASE WHEN ${k} IS NOT DISTINCT FROM $${params.length - 1} THEN $${params.length} ELSE ${k} END`;
      });
      await c.query(`UPDATE ${t.name} SET ${sets.join(', ')} WHERE ${where(t, 0)}`, params);
    }
  }
}

function where(t: TableSpec, offset: number): string {
  return t.key.map((k, i) => `${k} = $${offset + i + 1}`).join(' AND ');
}

function keyOf(t: TableSpec, r: Row): string {
  return JSON.stringify(t.key.map((k) => r[k]));
}

function toSqlite(t: TableSpec, col: string, v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v !== null && t.ints?.includes(col)) return Number(v); // bigint arrives as text from pg
  return v;
}

function toPg(t: TableSpec, col: string, v: unknown): unknown {
  if (v !== null && t.bools?.includes(col)) return !!v;
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/** The database cannot be reached (as opposed to a statement it refused). */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? '';
  const msg = (e as Error)?.message ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08006', '08001', '08003', '08004'].includes(code) ||
    /Connection terminated|timeout exceeded when trying to connect|connection (is )?(closed|refused)|database system is (starting up|shutting down)|not currently accepting connections|does not allow connections/i.test(msg)
  );
}
