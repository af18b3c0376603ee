// Local delivery into the shared mailbox store ([storage] backend = "postgres"), from a worker thread: each thread
// opens its own small pool (2 connections) and a PgMailboxStore without LISTEN (the append's notice in its own
// transaction reaches every node's IDLE). It never reports a copy stored before the append committed.
import { roomFor, quotaReason, type Quota } from '../engine/accounts/quota.js';
import type { LoadedConfig } from '../engine/config/load.js';
import { clientConfig, openPool } from '../engine/db/pg/pool.js';
import { flagsOf } from '../engine/store/maildir-flags.js';
import { PgMailboxStore } from '../engine/store/pg-store.js';
import { StoreError } from '../engine/store/store-error.js';

/** Connections per worker thread: one append at a time, plus one for a read (usage, folders) meanwhile. */
const WORKER_POOL = 2;

let store: PgMailboxStore | null = null;

/** This thread's store, opened on first use (the migrations are the main thread's: it ran them before any task). */
export function sharedStore(config: LoadedConfig): PgMailboxStore {
  if (!store) {
    const pool = openPool({ ...config.storage, pool_size: WORKER_POOL });
    store = new PgMailboxStore(pool, { listen: clientConfig(config.storage), nodeName: config.storage.node_name, collectEveryMs: 0, ownsPool: true });
  }
  return store;
}

/** Each owner's folder names, for the Sieve planner (mailboxexists, fileinto without :create). */
export async function foldersOf(s: PgMailboxStore, owners: string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const o of new Set(owners)) out.set(o, new Set(await s.listFolders(o)));
  return out;
}

/**
 * Store one copy: the quota from the store's own usage, then the append with the copy's dedup key (a resumed run
 * gets the UID already stored instead of a second copy). A folder the plan may create (:create, Spam) is made first.
 * Returns the refusal (quota) as a reason, or null once the copy is committed. Database errors are thrown.
 */
export async function appendCopy(
  s: PgMailboxStore,
  c: { owner: string; folder: string; parts: Buffer[]; info: string; dedupKey: string; quota: Quota },
): Promise<{ refused: 'failed' | 'tempFailed'; reason: string } | null> {
  const body = Buffer.concat(c.parts);
  if (c.quota.bytes > 0 || c.quota.messages > 0) {
    const room = roomFor(c.quota, await s.usage(c.owner, c.quota), body.length);
    if (room.kind !== 'ok') return { refused: room.kind === 'full' ? 'tempFailed' : 'failed', reason: quotaReason(room) };
  }
  const opts = { flags: flagsOf(c.info, ''), dedupKey: c.dedupKey };
  try {
    await s.append(c.owner, c.folder, body, opts);
  } catch (e) {
    if (!(e instanceof StoreError) || e.code !== 'NONEXISTENT') throw e;
    // the planner only names a missing folder when it may be created (fileinto :create, the Spam folder)
    await s.createFolder(c.owner, c.folder).catch((x: unknown) => {
      if (!(x instanceof StoreError) || x.code !== 'ALREADYEXISTS') throw x;
    });
    await s.append(c.owner, c.folder, body, opts);
  }
  return null;
}
