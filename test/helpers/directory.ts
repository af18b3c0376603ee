// The account directory a test runs against: SQLite (the default) or PostgreSQL when
// TEGAMI_TEST_DIRECTORY=postgres (a fresh database on the process's private cluster, test/helpers/postgres.ts),
// so the same protocol and account suites run against both backends without a second copy of any test.
import type { AccountDirectory, NewUser, User } from '../../engine/accounts/directory.js';
import { openPgAccounts } from '../../engine/accounts/pg-open.js';
import type { LoadedConfig } from '../../engine/config/load.js';
import { directoryFor } from '../../engine/context.js';
import type { Db } from '../../engine/db/database.js';
import { freshDatabase } from './postgres.js';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];
export const TEST_BACKEND: Backend = process.env.TEGAMI_TEST_DIRECTORY === 'postgres' ? 'postgres' : 'sqlite';

/** What tests do to a directory of either backend (SQLite's writes return at once, PostgreSQL's are promises). */
export interface TestDirectory extends AccountDirectory {
  addDomain(name: string): void | Promise<void>;
  deleteDomain(name: string): void | Promise<void>;
  addUser(u: NewUser): Promise<User>;
  setPassword(address: string, password: string): Promise<void>;
  updateUser(address: string, patch: Partial<Omit<User, 'address' | 'local' | 'domain'>>): void | Promise<void>;
  deleteUser(address: string): (string | null) | Promise<string | null>;
  addAlias(address: string, targets: string[]): void | Promise<void>;
  deleteAlias(address: string): void | Promise<void>;
  listUsers(domain?: string): User[];
  listAliases(): { address: string; targets: string[] }[];
}

export interface OpenedDirectory {
  backend: Backend;
  directory: TestDirectory;
  /** The PostgreSQL URL (postgres only): open a second "node" on the same database with it. */
  url?: string;
  close(): Promise<void>;
}

/** `config` must come from a data dir the test owns (the server key is made there); `db` is its SQLite database. */
export async function openTestDirectory(config: LoadedConfig, db: Db, backend: Backend = TEST_BACKEND, url?: string): Promise<OpenedDirectory> {
  if (backend === 'sqlite') return { backend, directory: directoryFor(config, db), close: async () => undefined };
  const dbUrl = url ?? (await freshDatabase());
  const pgConfig: LoadedConfig = { ...config, storage: { ...config.storage, backend: 'postgres', url: dbUrl, tls: 'disable', pool_size: 4 } };
  const opened = await openPgAccounts(pgConfig);
  return { backend, directory: opened.directory, url: dbUrl, close: () => opened.close() };
}
