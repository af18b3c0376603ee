// Message operations of the PostgreSQL store: append (UIDs taken from the mailbox row under the account lock),
// list, status, read, flags with CONDSTORE, expunge, copy and move (email ids kept), each change logged in the
// same transaction. It never creates or renames folders (pg-mailboxes.ts) and never reads a whole folder's bodies.
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import type pg from 'pg';
import type { AppendOptions, FlagMode, FolderStatus, MessageInfo } from './mailbox-store.js';
import { applyFlags, flagsOf } from './maildir-flags.js';
import { metaOf, META_HEAD_LIMIT } from './message-meta.js';
import { putBuffer, putFile, type BlobRef } from './pg-blobs.js';
import { afterChange, recordAll, snapshot, threadVisible, type Change } from './pg-log.js';
import { assignThread } from './pg-threads.js';
import { canon, mapDbError, ownerKey, q, type AccountTx } from './pg-tx.js';
import { StoreError } from './store-error.js';
import { emailIdOf, mailboxIdOf, threadIdOf } from './email-ids.js';

export interface MailboxRow {
  id: number;
  uidvalidity: number;
  uidnext: number;
  highestmodseq: number;
}

interface MessageRowPg {
  uid: string;
  size: string;
  letters: string;
  keywords: string;
  internal_date: string;
  modseq: string;
  email_key: string;
  email_id: string;
  blob_hash: Buffer;
}

const COLS = 'uid, size, letters, keywords, internal_date, modseq, email_key, email_id, blob_hash';

export function infoOf(r: MessageRowPg): MessageInfo {
  return {
    uid: Number(r.uid),
    size: Number(r.size),
    flags: flagsOf(r.letters, r.keywords),
    internalDate: Number(r.internal_date),
    modseq: Number(r.modseq),
    key: r.email_key,
  };
}

function mailboxOf(r: { id: string; uidvalidity: string; uidnext: string; highestmodseq: string }): MailboxRow {
  return { id: Number(r.id), uidvalidity: Number(r.uidvalidity), uidnext: Number(r.uidnext), highestmodseq: Number(r.highestmodseq) };
}

/** The folder's row, or NONEXISTENT. */
export async function mailbox(c: pg.ClientBase | pg.Pool, owner: string, folder: string): Promise<MailboxRow> {
  let r;
  try {
    r = (await c.query('SELECT id, uidvalidity, uidnext, highestmodseq FROM mail_mailboxes WHERE owner = $1 AND name = $2', [ownerKey(owner), canon(folder)])).rows[0];
  } catch (e) {
    mapDbError(e);
  }
  if (!r) throw new StoreError('NONEXISTENT', `no folder ${folder}`);
  return mailboxOf(r);
}

/** Take n UIDs from the mailbox row (the row is locked until commit: no two appends share a UID). */
async function takeUids(tx: AccountTx, id: number, n: number): Promise<number> {
  const r = await tx.query<{ first: string }>('UPDATE mail_mailboxes SET uidnext = uidnext + $2 WHERE id = $1 RETURNING uidnext - $2 AS first', [id, n]);
  return Number(r[0].first);
}

/** A new email: a random key (nothing else names a stored message) and its id, the key's hash as for Maildir names. */
export function newEmail(): { key: string; id: string } {
  const key = 'pg' + crypto.randomBytes(15).toString('hex');
  return { key, id: emailIdOf(key) };
}

export type Body = { kind: 'buffer'; data: Buffer } | { kind: 'file'; file: string; ref: BlobRef; head: Buffer };

/** Store one message into a folder inside the account transaction; returns its UID. */
export async function appendIn(tx: AccountTx, folder: string, body: Body, opts: AppendOptions): Promise<{ uid: number; uidValidity: number }> {
  const box = await mailbox(tx.c, tx.owner, folder);
  if (opts.dedupKey) {
    const dup = await tx.query<{ uid: string }>('SELECT uid FROM mail_messages WHERE mailbox_id = $1 AND dedup_key = $2', [box.id, opts.dedupKey]);
    if (dup.length) return { uid: Number(dup[0].uid), uidValidity: box.uidvalidity };
  }
  const ref = body.kind === 'buffer' ? await putBuffer(tx.c, body.data) : await putFile(tx.c, body.file, body.ref);
  const { key, id: eid } = newEmail();
  const tid = await assignThread(tx, eid, metaOf(body.kind === 'buffer' ? body.data : body.head));
  const { letters, keywords } = applyFlags('', '', 'replace', opts.flags ?? []);
  const visible = !letters.includes('T'); // VISIBLE_SQL
  // What snapshot() + afterChange() would ask, known here without asking: the new email (a fresh random id) had
  // no copy and has one now; a thread made for it had no visible email; only a thread it joined is counted.
  const threadWas = visible && tid !== threadIdOf(eid) ? ((await threadVisible(tx, [tid])).get(tid) ?? 0) : 0;
  const uid = await takeUids(tx, box.id, 1);
  await tx.query(
    `INSERT INTO mail_messages (mailbox_id, uid, owner, email_key, email_id, letters, keywords, modseq, internal_date, size, blob_hash, dedup_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [box.id, uid, tx.owner, key, eid, letters, keywords, tx.next(), Math.round(opts.internalDate ?? Date.now()), ref.size, ref.hash, opts.dedupKey ?? null],
  );
  // the same rows and MODSEQs as afterChange() for this case, in one statement
  const logged: Change[] = visible
    ? [
        { type: 'Email', id: eid, kind: 'created' },
        { type: 'Thread', id: tid, kind: threadWas === 0 ? 'created' : 'updated' },
      ]
    : [];
  await recordAll(tx, [...logged, { type: 'Mailbox', id: mailboxIdOf(box.uidvalidity), kind: 'updated' }]);
  tx.bumped.add(box.id);
  tx.touched.add(canon(folder));
  return { uid, uidValidity: box.uidvalidity };
}

/** The header section of a staged file (threading facts), at most META_HEAD_LIMIT bytes. */
export async function fileHead(file: string): Promise<Buffer> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(META_HEAD_LIMIT);
    const { bytesRead } = await fh.read(buf, 0, META_HEAD_LIMIT, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function list(pool: pg.Pool, owner: string, folder: string): Promise<MessageInfo[]> {
  const rows = await q<MessageRowPg>(
    pool,
    `SELECT ${COLS} FROM mail_messages WHERE mailbox_id = (SELECT id FROM mail_mailboxes WHERE owner = $1 AND name = $2) ORDER BY uid`,
    [ownerKey(owner), canon(folder)],
  );
  if (!rows.length) await mailbox(pool, owner, folder); // empty, or no such folder
  return rows.map(infoOf);
}

export async function status(pool: pg.Pool, owner: string, folder: string): Promise<FolderStatus> {
  const r = (
    await q<{ uidvalidity: string; uidnext: string; highestmodseq: string; n: string; unseen: string }>(
      pool,
      `SELECT b.uidvalidity, b.uidnext, b.highestmodseq, count(m.uid) AS n, count(m.uid) FILTER (WHERE position('S' in m.letters) = 0) AS unseen
       FROM mail_mailboxes b LEFT JOIN mail_messages m ON m.mailbox_id = b.id WHERE b.owner = $1 AND b.name = $2 GROUP BY b.id`,
      [ownerKey(owner), canon(folder)],
    )
  )[0];
  if (!r) throw new StoreError('NONEXISTENT', `no folder ${folder}`);
  return { uidValidity: Number(r.uidvalidity), uidNext: Number(r.uidnext), messages: Number(r.n), unseen: Number(r.unseen), highestModseq: Number(r.highestmodseq) };
}

/** The body reference of one message, or NONEXISTENT. */
export async function bodyOf(pool: pg.Pool, owner: string, folder: string, uid: number): Promise<BlobRef> {
  const r = (
    await q<{ blob_hash: Buffer; size: string }>(
      pool,
      'SELECT m.blob_hash, m.size FROM mail_messages m JOIN mail_mailboxes b ON b.id = m.mailbox_id WHERE b.owner = $1 AND b.name = $2 AND m.uid = $3',
      [ownerKey(owner), canon(folder), uid],
    )
  )[0];
  if (!r) throw new StoreError('NONEXISTENT', `no message with UID ${uid} in ${folder}`);
  return { hash: r.blob_hash, size: Number(r.size) };
}

async function rowsFor(tx: AccountTx, boxId: number, uids: number[], lock = false): Promise<MessageRowPg[]> {
  return tx.query<MessageRowPg>(`SELECT ${COLS} FROM mail_messages WHERE mailbox_id = $1 AND uid = ANY($2) ORDER BY uid${lock ? ' FOR UPDATE' : ''}`, [boxId, uids]);
}

export async function updateFlags(
  tx: AccountTx, folder: string, uids: number[], mode: FlagMode, flags: string[], unchangedSince?: number,
): Promise<{ updated: MessageInfo[]; failed: number[] }> {
  const box = await mailbox(tx.c, tx.owner, folder);
  const failed: number[] = [];
  const updated: MessageInfo[] = [];
  const changes: { row: MessageRowPg; letters: string; keywords: string }[] = [];
  for (const row of await rowsFor(tx, box.id, uids, true)) {
    if (unchangedSince !== undefined && Number(row.modseq) > unchangedSince) {
      failed.push(Number(row.uid));
      continue;
    }
    const next = applyFlags(row.letters, row.keywords, mode, flags);
    if (next.letters === row.letters && next.keywords === row.keywords) updated.push(infoOf(row));
    else changes.push({ row, ...next });
  }
  if (changes.length) {
    const snap = await snapshot(tx, changes.map((c) => c.row.email_id));
    for (const c of changes) {
      const ms = tx.next();
      await tx.query('UPDATE mail_messages SET letters = $3, keywords = $4, modseq = $5 WHERE mailbox_id = $1 AND uid = $2', [box.id, c.row.uid, c.letters, c.keywords, ms]);
      updated.push(infoOf({ ...c.row, letters: c.letters, keywords: c.keywords, modseq: String(ms) }));
    }
    await afterChange(tx, snap, [box.uidvalidity], changes.map((c) => c.row.email_id));
    tx.bumped.add(box.id);
    tx.touched.add(canon(folder));
  }
  updated.sort((a, b) => a.uid - b.uid);
  return { updated, failed: failed.sort((a, b) => a - b) };
}

export async function expunge(tx: AccountTx, folder: string, uids: number[]): Promise<void> {
  const box = await mailbox(tx.c, tx.owner, folder);
  const rows = await rowsFor(tx, box.id, uids, true);
  if (!rows.length) return;
  const snap = await snapshot(tx, rows.map((r) => r.email_id));
  await tx.query('DELETE FROM mail_messages WHERE mailbox_id = $1 AND uid = ANY($2)', [box.id, rows.map((r) => r.uid)]);
  await afterChange(tx, snap, [box.uidvalidity]);
  tx.bumped.add(box.id);
  tx.touched.add(canon(folder));
}

/**
 * Copy (or, with `move`, move) messages to another folder. A copy keeps the original's email id (one email in two
 * mailboxes; a move keeps its id) unless the target already holds that email: then it becomes a new email.
 */
export async function transfer(tx: AccountTx, from: string, uids: number[], to: string, move: boolean): Promise<{ uidValidity: number; mapping: [number, number][] }> {
  const src = await mailbox(tx.c, tx.owner, from);
  const dst = await mailbox(tx.c, tx.owner, to);
  if (move && src.id === dst.id) throw new StoreError('CANNOT', 'source and target are the same folder');
  const rows = await rowsFor(tx, src.id, uids, move);
  if (!rows.length) return { uidValidity: dst.uidvalidity, mapping: [] };
  const inTarget = new Set(
    (await tx.query<{ email_id: string }>('SELECT email_id FROM mail_messages WHERE mailbox_id = $1 AND email_id = ANY($2)', [dst.id, rows.map((r) => r.email_id)])).map((r) => r.email_id),
  );
  const plan = rows.map((r) => {
    const e = inTarget.has(r.email_id) ? newEmail() : { key: r.email_key, id: r.email_id };
    inTarget.add(e.id);
    return { row: r, eid: e.id, key: e.key };
  });
  for (const p of plan) {
    if (p.eid === p.row.email_id) continue;
    await tx.query(
      'INSERT INTO mail_emails (owner, email_id, thread_id, meta, extra) SELECT owner, $3, thread_id, meta, extra FROM mail_emails WHERE owner = $1 AND email_id = $2',
      [tx.owner, p.row.email_id, p.eid],
    );
  }
  const snap = await snapshot(tx, [...rows.map((r) => r.email_id), ...plan.map((p) => p.eid)]);
  if (move) await tx.query('DELETE FROM mail_messages WHERE mailbox_id = $1 AND uid = ANY($2)', [src.id, rows.map((r) => r.uid)]);
  const first = await takeUids(tx, dst.id, plan.length);
  const mapping: [number, number][] = [];
  for (const [i, p] of plan.entries()) {
    await tx.query(
      `INSERT INTO mail_messages (mailbox_id, uid, owner, email_key, email_id, letters, keywords, modseq, internal_date, size, blob_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [dst.id, first + i, tx.owner, p.key, p.eid, p.row.letters, p.row.keywords, tx.next(), p.row.internal_date, p.row.size, p.row.blob_hash],
    );
    mapping.push([Number(p.row.uid), first + i]);
  }
  await afterChange(tx, snap, move ? [src.uidvalidity, dst.uidvalidity] : [dst.uidvalidity]);
  tx.bumped.add(dst.id);
  tx.touched.add(canon(to));
  if (move) {
    tx.bumped.add(src.id);
    tx.touched.add(canon(from));
  }
  return { uidValidity: dst.uidvalidity, mapping };
}

/** Octets and messages in all of the owner's folders (counters the message triggers keep on the account row). */
export async function usage(pool: pg.Pool, owner: string): Promise<{ bytes: number; messages: number }> {
  const r = (await q<{ used_bytes: string; used_messages: string }>(pool, 'SELECT used_bytes, used_messages FROM mail_accounts WHERE owner = $1', [ownerKey(owner)]))[0];
  return { bytes: Number(r?.used_bytes ?? 0), messages: Number(r?.used_messages ?? 0) };
}
