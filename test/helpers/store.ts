// The mailbox store a protocol test runs against: the harness's own default, or the PostgreSQL store when
// TEGAMI_TEST_STORE=postgres (a fresh database on the process's private cluster, test/helpers/postgres.ts),
// so the same IMAP and POP3 suites run over both without a second copy of any test.
import pg from 'pg';
import type { MailboxStore } from '../../engine/store/mailbox-store.js';
import { openPgMailboxStore, type PgMailboxStore } from '../../engine/store/pg-store.js';
import { freshDatabase } from './postgres.js';

export type StoreBackend = 'default' | 'postgres';
export const TEST_STORE: StoreBackend = process.env.TEGAMI_TEST_STORE === 'postgres' ? 'postgres' : 'default';

export type ClosableStore = MailboxStore & { close(): Promise<void> };

/** A PostgreSQL mailbox store on a fresh database (its own pool, ended by close()). */
export async function openPgTestStore(url?: string): Promise<PgMailboxStore> {
  const dbUrl = url ?? (await freshDatabase());
  const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
  pool.on('error', () => undefined);
  return openPgMailboxStore(pool, { listen: { connectionString: dbUrl }, nodeName: 'test', collectEveryMs: 0, ownsPool: true });
}

/** The store for a harness: PostgreSQL when TEGAMI_TEST_STORE=postgres, else what the harness makes. */
export async function openTestStore<S extends MailboxStore>(fallback: () => S): Promise<S | ClosableStore> {
  return TEST_STORE === 'postgres' ? openPgTestStore() : fallback();
}
