// The sending counts and limit overrides on PostgreSQL ([storage] backend = "postgres", migrations 51 and 52):
// every node counts in the same rows, so an account's cap holds across nodes. A claim runs in one transaction
// under an advisory lock per account (released with it), so simultaneous sessions on any node are counted one at a
// time. The same rules as the SQLite ledger (send-ledger.ts); it never sends mail.
import type pg from 'pg';
import { DAY_MS, ledgerKey, overLimit, type LimitOverride, type SendClaim, type SendLedger, type SendLimits, type SendUsage } from './send-limit.js';
import { openDatabase, type Db } from '../db/database.js';
import { isEmptyOverride, overrideFromRow, SqliteSendLedger, USAGE_SQL, usageArgs, usageFromRow } from './send-ledger.js';
import { inTransaction } from '../db/pg/transaction.js';

const SQL = USAGE_SQL((i) => `$${i}`).replace('settled = 1', 'settled');

export class PgSendLedger implements SendLedger {
  constructor(private readonly pool: pg.Pool) {}

  async override(key: string): Promise<LimitOverride> {
    const r = await this.pool.query('SELECT * FROM send_limits WHERE key = $1', [ledgerKey(key)]);
    return overrideFromRow(r.rows[0]);
  }

  async setOverride(key: string, o: LimitOverride): Promise<void> {
    const k = ledgerKey(key);
    if (isEmptyOverride(o)) {
      await this.pool.query('DELETE FROM send_limits WHERE key = $1', [k]);
      return;
    }
    await this.pool.query(
      `INSERT INTO send_limits (key, messages_hour, messages_day, recipients_hour, recipients_day) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key) DO UPDATE SET messages_hour = excluded.messages_hour, messages_day = excluded.messages_day,
         recipients_hour = excluded.recipients_hour, recipients_day = excluded.recipients_day`,
      [k, o.messagesPerHour, o.messagesPerDay, o.recipientsPerHour, o.recipientsPerDay],
    );
  }

  async usage(address: string, now: number): Promise<SendUsage> {
    const r = await this.pool.query(SQL, usageArgs(ledgerKey(address), now));
    return usageFromRow(r.rows[0]);
  }

  async claim(address: string, msg: string, rcpts: number, now: number, limits: SendLimits): Promise<SendClaim> {
    const a = ledgerKey(address);
    return inTransaction(this.pool, async (c): Promise<SendClaim> => {
      // one account's claims one at a time, on every node (the lock ends with the transaction)
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`send_log:${a}`]);
      await c.query('DELETE FROM send_log WHERE address = $1 AND at <= $2', [a, now - DAY_MS]);
      const seen = await c.query('SELECT 1 FROM send_log WHERE address = $1 AND msg = $2', [a, msg]);
      if (seen.rowCount) return { ok: true };
      // over a limit, nothing is claimed (the transaction only pruned rows past the day)
      const over = overLimit(usageFromRow((await c.query(SQL, usageArgs(a, now))).rows[0]), limits, 1, rcpts);
      if (over) return { ok: false, over };
      await c.query('INSERT INTO send_log (address, msg, at, rcpts, settled) VALUES ($1, $2, $3, $4, false)', [a, msg, now, rcpts]);
      return { ok: true };
    });
  }

  async settle(address: string, msg: string, accepted: boolean): Promise<void> {
    const a = ledgerKey(address);
    if (accepted) await this.pool.query('UPDATE send_log SET settled = true WHERE address = $1 AND msg = $2', [a, msg]);
    else await this.pool.query('DELETE FROM send_log WHERE address = $1 AND msg = $2 AND NOT settled', [a, msg]);
  }
}

/** The ledger of a node: the shared rows on PostgreSQL (when it has a pool), else the accounts database. */
export function openSendLedger(db: Db, pool?: pg.Pool): SendLedger {
  return pool ? new PgSendLedger(pool) : new SqliteSendLedger(db);
}

/**
 * The ledger `serve` counts with. On SQLite it uses a connection of its own to tegami.db whose commits are not
 * fsynced (WAL with synchronous = NORMAL). Its two writes per message then cost no disk flush on the main
 * thread (about 11 ms a message on a loaded machine with FULL), and a power cut can at most forget the last
 * few counts. A crash of the process loses nothing: WAL commits are in the OS's cache.
 */
export function serveSendLedger(dataDir: string, pool?: pg.Pool): { ledger: SendLedger; close(): void } {
  if (pool) return { ledger: new PgSendLedger(pool), close: () => {} };
  const db = openDatabase(dataDir);
  db.pragma('synchronous = NORMAL');
  return { ledger: new SqliteSendLedger(db), close: () => db.close() };
}
