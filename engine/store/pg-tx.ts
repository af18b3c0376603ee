// Transactions of the PostgreSQL mailbox store: one account's writes run under its mail_accounts row lock
// (taken first, so writes never deadlock), every change takes the next account MODSEQ, and the database being
// unreachable becomes StoreError('UNAVAILABLE'). It never decides what a change means (pg-log.ts, pg-messages.ts).
import crypto from 'node:crypto';
import type pg from 'pg';
import { StoreError } from './store-error.js';

export type Owner = string;

/** An owner as stored (addresses compare case-insensitively). */
export const ownerKey = (owner: Owner): string => owner.toLowerCase();

/** "inbox" in any case is INBOX; other names are kept as given. */
export const canon = (folder: string): string => (folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder);

/** SQLSTATE classes and codes meaning "the database is not there now" (not a bug, not bad input). */
function unavailableCause(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  // 08: connection exceptions; 57P0x: shutdown, crash, starting up; 53300/53400: too many connections;
  // 57014: statement_timeout (an overloaded database: temporary from the client's side too)
  if (/^08/.test(code) || ['57P01', '57P02', '57P03', '53300', '53400', '57014'].includes(code)) return true;
  if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE...
  const msg = typeof err?.message === 'string' ? err.message : '';
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed/i.test(msg);
}

/** Turn a lost or refused database connection into the typed refusal; anything else is rethrown as it is. */
export function mapDbError(e: unknown): never {
  if (e instanceof StoreError) throw e;
  if (unavailableCause(e)) throw new StoreError('UNAVAILABLE', `mail store unavailable: ${(e as Error).message}`);
  throw e;
}

/** A query on the pool (one statement, its own transaction), with the error mapping. */
export async function q<R extends pg.QueryResultRow = pg.QueryResultRow>(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<R[]> {
  try {
    return (await pool.query<R>(sql, params)).rows;
  } catch (e) {
    mapDbError(e);
  }
}

/** One account's write transaction: the client, the owner, and the account MODSEQ it has taken so far. */
export class AccountTx {
  /** The account's MODSEQ; next() takes the following one. */
  modseq: number;
  /** Folders changed (names), for notices after commit. */
  readonly touched = new Set<string>();
  /** Mailboxes whose HIGHESTMODSEQ becomes the account's MODSEQ at commit. */
  readonly bumped = new Set<number>();
  /** JMAP type states moved in this transaction. */
  readonly states: { email?: number; mailbox?: number; thread?: number; delivery?: number } = {};

  constructor(
    readonly c: pg.PoolClient,
    readonly owner: string,
    modseq: number,
  ) {
    this.modseq = modseq;
  }

  next(): number {
    return ++this.modseq;
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.c.query<R>(sql, params)).rows;
  }
}

/** Make the account row and its INBOX exist (once per owner and process; a race with another node is harmless). */
export async function ensureAccount(c: pg.ClientBase, owner: string): Promise<void> {
  const epoch = crypto.randomInt(1, 2 ** 47);
  const v = freshUidValidity(0);
  // one statement: the account and its INBOX appear together or not at all
  await c.query(
    `WITH a AS (INSERT INTO mail_accounts (owner, epoch, last_uidvalidity) VALUES ($1, $2, $3) ON CONFLICT (owner) DO NOTHING RETURNING owner)
     INSERT INTO mail_mailboxes (owner, name, uidvalidity) SELECT owner, 'INBOX', $3 FROM a`,
    [owner, epoch, v],
  );
}

let lastValidity = 0;

/** A new UIDVALIDITY: the time in seconds, above every one this account or process gave before. */
export function freshUidValidity(floor: number): number {
  const v = Math.max(Math.floor(Date.now() / 1000), lastValidity + 1, floor + 1);
  lastValidity = v;
  return v;
}

export type Notify = (owner: string, folders: Set<string>) => void;

/**
 * Run fn in one transaction under the owner's account row lock. Changes made take MODSEQs from the row; they are
 * written back with the type states, and pg_notify is sent inside the transaction (delivered on commit).
 */
export async function withAccount<T>(pool: pg.Pool, ownerIn: Owner, known: Set<string>, notify: Notify, fn: (tx: AccountTx) => Promise<T>): Promise<T> {
  const owner = ownerKey(ownerIn);
  let c: pg.PoolClient;
  try {
    c = await pool.connect();
  } catch (e) {
    mapDbError(e);
  }
  let broken = false;
  let tx: AccountTx | undefined;
  try {
    if (!known.has(owner)) {
      await ensureAccount(c, owner);
      known.add(owner);
    }
    await c.query('BEGIN');
    const lock = () => c.query<{ modseq: string }>('SELECT modseq FROM mail_accounts WHERE owner = $1 FOR UPDATE', [owner]);
    let row = (await lock()).rows[0];
    if (!row) {
      // the account row went away (removed by an operator): make it again inside this transaction
      await ensureAccount(c, owner);
      row = (await lock()).rows[0];
    }
    tx = new AccountTx(c, owner, Number(row.modseq));
    const start = tx.modseq;
    const out = await fn(tx);
    if (tx.bumped.size && tx.modseq === start) tx.next();
    if (tx.bumped.size || tx.modseq !== start || tx.touched.size) {
      // one round trip: the mailboxes' HIGHESTMODSEQ, the account's MODSEQ and type states, and the notice (sent
      // on commit); each part only when there is something to write
      const s = tx.states;
      await c.query(
        `WITH boxes AS (UPDATE mail_mailboxes SET highestmodseq = $2 WHERE id = ANY($7::bigint[])),
              account AS (UPDATE mail_accounts SET modseq = $2,
                state_email = coalesce($3, state_email), state_mailbox = coalesce($4, state_mailbox),
                state_thread = coalesce($5, state_thread), state_delivery = coalesce($6, state_delivery)
              WHERE owner = $1 AND $8::boolean)
         SELECT pg_notify($9, $10) WHERE $10::text IS NOT NULL`,
        [
          owner,
          tx.modseq,
          s.email ?? null,
          s.mailbox ?? null,
          s.thread ?? null,
          s.delivery ?? null,
          [...tx.bumped],
          tx.modseq !== start,
          MAILBOX_CHANNEL,
          tx.touched.size ? notice(owner, tx.touched) : null,
        ],
      );
    }
    await c.query('COMMIT');
    if (tx.touched.size) notify(owner, tx.touched);
    return out;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => (broken = true));
    if (unavailableCause(e)) broken = true;
    return mapDbError(e);
  } finally {
    c.release(broken ? true : undefined);
  }
}

/** The NOTIFY channel of mailbox changes; the payload is JSON [owner, [folder...]] (at most 8000 bytes). */
export const MAILBOX_CHANNEL = 'tegami_mailbox';

function notice(owner: string, folders: Set<string>): string {
  const text = JSON.stringify([owner, [...folders]]);
  return text.length < 7900 ? text : JSON.stringify([owner, null]); // too many folders: "the whole account"
}
