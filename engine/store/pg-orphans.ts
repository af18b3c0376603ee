// Orphaned mail in the shared store (FEATURES A4 on PostgreSQL): migration 32 moves a deleted account's rows to
// the owner `orphan/<UTC time>-<8 hex>/<address>`; this lists those owners and removes one for good (its
// messages, mailboxes and change log in one transaction, then the bodies no message names any more).
// It never touches an owner a login can name, and never deletes a body another message still uses.
import type pg from 'pg';
import { ORPHAN_ID, type Orphan } from './orphans.js';
import { inTransaction } from '../db/pg/transaction.js';

const OWNER = /^orphan\/(\d{8}T\d{6}Z-[0-9a-f]{8})\/(.+)$/;

/** "20261205T123456Z" → ISO time. */
function stampTime(id: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(id)!;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
}

/** Every orphaned owner in the shared store, oldest first, with the usage its account row carries. */
export async function listSharedOrphans(pool: pg.Pool): Promise<Orphan[]> {
  const r = await pool.query<{ owner: string; used_messages: string; used_bytes: string }>(
    "SELECT owner, used_messages, used_bytes FROM mail_accounts WHERE owner LIKE 'orphan/%' ORDER BY owner",
  );
  const out: Orphan[] = [];
  for (const row of r.rows) {
    const m = OWNER.exec(row.owner);
    if (!m) continue;
    out.push({ id: m[1], address: m[2], deleted_at: stampTime(m[1]), messages: Number(row.used_messages), bytes: Number(row.used_bytes) });
  }
  return out;
}

export interface RemovedOrphan {
  address: string;
  messages: number;
  /** Bodies deleted because no message named them any more (one shared by another owner stays). */
  bodiesFreed: number;
}

/** Delete one orphan's mail for good; null when the shared store has no orphan with that id. */
export async function removeSharedOrphan(pool: pg.Pool, id: string): Promise<RemovedOrphan | null> {
  if (!ORPHAN_ID.test(id)) return null;
  return inTransaction(pool, async (c) => {
    const acct = await c.query<{ owner: string }>("SELECT owner FROM mail_accounts WHERE owner LIKE 'orphan/' || $1 || '/%' FOR UPDATE", [id]);
    const owner = acct.rows[0]?.owner;
    const m = owner ? OWNER.exec(owner) : null;
    if (!owner || !m || m[1] !== id) return null; // nothing written: the commit ends a read (and its lock)
    // the message rows first: their trigger counts each body's references down (and stamps it unreferenced)
    const msgs = await c.query<{ blob_hash: Buffer }>('DELETE FROM mail_messages WHERE owner = $1 RETURNING blob_hash', [owner]);
    for (const t of ['mail_emails', 'mail_threads', 'mail_thread_keys', 'mail_changes']) await c.query(`DELETE FROM ${t} WHERE owner = $1`, [owner]);
    await c.query('DELETE FROM mail_accounts WHERE owner = $1', [owner]); // mailboxes and subscriptions cascade
    // bodies now named by no message; one an append is reusing right now is locked by it and skipped (it
    // counts a reference when it commits), one taken meanwhile has refs > 0 again
    const hashes = [...new Map(msgs.rows.map((x) => [x.blob_hash.toString('hex'), x.blob_hash])).values()];
    const freed = hashes.length
      ? await c.query(
          `DELETE FROM mail_blobs WHERE hash IN (SELECT hash FROM mail_blobs WHERE hash = ANY($1::bytea[]) AND refs = 0 FOR UPDATE SKIP LOCKED) AND refs = 0`,
          [hashes],
        )
      : { rowCount: 0 };
    return { address: m[2], messages: msgs.rowCount ?? 0, bodiesFreed: freed.rowCount ?? 0 };
  });
}
