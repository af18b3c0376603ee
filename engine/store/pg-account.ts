// The account view of the PostgreSQL store (what JMAP reads): folders with counts, visible emails with their
// copies and header facts, thread members, the change log's state and pages. Threads are set at append
// (pg-threads.ts), so there is nothing pending to read; it never writes a message row.
import type pg from 'pg';
import type { AccountFolder, AccountState, EmailExtra, EmailRow } from './mailbox-store.js';
import { checkedMeta } from './message-meta.js';
import { checkedExtra, parseJson } from './account-index.js';
import { readState, trim, VISIBLE_SQL } from './pg-log.js';
import { ownerKey, q, type AccountTx } from './pg-tx.js';

const UNREAD = "(position('S' in m.letters) = 0 AND position('D' in m.letters) = 0)";

/** Trim the change log; the state. */
export async function refreshAccount(tx: AccountTx): Promise<AccountState> {
  await trim(tx);
  return (await readState(tx.c, tx.owner))!;
}

export async function accountFolders(pool: pg.Pool, owner: string): Promise<AccountFolder[]> {
  const rows = await q<{ name: string; uidvalidity: string; sort_order: number | null; subscribed: boolean; total: string; unread: string; threads: string; unread_threads: string }>(
    pool,
    `SELECT b.name, b.uidvalidity, b.sort_order,
       EXISTS (SELECT 1 FROM mail_subscriptions s WHERE s.owner = b.owner AND s.name = b.name) AS subscribed,
       count(m.uid) AS total, count(m.uid) FILTER (WHERE ${UNREAD}) AS unread,
       count(DISTINCT coalesce(e.thread_id, m.email_id)) AS threads,
       count(DISTINCT coalesce(e.thread_id, m.email_id)) FILTER (WHERE ${UNREAD}) AS unread_threads
     FROM mail_mailboxes b
     LEFT JOIN mail_messages m ON m.mailbox_id = b.id AND ${VISIBLE_SQL}
     LEFT JOIN mail_emails e ON e.owner = m.owner AND e.email_id = m.email_id
     WHERE b.owner = $1 GROUP BY b.id ORDER BY b.name`,
    [ownerKey(owner)],
  );
  return rows.map((r) => ({
    name: r.name,
    uidValidity: Number(r.uidvalidity),
    sortOrder: r.sort_order,
    subscribed: r.subscribed,
    counts: { total: Number(r.total), unread: Number(r.unread), threads: Number(r.threads), unreadThreads: Number(r.unread_threads) },
  }));
}

export async function accountEmails(pool: pg.Pool, owner: string, ids?: string[]): Promise<EmailRow[]> {
  const rows = await q<{ email_id: string; name: string; uid: string; letters: string; keywords: string; size: string; internal_date: string; modseq: string; thread_id: string | null; meta: string | null; extra: string | null }>(
    pool,
    `SELECT m.email_id, b.name, m.uid, m.letters, m.keywords, m.size, m.internal_date, m.modseq, e.thread_id, e.meta, e.extra
     FROM mail_messages m JOIN mail_mailboxes b ON b.id = m.mailbox_id
     LEFT JOIN mail_emails e ON e.owner = m.owner AND e.email_id = m.email_id
     WHERE m.owner = $1 AND ${VISIBLE_SQL} AND ($2::text[] IS NULL OR m.email_id = ANY($2))
     ORDER BY m.email_id, b.name, m.uid`,
    [ownerKey(owner), ids ?? null],
  );
  const byId = new Map<string, EmailRow>();
  for (const r of rows) {
    let e = byId.get(r.email_id);
    if (!e) {
      e = {
        id: r.email_id,
        threadId: r.thread_id,
        size: Number(r.size),
        receivedAt: Number(r.internal_date),
        copies: [],
        meta: r.meta ? checkedMeta(parseJson(r.meta)) : null,
        extra: r.extra ? checkedExtra(parseJson(r.extra)) : null,
      };
      byId.set(r.email_id, e);
    }
    e.receivedAt = Math.min(e.receivedAt, Number(r.internal_date));
    e.copies.push({ folder: r.name, uid: Number(r.uid), letters: r.letters, keywords: r.keywords, modseq: Number(r.modseq) });
  }
  return [...byId.values()];
}

/** Visible emails of these threads, oldest first (then by id). */
export async function threadMembers(pool: pg.Pool, owner: string, tids: string[]): Promise<Map<string, string[]>> {
  const rows = await q<{ thread_id: string; email_id: string }>(
    pool,
    `SELECT e.thread_id, m.email_id, min(m.internal_date) AS first FROM mail_emails e JOIN mail_messages m ON m.owner = e.owner AND m.email_id = e.email_id
     WHERE e.owner = $1 AND e.thread_id = ANY($2) AND ${VISIBLE_SQL} GROUP BY e.thread_id, m.email_id ORDER BY first, m.email_id COLLATE "C"`,
    [ownerKey(owner), tids],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) {
    let l = out.get(r.thread_id);
    if (!l) out.set(r.thread_id, (l = []));
    l.push(r.email_id);
  }
  return out;
}

/** Cache what was derived from the whole message (not a change: the message itself did not change). */
export async function setEmailExtra(pool: pg.Pool, owner: string, emailId: string, extra: EmailExtra): Promise<void> {
  await q(pool, 'UPDATE mail_emails SET extra = $3 WHERE owner = $1 AND email_id = $2', [ownerKey(owner), emailId, JSON.stringify(extra)]);
}
