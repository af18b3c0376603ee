// `tegami db import-local`, the mail: every account's Maildir folders and messages (flags, INTERNALDATE, UIDs and
// UIDVALIDITY kept) into the shared mailbox store, through its own append. Idempotent: each message carries a
// dedup key naming its source UIDVALIDITY and UID, so a second run stores nothing twice. Never changes the Maildir.
import type pg from 'pg';
import { IMPORT_HOOKS, type ImportCount, type ImportHook } from '../db/pg/import-local.js';
import { mailboxIdOf } from './email-ids.js';
import { MaildirStore } from './maildir-store.js';
import { PgMailboxStore } from './pg-store.js';
import { StoreError } from './store-error.js';
import { inTransaction } from '../db/pg/transaction.js';

const keyOf = (uidValidity: number, uid: number) => `import-local:${uidValidity}:${uid}`;

interface Box {
  id: string;
  uidvalidity: string;
  n: string;
}

async function boxOf(pool: pg.Pool, owner: string, folder: string): Promise<Box> {
  const r = await pool.query<Box>('SELECT b.id, b.uidvalidity, (SELECT count(*) FROM mail_messages m WHERE m.mailbox_id = b.id) AS n FROM mail_mailboxes b WHERE b.owner = $1 AND b.name = $2', [owner, folder]);
  if (!r.rows.length) throw new Error(`import-local: the folder ${folder} of ${owner} is missing after its creation`);
  return r.rows[0];
}

/**
 * An empty mailbox takes the Maildir folder's UIDVALIDITY (its change-log id follows), unless another mailbox of the
 * account has it. Returns whether the UIDs can be kept.
 */
async function takeValidity(pool: pg.Pool, owner: string, box: Box, want: number): Promise<boolean> {
  if (Number(box.uidvalidity) === want) return true;
  if (Number(box.n) > 0) return false;
  const took = await inTransaction(pool, async (c) => {
    const taken = await c.query('SELECT 1 FROM mail_mailboxes WHERE owner = $1 AND uidvalidity = $2', [owner, want]);
    if (taken.rows.length) return false; // nothing written: the commit ends a read
    await c.query('UPDATE mail_mailboxes SET uidvalidity = $2 WHERE id = $1', [box.id, want]);
    await c.query("UPDATE mail_changes SET id = $3 WHERE owner = $1 AND type = 'Mailbox' AND id = $2", [owner, mailboxIdOf(Number(box.uidvalidity)), mailboxIdOf(want)]);
    await c.query('UPDATE mail_accounts SET last_uidvalidity = greatest(last_uidvalidity, $2) WHERE owner = $1', [owner, want]);
    return true;
  });
  if (took) box.uidvalidity = String(want);
  return took;
}

/** Copy every account's Maildir into the shared store; one count row per kind (folders, messages). */
export async function importMail(pool: pg.Pool, dataDir: string): Promise<ImportCount[]> {
  const maildir = new MaildirStore(dataDir);
  const store = new PgMailboxStore(pool, { listen: {}, collectEveryMs: 0 });
  const folders: ImportCount = { table: 'mail_mailboxes', source: 0, imported: 0, postgres: 0, missing: 0 };
  const messages: ImportCount = { table: 'mail_messages', source: 0, imported: 0, postgres: 0, missing: 0 };
  let renumbered = 0;
  try {
    const owners = (await pool.query<{ address: string }>('SELECT address FROM users ORDER BY address')).rows.map((r) => r.address.toLowerCase());
    for (const owner of owners) {
      let names: string[];
      try {
        names = await maildir.listFolders(owner);
      } catch {
        continue; // never received mail: no Maildir
      }
      for (const folder of names) {
        const st = await maildir.status(owner, folder);
        const list = (await maildir.list(owner, folder)).sort((a, b) => a.uid - b.uid);
        folders.source++;
        messages.source += list.length;
        await store.createFolder(owner, folder).then(
          () => folders.imported++,
          (e: unknown) => {
            if (!(e instanceof StoreError) || e.code !== 'ALREADYEXISTS') throw e;
          },
        );
        const box = await boxOf(pool, owner, folder);
        const keep = await takeValidity(pool, owner, box, st.uidValidity);
        const had = new Set(
          (await pool.query<{ dedup_key: string }>('SELECT dedup_key FROM mail_messages WHERE mailbox_id = $1 AND dedup_key = ANY($2::text[])', [box.id, list.map((m) => keyOf(st.uidValidity, m.uid))])).rows.map(
            (r) => r.dedup_key,
          ),
        );
        for (const m of list) {
          const key = keyOf(st.uidValidity, m.uid);
          if (had.has(key)) continue;
          // the next UID is the source's (UIDs only rise: a gap left by an expunge stays a gap)
          if (keep) await pool.query('UPDATE mail_mailboxes SET uidnext = $2 WHERE id = $1 AND uidnext < $2', [box.id, m.uid]);
          const raw = await maildir.read(owner, folder, m.uid);
          const r = await store.append(owner, folder, raw, { flags: m.flags, internalDate: m.internalDate, dedupKey: key });
          if (r.uid !== m.uid) renumbered++;
          messages.imported++;
        }
        if (keep) await pool.query('UPDATE mail_mailboxes SET uidnext = greatest(uidnext, $2) WHERE id = $1', [box.id, st.uidNext]);
        const there = await pool.query<{ dedup_key: string }>('SELECT dedup_key FROM mail_messages WHERE mailbox_id = $1 AND dedup_key = ANY($2::text[])', [box.id, list.map((m) => keyOf(st.uidValidity, m.uid))]);
        messages.missing += list.length - there.rows.length;
      }
    }
    folders.postgres = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM mail_mailboxes')).rows[0].n);
    messages.postgres = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM mail_messages')).rows[0].n);
  } finally {
    await store.close();
    await maildir.close();
  }
  if (renumbered) process.stderr.write(`tegami db import-local: ${renumbered} message(s) got new UIDs (their folder already held mail in PostgreSQL)\n`);
  return [folders, messages];
}

/** The mail hook of `tegami db import-local` (registered when this module is loaded). */
export const MAIL_IMPORT: ImportHook = { name: 'mail', run: (pool, dataDir) => importMail(pool, dataDir) };
if (!IMPORT_HOOKS.includes(MAIL_IMPORT)) IMPORT_HOOKS.push(MAIL_IMPORT);
