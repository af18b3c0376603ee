// `tegami db import-local`, the queue: a single node's spooled remote recipients move into the shared queue with
// their per-recipient state (attempts, next attempt, last reply, DSN options) and the message's hold, and the
// domain holds (holds.json) become queue_holds rows. Each message goes as pg-remote.ts hands one over: PostgreSQL
// commits first, then the recipients leave the local state, so a crash in between repeats nothing. Local
// recipients and unprocessed messages stay in the spool (`serve` delivers them into the shared store).
import fsp from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import { IMPORT_HOOKS, type ImportCount, type ImportHook } from '../db/pg/import-local.js';
import { destinationFor, recipientDomain } from '../outbound/destination.js';
import { readHolds } from '../outbound/holds.js';
import { Spool } from '../spool/spool.js';
import { DB_NOW, PgQueueStore } from './pg-queue-store.js';
import { openRecipients, readState, writeState } from './state.js';
import { inTransaction } from '../db/pg/transaction.js';

/** Copy the spool's remote recipients into the shared queue; counts of recipients and domain holds. */
export async function importQueue(pool: pg.Pool, dataDir: string, config: LoadedConfig): Promise<ImportCount[]> {
  const spool = new Spool(path.join(dataDir, 'spool'));
  const store = new PgQueueStore(pool, { owner: config.storage.node_name, leaseMs: config.storage.lease_time, cap: () => 1 });
  const rcpts: ImportCount = { table: 'queue_recipients', source: 0, imported: 0, postgres: 0, missing: 0 };
  const holds: ImportCount = { table: 'queue_holds', source: 0, imported: 0, postgres: 0, missing: 0 };
  for (const d of readHolds(dataDir)) {
    holds.source++;
    const r = await pool.query(`INSERT INTO queue_holds (domain, since, node) VALUES ($1, ${DB_NOW}, $2) ON CONFLICT (domain) DO NOTHING`, [d, config.storage.node_name]);
    holds.imported += r.rowCount ?? 0;
  }
  for (const id of await spool.queuedIds()) {
    const st = await readState(spool.queueDir, id);
    const remote = st ? openRecipients(st).filter((r) => r.kind === 'remote') : [];
    if (!st || !remote.length) continue; // unprocessed or only local recipients: serve resumes it from the spool
    const read = await spool.read(id);
    if (read.kind !== 'ok') continue; // damaged: the local queue moves it aside at serve's start, never here
    rcpts.source += remote.length;
    const all = await fsp.readFile(read.msg.file);
    await inTransaction(pool, async (c) => {
      const there = await c.query('SELECT 1 FROM queue_envelopes WHERE id = $1', [id]);
      if (!there.rows.length) {
        const rows = remote.map((r) => ({ address: r.address, rcpt: r.rcpt, notify: r.notify, orcpt: r.orcpt, dest: destinationFor(recipientDomain(r.address), config).key }));
        await store.enqueue(read.msg.envelope, all.subarray(read.msg.bodyOffset), rows, c, { noNotice: st.noNotice });
        for (const r of remote) {
          await c.query('UPDATE queue_recipients SET state = $3, attempts = $4, next_attempt = $5, last_attempt = $6, last_reply = $7 WHERE message_id = $1 AND address = $2', [
            id,
            r.address,
            r.status,
            r.attempts,
            Math.round(r.nextAttempt),
            r.lastAttempt ?? null,
            r.lastError ?? null,
          ]);
        }
        await c.query('UPDATE queue_envelopes SET held = $2, delay_warned = $3, created = $4 WHERE id = $1', [id, st.held, !!st.delayWarned, st.created]);
        rcpts.imported += remote.length;
      }
      const found = await c.query('SELECT 1 FROM queue_recipients WHERE message_id = $1 AND address = ANY($2::text[])', [id, remote.map((r) => r.address)]);
      rcpts.missing += remote.length - found.rows.length;
    });
    // committed: the recipients leave the local state (a crash before this finds the id in PostgreSQL next time)
    st.recipients = st.recipients.filter((x) => !remote.includes(x));
    if (openRecipients(st).length === 0) await spool.remove(id);
    else await writeState(spool.queueDir, st);
  }
  rcpts.postgres = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM queue_recipients')).rows[0].n);
  holds.postgres = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM queue_holds')).rows[0].n);
  return [rcpts, holds];
}

/** The queue hook of `tegami db import-local` (registered when this module is loaded). */
export const QUEUE_IMPORT: ImportHook = {
  name: 'queue',
  run: (pool, dataDir, opts) => {
    if (!opts.config) throw new Error('import-local: the queue needs the node\'s config (routes decide destinations)');
    return importQueue(pool, dataDir, opts.config);
  },
};
if (!IMPORT_HOOKS.includes(QUEUE_IMPORT)) IMPORT_HOOKS.push(QUEUE_IMPORT);
