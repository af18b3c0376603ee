// The account change log on PostgreSQL (the same rules as account-log.ts for SQLite): inside an account
// transaction, every append, expunge, flag change, move and folder change takes the next account MODSEQ and
// leaves one row per Email, Mailbox and Thread, so JMAP /changes and IMAP MODSEQ are one history. It never
// commits: the caller's transaction (pg-tx.ts) does.
import type { AccountTx } from './pg-tx.js';
import { pageChanges, type AccountState, type ChangeRow, type ChangesPage, type ChangeType, KEEP_DESTROYED } from './account-log.js';
import { mailboxIdOf } from './email-ids.js';
import type pg from 'pg';

/** Visible to JMAP: not \Deleted (letter T). */
export const VISIBLE_SQL = "position('T' in m.letters) = 0";

export interface Snapshot {
  emails: Map<string, number>;
  threads: Map<string, number>;
}

type Kind = 'created' | 'updated' | 'destroyed';

/** Record one change of one object (type state and, for a new Email, the delivery state move too). */
export async function record(tx: AccountTx, type: ChangeType, id: string, kind: Kind, props = false): Promise<void> {
  const ms = tx.next();
  await tx.query(
    `INSERT INTO mail_changes AS c (owner, type, id, created, modseq, destroyed, props)
       VALUES ($1, $2, $3, CASE WHEN $4 = 'created' THEN $5::bigint ELSE 0 END, $5, $4 = 'destroyed', $5)
     ON CONFLICT (owner, type, id) DO UPDATE SET
       created = CASE WHEN $4 = 'created' OR ($4 = 'updated' AND c.destroyed) THEN $5::bigint ELSE c.created END,
       modseq = $5,
       destroyed = $4 = 'destroyed',
       props = CASE WHEN $4 = 'updated' AND NOT c.destroyed AND NOT $6 THEN c.props ELSE $5::bigint END`,
    [tx.owner, type, id, kind, ms, props],
  );
  noteState(tx, type, kind, ms);
}

/** One change to record: the object and what happened to it (its properties unchanged, as `record` without props). */
export interface Change {
  type: ChangeType;
  id: string;
  kind: Kind;
}

/**
 * Record several changes in one statement: the same rows and MODSEQs, in order, as `record(tx, type, id, kind)`
 * once for each (one round trip instead of one per object). The changes must name distinct objects.
 */
export async function recordAll(tx: AccountTx, changes: Change[]): Promise<void> {
  if (!changes.length) return;
  const ms = changes.map(() => tx.next());
  await tx.query(
    `INSERT INTO mail_changes AS c (owner, type, id, created, modseq, destroyed, props)
       SELECT $1, v.type, v.id, CASE WHEN v.kind = 'created' THEN v.ms ELSE 0 END, v.ms, v.kind = 'destroyed', v.ms
       FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) AS v(type, id, kind, ms)
     ON CONFLICT (owner, type, id) DO UPDATE SET
       created = CASE WHEN EXCLUDED.created <> 0 OR (NOT EXCLUDED.destroyed AND c.destroyed) THEN EXCLUDED.modseq ELSE c.created END,
       modseq = EXCLUDED.modseq,
       destroyed = EXCLUDED.destroyed,
       props = CASE WHEN EXCLUDED.created = 0 AND NOT EXCLUDED.destroyed AND NOT c.destroyed THEN c.props ELSE EXCLUDED.modseq END`,
    [tx.owner, changes.map((c) => c.type), changes.map((c) => c.id), changes.map((c) => c.kind), ms],
  );
  changes.forEach((c, i) => noteState(tx, c.type, c.kind, ms[i]));
}

function noteState(tx: AccountTx, type: ChangeType, kind: Kind, ms: number): void {
  if (type === 'Email') tx.states.email = ms;
  else if (type === 'Mailbox') tx.states.mailbox = ms;
  else tx.states.thread = ms;
  if (type === 'Email' && kind === 'created') tx.states.delivery = ms;
}

export function mailboxChanged(tx: AccountTx, uidValidity: number, kind: Kind, props = true): Promise<void> {
  return record(tx, 'Mailbox', mailboxIdOf(uidValidity), kind, props);
}

async function visibleCounts(tx: AccountTx, eids: string[]): Promise<Map<string, { visible: number; any: number }>> {
  const rows = await tx.query<{ email_id: string; visible: string; n: string }>(
    `SELECT m.email_id, count(*) FILTER (WHERE ${VISIBLE_SQL}) AS visible, count(*) AS n FROM mail_messages m
     WHERE m.owner = $1 AND m.email_id = ANY($2) GROUP BY m.email_id`,
    [tx.owner, eids],
  );
  return new Map(rows.map((r) => [r.email_id, { visible: Number(r.visible), any: Number(r.n) }]));
}

async function threadsOf(tx: AccountTx, eids: string[]): Promise<Map<string, string>> {
  const rows = await tx.query<{ email_id: string; thread_id: string }>(
    'SELECT email_id, thread_id FROM mail_emails WHERE owner = $1 AND email_id = ANY($2)',
    [tx.owner, eids],
  );
  return new Map(rows.map((r) => [r.email_id, r.thread_id]));
}

export async function threadVisible(tx: AccountTx, tids: string[]): Promise<Map<string, number>> {
  const rows = await tx.query<{ thread_id: string; n: string }>(
    `SELECT e.thread_id, count(DISTINCT e.email_id) AS n FROM mail_emails e JOIN mail_messages m ON m.owner = e.owner AND m.email_id = e.email_id
     WHERE e.owner = $1 AND e.thread_id = ANY($2) AND ${VISIBLE_SQL} GROUP BY e.thread_id`,
    [tx.owner, tids],
  );
  return new Map(rows.map((r) => [r.thread_id, Number(r.n)]));
}

/** Visibility of these emails and their threads before a change. */
export async function snapshot(tx: AccountTx, eidList: Iterable<string>): Promise<Snapshot> {
  const eids = [...new Set(eidList)];
  const counts = await visibleCounts(tx, eids);
  const tids = await threadsOf(tx, eids);
  const threads = await threadVisible(tx, [...new Set(tids.values())]);
  const s: Snapshot = { emails: new Map(), threads: new Map() };
  for (const e of eids) s.emails.set(e, counts.get(e)?.visible ?? 0);
  for (const t of new Set(tids.values())) s.threads.set(t, threads.get(t) ?? 0);
  return s;
}

/**
 * After a change in the same transaction: emails whose visibility changed are created or destroyed, others
 * updated; their threads follow; each touched folder's counts changed. Emails without any copy lose their facts.
 */
export async function afterChange(tx: AccountTx, before: Snapshot, folders: Iterable<number>, updatedEmails: Iterable<string> = before.emails.keys()): Promise<void> {
  const eids = [...before.emails.keys()];
  const now = await visibleCounts(tx, eids);
  const tids = await threadsOf(tx, eids);
  const updated = new Set(updatedEmails);
  const touchedThreads = new Set<string>();
  const orphans: string[] = [];
  for (const [eid, was] of before.emails) {
    const n = now.get(eid)?.visible ?? 0;
    const tid = tids.get(eid);
    if (was === 0 && n > 0) await record(tx, 'Email', eid, 'created');
    else if (was > 0 && n === 0) await record(tx, 'Email', eid, 'destroyed');
    else if (was > 0 && updated.has(eid)) await record(tx, 'Email', eid, 'updated');
    if ((was === 0) !== (n === 0) && tid) touchedThreads.add(tid);
    if (!now.get(eid)?.any) orphans.push(eid);
  }
  if (orphans.length) await tx.query('DELETE FROM mail_emails WHERE owner = $1 AND email_id = ANY($2)', [tx.owner, orphans]);
  if (touchedThreads.size) await threadsChanged(tx, [...touchedThreads], before.threads);
  for (const v of new Set(folders)) await mailboxChanged(tx, v, 'updated', false);
}

/** Threads whose visible emails went from `was` to what they are now; a thread with no email left goes. */
export async function threadsChanged(tx: AccountTx, tids: string[], was: Map<string, number>): Promise<void> {
  const now = await threadVisible(tx, tids);
  for (const tid of tids) {
    const before = was.get(tid) ?? 0;
    const n = now.get(tid) ?? 0;
    if (before === 0 && n > 0) await record(tx, 'Thread', tid, 'created');
    else if (before > 0 && n === 0) await record(tx, 'Thread', tid, 'destroyed');
    else if (n > 0) await record(tx, 'Thread', tid, 'updated');
  }
  const left = await tx.query<{ id: string }>(
    `SELECT u.id FROM unnest($2::text[]) AS u(id) WHERE NOT EXISTS (SELECT 1 FROM mail_emails e WHERE e.owner = $1 AND e.thread_id = u.id)`,
    [tx.owner, tids],
  );
  const gone = left.map((r) => r.id);
  if (gone.length) {
    await tx.query('DELETE FROM mail_threads WHERE owner = $1 AND thread_id = ANY($2)', [tx.owner, gone]);
    await tx.query('DELETE FROM mail_thread_keys WHERE owner = $1 AND thread_id = ANY($2)', [tx.owner, gone]);
  }
}

/** Keep at most `keep` destroyed rows of the account; the floor rises to the newest one dropped. */
export async function trim(tx: AccountTx, keep = KEEP_DESTROYED): Promise<void> {
  const cut = await tx.query<{ modseq: string }>(
    'SELECT modseq FROM mail_changes WHERE owner = $1 AND destroyed ORDER BY modseq DESC OFFSET $2 LIMIT 1',
    [tx.owner, keep],
  );
  if (!cut.length) return;
  await tx.query('DELETE FROM mail_changes WHERE owner = $1 AND destroyed AND modseq <= $2', [tx.owner, cut[0].modseq]);
  await tx.query('UPDATE mail_accounts SET floor = greatest(floor, $2) WHERE owner = $1', [tx.owner, cut[0].modseq]);
}

interface AccountRow {
  epoch: string;
  modseq: string;
  floor: string;
  state_email: string;
  state_mailbox: string;
  state_thread: string;
  state_delivery: string;
}

export function stateOf(r: AccountRow): AccountState {
  return {
    epoch: Number(r.epoch).toString(36),
    modseq: Number(r.modseq),
    floor: Number(r.floor),
    types: { Email: Number(r.state_email), Mailbox: Number(r.state_mailbox), Thread: Number(r.state_thread), EmailDelivery: Number(r.state_delivery) },
  };
}

export async function readState(c: pg.Pool | pg.ClientBase, owner: string): Promise<AccountState | null> {
  const r = (await c.query<AccountRow>('SELECT * FROM mail_accounts WHERE owner = $1', [owner])).rows[0];
  return r ? stateOf(r) : null;
}

/** Changes of one type since `since`, at most `max` (null when `since` is below the floor or ahead). */
export async function changes(c: pg.Pool, owner: string, type: ChangeType, since: number, max: number): Promise<ChangesPage | null> {
  const st = await readState(c, owner);
  if (!st || since < st.floor || since > st.modseq) return null;
  const rows = (
    await c.query<{ id: string; created: string; modseq: string; destroyed: boolean; props: string }>(
      'SELECT id, created, modseq, destroyed, props FROM mail_changes WHERE owner = $1 AND type = $2 AND modseq > $3',
      [owner, type, since],
    )
  ).rows;
  const changed: ChangeRow[] = rows.map((r) => ({ id: r.id, created: Number(r.created), modseq: Number(r.modseq), destroyed: r.destroyed ? 1 : 0, props: Number(r.props) }));
  return pageChanges(changed, since, max, st.types[type]);
}
