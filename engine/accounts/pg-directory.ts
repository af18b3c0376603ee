// The account directory on PostgreSQL ([storage] backend = "postgres"), behind the same synchronous
// AccountDirectory interface as SQLite: the node's local SQLite copy of the tables (engine/db/pg/replica.ts, kept
// current by LISTEN/NOTIFY, on reconnect and periodically) is read through the very SqliteDirectory code, so
// resolution and login behave identically. Writes run through Replica.transaction: under one advisory lock, on
// a freshly loaded copy, committed to PostgreSQL with what they changed. PostgreSQL is the truth.
import type pg from 'pg';
import type { Db } from '../db/database.js';
import { openMemoryDatabase } from '../db/database.js';
import { migrate } from '../db/pg/migrations.js';
import { Replica } from '../db/pg/replica.js';
import { DIRECTORY_TABLES, type TableSpec } from '../db/pg/replica-tables.js';
import type { AccountDirectory, NewUser, PasswordChange, Resolution, ScramLookup, User } from './directory.js';
import type { Quota } from './quota.js';
import { SqliteDirectory, type DirectoryOptions } from './sqlite-directory.js';

export { REPLICA_LOCK as DIRECTORY_LOCK, REPLICA_CHANNEL as DIRECTORY_CHANNEL } from '../db/pg/replica.js';

export interface PgDirectoryOptions {
  pool: pg.Pool;
  /** Connection settings of the dedicated LISTEN connection (engine/db/pg/pool.ts clientConfig). */
  listen: pg.ClientConfig;
  directory: DirectoryOptions;
  /** The local copy: a private in-memory database unless given (a node's file, engine/db/storage.ts). */
  db?: Db;
  /** The tables copied (default: the directory's own; a node copies all of COPIED_TABLES). */
  tables?: TableSpec[];
  /** Reload this often even without a notification (default 30 s). */
  refreshMs?: number;
  /** A reload or the LISTEN connection failed (the copy stays as it was; retried). */
  onError?: (err: Error) => void;
}

export class PgDirectory implements AccountDirectory {
  private readonly mem: Db;
  /** Reads and validation: the SQLite code over the local copy (no orphan moves: see deleteUser). */
  private readonly local: SqliteDirectory;
  readonly replica: Replica;
  private readonly ownDb: boolean;

  private constructor(private readonly o: PgDirectoryOptions) {
    this.ownDb = !o.db;
    this.mem = o.db ?? openMemoryDatabase();
    this.local = new SqliteDirectory(this.mem, { ...o.directory, orphanMailbox: undefined, forgetBayes: undefined });
    this.replica = new Replica({ db: this.mem, pool: o.pool, listen: o.listen, tables: o.tables ?? DIRECTORY_TABLES, refreshMs: o.refreshMs, onError: o.onError });
  }

  /** Migrate an empty or older database, load the copy and start listening for changes. */
  static async open(o: PgDirectoryOptions): Promise<PgDirectory> {
    await migrate(o.pool);
    const d = new PgDirectory(o);
    await d.replica.start();
    return d;
  }

  async close(): Promise<void> {
    await this.replica.close();
    if (this.ownDb) this.mem.close();
  }

  /** Load every copied table from PostgreSQL (one consistent snapshot) into the copy. */
  reload(): Promise<void> {
    return this.replica.sync();
  }

  private write<T>(op: () => T | Promise<T>): Promise<T> {
    return this.replica.transaction(op);
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

  // quota overrides, admin-right rows and domain defaults are read from the copy: a node (engine/db/storage.ts)
  // copies them with every other table; a PgDirectory opened with the default DIRECTORY_TABLES has none of them,
  // so there every account has the configured default quota and the rights of its users.*_admin columns
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
