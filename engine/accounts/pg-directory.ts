// The account directory on PostgreSQL ([storage] backend = "postgres"), behind the same synchronous
// AccountDirectory interface as SQLite: every node keeps a copy of the directory tables in a private in-memory
// SQLite database, read through the very SqliteDirectory code (so resolution and login behave identically),
// and reloaded when PostgreSQL says they changed (LISTEN/NOTIFY), on reconnect, and periodically as a backstop.
// Writes never change the copy alone: they run under one advisory lock in a PostgreSQL transaction against
// a freshly loaded copy, and what changed is written back before the commit. PostgreSQL is the truth.
import pg from 'pg';
import type { Db } from '../db/database.js';
import { openMemoryDatabase } from '../db/database.js';
import { migrate } from '../db/pg/migrations.js';
import type { AccountDirectory, NewUser, PasswordChange, Resolution, ScramLookup, User } from './directory.js';
import type { Quota } from './quota.js';
import { SqliteDirectory, type DirectoryOptions } from './sqlite-directory.js';

/** The tables copied, their key and columns; booleans are 0/1 in SQLite. */
const TABLES = {
  domains: { key: 'name', cols: ['name', 'created'], bools: [] as string[] },
  users: {
    key: 'address',
    cols: [
      'address', 'local', 'domain', 'password_hash', 'secret_sealed', 'scram_sha256', 'full_name', 'reply_to', 'forward',
      'keep_copy', 'disabled', 'cannot_change_password', 'web_access', 'host_admin', 'list_admin', 'system_admin', 'created',
    ],
    bools: ['keep_copy', 'disabled', 'cannot_change_password', 'web_access', 'host_admin', 'list_admin', 'system_admin'],
  },
  aliases: { key: 'address', cols: ['address', 'targets', 'created'], bools: [] as string[] },
} as const;
type Table = keyof typeof TABLES;
type Row = Record<string, unknown>;
type Snapshot = Record<Table, Row[]>;

/** Directory writes from all nodes take this transaction-level advisory lock, one at a time ("tgdir"). */
export const DIRECTORY_LOCK = 0x74_67_64_69_72n;
export const DIRECTORY_CHANNEL = 'tegami_directory';

export interface PgDirectoryOptions {
  pool: pg.Pool;
  /** Connection settings of the dedicated LISTEN connection (engine/db/pg/pool.ts clientConfig). */
  listen: pg.ClientConfig;
  directory: DirectoryOptions;
  /** Reload this often even without a notification (default 30 s). */
  refreshMs?: number;
  /** A reload or the LISTEN connection failed (the copy stays as it was; retried). */
  onError?: (err: Error) => void;
}

export class PgDirectory implements AccountDirectory {
  private readonly mem: Db;
  /** Reads and validation: the SQLite code over the in-memory copy (no orphan moves: see deleteUser). */
  private readonly local: SqliteDirectory;
  private chain: Promise<unknown> = Promise.resolve();
  private listener?: pg.Client;
  private closed = false;
  private reloadQueued = false;
  private timers = new Set<NodeJS.Timeout>();
  private retryMs = 500;

  private constructor(private readonly o: PgDirectoryOptions) {
    this.mem = openMemoryDatabase();
    this.local = new SqliteDirectory(this.mem, { ...o.directory, orphanMailbox: undefined });
  }

  /** Migrate an empty or older database, load the copy and start listening for changes. */
  static async open(o: PgDirectoryOptions): Promise<PgDirectory> {
    await migrate(o.pool);
    const d = new PgDirectory(o);
    await d.reload();
    await d.listen();
    const every = setInterval(() => d.queueReload(), o.refreshMs ?? 30_000);
    every.unref();
    d.timers.add(every);
    return d;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    await this.chain.catch(() => undefined);
    await this.listener?.end().catch(() => undefined);
    this.mem.close();
  }

  // ---- keeping the copy current ----

  /** Run one reload or write at a time: a reload never lands in the middle of a write. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Load every directory table from PostgreSQL (one consistent snapshot) into the copy. */
  reload(): Promise<void> {
    return this.serial(async () => {
      const c = await this.o.pool.connect();
      try {
        await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const snap = await fetch(c);
        await c.query('COMMIT');
        this.install(snap);
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    });
  }

  private queueReload(): void {
    if (this.reloadQueued || this.closed) return;
    this.reloadQueued = true;
    void this.serial(async () => {
      this.reloadQueued = false;
    })
      .then(() => (this.closed ? undefined : this.reload()))
      .catch((e: Error) => this.o.onError?.(e));
  }

  private async listen(): Promise<void> {
    const c = new pg.Client(this.o.listen);
    c.on('notification', () => this.queueReload());
    c.on('error', (e) => this.o.onError?.(e));
    c.on('end', () => {
      if (this.listener === c) this.listener = undefined;
      if (!this.closed) this.retryListen();
    });
    await c.connect();
    await c.query(`LISTEN ${DIRECTORY_CHANNEL}`);
    this.listener = c;
    this.retryMs = 500;
  }

  /** The LISTEN connection is gone: reconnect with back-off, then reload (changes may have been missed). */
  private retryListen(): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.listen()
        .then(() => this.queueReload())
        .catch((e: Error) => {
          this.o.onError?.(e);
          this.retryMs = Math.min(this.retryMs * 2, 30_000);
          if (!this.closed) this.retryListen();
        });
    }, this.retryMs);
    t.unref();
    this.timers.add(t);
  }

  private install(snap: Snapshot): void {
    this.mem.transaction(() => {
      for (const t of Object.keys(TABLES) as Table[]) {
        const { cols } = TABLES[t];
        this.mem.prepare(`DELETE FROM ${t}`).run();
        const ins = this.mem.prepare(`INSERT INTO ${t} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
        for (const r of snap[t]) ins.run(...cols.map((k) => toSqlite(k, r[k])));
      }
    })();
  }

  private dump(): Record<Table, Map<string, Row>> {
    const out = {} as Record<Table, Map<string, Row>>;
    for (const t of Object.keys(TABLES) as Table[]) {
      const { key, cols } = TABLES[t];
      const rows = this.mem.prepare(`SELECT ${cols.join(', ')} FROM ${t}`).all() as Row[];
      out[t] = new Map(rows.map((r) => [String(r[key]), r]));
    }
    return out;
  }

  /**
   * Apply `op` to a copy freshly loaded under the directory lock, then write what it changed to PostgreSQL in
   * the same transaction. Validation (exists, is an alias, …) thus sees every committed write of every node.
   * Any failure rolls back and reloads, so the copy never keeps a change PostgreSQL does not have.
   */
  private write<T>(op: () => T | Promise<T>): Promise<T> {
    return this.serial(async () => {
      const c = await this.o.pool.connect();
      let before: Record<Table, Map<string, Row>> | undefined;
      try {
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock($1)', [DIRECTORY_LOCK.toString()]);
        this.install(await fetch(c));
        before = this.dump();
        const result = await op();
        await push(c, before, this.dump());
        await c.query('COMMIT');
        return result;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        const fresh = await fetch(this.o.pool).catch(() => undefined);
        if (fresh) this.install(fresh);
        else if (before) this.install(asSnapshot(before)); // the database went away: back to what it last had
        throw e;
      } finally {
        c.release();
      }
    });
  }

  // ---- writes (the SqliteDirectory methods, through write()) ----

  addDomain(name: string): Promise<void> {
    return this.write(() => this.local.addDomain(name));
  }
  deleteDomain(name: string): Promise<void> {
    return this.write(() => this.local.deleteDomain(name));
  }
  addUser(u: NewUser): Promise<User> {
    return this.write(() => this.local.addUser(u));
  }
  setPassword(address: string, password: string): Promise<void> {
    return this.write(() => this.local.setPassword(address, password));
  }
  changePassword(...a: Parameters<SqliteDirectory['changePassword']>): Promise<PasswordChange> {
    return this.write(() => this.local.changePassword(...a));
  }
  updateUser(address: string, patch: Parameters<SqliteDirectory['updateUser']>[1]): Promise<void> {
    return this.write(() => this.local.updateUser(address, patch));
  }
  /** Delete the account; its local mail folder is put aside only after PostgreSQL committed the delete. */
  async deleteUser(address: string): Promise<string | null> {
    await this.write(() => this.local.deleteUser(address));
    return this.o.directory.orphanMailbox?.(address.toLowerCase()) ?? null;
  }
  addAlias(address: string, targets: string[]): Promise<void> {
    return this.write(() => this.local.addAlias(address, targets));
  }
  deleteAlias(address: string): Promise<void> {
    return this.write(() => this.local.deleteAlias(address));
  }

  // ---- reads (from the copy) ----

  // quota overrides, admin-right rows and domain defaults are not in the PostgreSQL schema yet (docs/scale-out.md):
  // on this backend every account has the configured default quota and the rights of its users.*_admin columns
  quotaOf(owner: string): Quota {
    return this.local.quotaOf(owner);
  }
  listUsers(domain?: string): User[] {
    return this.local.listUsers(domain);
  }
  listAliases(): { address: string; targets: string[] }[] {
    return this.local.listAliases();
  }
  checkPassword(password: string): void {
    this.local.checkPassword(password);
  }
  localDomain(name: string): string | null {
    return this.local.localDomain(name);
  }
  domains(): { name: string; aliasOf?: string }[] {
    return this.local.domains();
  }
  primaryDomain(): string {
    return this.local.primaryDomain();
  }
  resolve(address: string): Resolution {
    return this.local.resolve(address);
  }
  user(address: string): User | undefined {
    return this.local.user(address);
  }
  secret(address: string): string | null {
    return this.local.secret(address);
  }
  scramVerifier(login: string, defaultDomain?: string): ScramLookup {
    return this.local.scramVerifier(login, defaultDomain);
  }
  loginAddress(login: string, defaultDomain?: string): string | undefined {
    return this.local.loginAddress(login, defaultDomain);
  }
  senderAddresses(user: User): Set<string> {
    return this.local.senderAddresses(user);
  }

  /**
   * Check a login against the copy. When the check completes an account's missing SCRAM keys or sealed secret
   * (SqliteDirectory.completeSecrets), the same values go to PostgreSQL, never overwriting ones already there;
   * if the database is away the login still works and the completion is redone at a later login.
   */
  async authenticate(login: string, password: string, defaultDomain?: string): Promise<User | undefined> {
    const address = this.local.loginAddress(login, defaultDomain);
    const secrets = () =>
      address ? (this.mem.prepare('SELECT scram_sha256 AS s, secret_sealed AS k FROM users WHERE address = ?').get(address) as { s: string | null; k: string | null } | undefined) : undefined;
    const before = secrets();
    const user = await this.local.authenticate(login, password, defaultDomain);
    const after = secrets();
    if (user && after && (after.s !== before?.s || after.k !== before?.k)) {
      await this.o.pool
        .query('UPDATE users SET scram_sha256 = COALESCE(scram_sha256, $1), secret_sealed = COALESCE(secret_sealed, $2) WHERE address = $3', [after.s, after.k, address])
        .catch((e: Error) => this.o.onError?.(e));
    }
    return user;
  }
}

async function fetch(q: Pick<pg.Pool, 'query'>): Promise<Snapshot> {
  const snap = {} as Snapshot;
  for (const t of Object.keys(TABLES) as Table[]) {
    snap[t] = (await q.query<Row>(`SELECT ${TABLES[t].cols.join(', ')} FROM ${t}`)).rows;
  }
  return snap;
}

/** Write the rows that differ between two dumps of the copy (deleted, added, changed). */
async function push(c: pg.PoolClient, before: Record<Table, Map<string, Row>>, after: Record<Table, Map<string, Row>>): Promise<void> {
  for (const t of Object.keys(TABLES) as Table[]) {
    const { key, cols, bools } = TABLES[t];
    for (const k of before[t].keys()) {
      if (!after[t].has(k)) await c.query(`DELETE FROM ${t} WHERE ${key} = $1`, [k]);
    }
    for (const [k, row] of after[t]) {
      const old = before[t].get(k);
      if (old && cols.every((col) => old[col] === row[col])) continue;
      const values = cols.map((col) => ((bools as readonly string[]).includes(col) ? !!row[col] : row[col]));
      await c.query(
        `INSERT INTO ${t} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})
         ON CONFLICT (${key}) DO UPDATE SET ${cols.filter((x) => x !== key).map((x) => `${x} = EXCLUDED.${x}`).join(', ')}`,
        values,
      );
    }
  }
}

function toSqlite(col: string, v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (col === 'created') return Number(v); // bigint arrives as text from pg
  return v;
}

function asSnapshot(current: Record<Table, Map<string, Row>>): Snapshot {
  const snap = {} as Snapshot;
  for (const t of Object.keys(TABLES) as Table[]) snap[t] = [...current[t].values()];
  return snap;
}
