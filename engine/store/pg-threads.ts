// Threads of the PostgreSQL store (the rules of account-index.ts): a new email joins the thread of a message it
// replies to or references, or of one that referenced it first, when the base subjects agree; else it starts
// one. Runs inside the caller's account transaction; it never logs changes (pg-log.ts does, after the insert).
import { threadIdOf } from './email-ids.js';
import { baseSubject, type EmailMeta } from './message-meta.js';
import type { AccountTx } from './pg-tx.js';

/** Record a new email's header facts and thread (before its first message row is inserted). */
export async function assignThread(tx: AccountTx, eid: string, meta: EmailMeta): Promise<string> {
  const subject = baseSubject(meta.subject);
  // closest parent first: In-Reply-To, then References from the last (the parent) to the first (the root)
  const candidates = [...meta.inReplyTo, ...[...meta.references].reverse(), ...meta.messageId];
  let tid: string | null = null;
  if (candidates.length) {
    const rows = await tx.query<{ msgid: string; thread_id: string; subject: string | null }>(
      `SELECT k.msgid, k.thread_id, t.subject FROM mail_thread_keys k LEFT JOIN mail_threads t ON t.owner = k.owner AND t.thread_id = k.thread_id
       WHERE k.owner = $1 AND k.msgid = ANY($2)`,
      [tx.owner, candidates],
    );
    for (const id of candidates) {
      const hit = rows.find((r) => r.msgid === id && (r.subject === null || r.subject === subject || r.subject === '' || subject === ''));
      if (hit) {
        tid = hit.thread_id;
        break;
      }
    }
  }
  tid ??= threadIdOf(eid);
  await tx.query('INSERT INTO mail_threads (owner, thread_id, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [tx.owner, tid, subject]);
  const keys = [...new Set([...meta.messageId, ...meta.inReplyTo, ...meta.references])];
  if (keys.length) {
    await tx.query('INSERT INTO mail_thread_keys (owner, msgid, thread_id) SELECT $1, k, $3 FROM unnest($2::text[]) AS k ON CONFLICT DO NOTHING', [tx.owner, keys, tid]);
  }
  await tx.query('INSERT INTO mail_emails (owner, email_id, thread_id, meta) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [tx.owner, eid, tid, JSON.stringify(meta)]);
  return tid;
}
