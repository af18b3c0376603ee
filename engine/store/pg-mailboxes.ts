// Folder operations of the PostgreSQL store: list, create, delete, rename (children move with a folder, UIDVALIDITY
// and UIDs stay; renaming INBOX moves its messages to a new folder), subscriptions and sort order, each logged
// in the account transaction. It never changes a message's flags or body.
import type pg from 'pg';
import { afterChange, mailboxChanged, snapshot } from './pg-log.js';
import { canon, freshUidValidity, ownerKey, q, type AccountTx } from './pg-tx.js';
import { mailbox } from './pg-messages.js';
import { StoreError } from './store-error.js';

const byName = (a: string, b: string) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0);

/** A name a folder may have: no empty level, no control characters (IMAP checks more before it asks). */
function storable(name: string): boolean {
  return name.length > 0 && name.length <= 1000 && !name.split('/').some((p) => p === '') && !/[\0-\x1f\x7f]/.test(name);
}

export async function listFolders(pool: pg.Pool, owner: string): Promise<string[]> {
  const rows = await q<{ name: string }>(pool, 'SELECT name FROM mail_mailboxes WHERE owner = $1', [ownerKey(owner)]);
  return rows.map((r) => r.name).sort(byName);
}

async function nextValidity(tx: AccountTx): Promise<number> {
  const r = await tx.query<{ v: string }>('SELECT greatest(last_uidvalidity, (SELECT coalesce(max(uidvalidity), 0) FROM mail_mailboxes WHERE owner = $1)) AS v FROM mail_accounts WHERE owner = $1', [tx.owner]);
  const v = freshUidValidity(Number(r[0]?.v ?? 0));
  await tx.query('UPDATE mail_accounts SET last_uidvalidity = $2 WHERE owner = $1', [tx.owner, v]);
  return v;
}

async function exists(tx: AccountTx, name: string): Promise<boolean> {
  return (await tx.query('SELECT 1 FROM mail_mailboxes WHERE owner = $1 AND name = $2', [tx.owner, name])).length > 0;
}

export async function createFolder(tx: AccountTx, folder: string): Promise<void> {
  folder = canon(folder);
  if (folder === 'INBOX' || (await exists(tx, folder))) throw new StoreError('ALREADYEXISTS', `${folder} already exists`);
  if (!storable(folder)) throw new StoreError('CANNOT', `folder name not allowed: ${folder}`);
  const v = await nextValidity(tx);
  await tx.query('INSERT INTO mail_mailboxes (owner, name, uidvalidity, highestmodseq) VALUES ($1, $2, $3, $4)', [tx.owner, folder, v, tx.modseq]);
  await mailboxChanged(tx, v, 'created');
  tx.touched.add(folder);
}

/** Delete one folder and its messages (its children, "a/b" beside "a", stay: RFC 3501 §6.3.4). */
export async function deleteFolder(tx: AccountTx, folder: string): Promise<void> {
  folder = canon(folder);
  if (folder === 'INBOX') throw new StoreError('CANNOT', 'INBOX cannot be deleted');
  const box = await mailbox(tx.c, tx.owner, folder);
  const eids = (await tx.query<{ email_id: string }>('SELECT email_id FROM mail_messages WHERE mailbox_id = $1 FOR UPDATE', [box.id])).map((r) => r.email_id);
  const snap = await snapshot(tx, eids);
  await tx.query('DELETE FROM mail_mailboxes WHERE id = $1', [box.id]); // its messages go with it (their bodies' counts drop)
  if (eids.length) await afterChange(tx, snap, []);
  await mailboxChanged(tx, box.uidvalidity, 'destroyed');
  tx.touched.add(folder);
}

export async function renameFolder(tx: AccountTx, fromIn: string, toIn: string): Promise<void> {
  const from = canon(fromIn);
  const to = canon(toIn);
  if (to === 'INBOX' || (await exists(tx, to))) throw new StoreError('ALREADYEXISTS', `${to} already exists`);
  if (!storable(to)) throw new StoreError('CANNOT', `folder name not allowed: ${to}`);
  if (from === 'INBOX') return renameInbox(tx, to);
  if (to.startsWith(from + '/')) throw new StoreError('CANNOT', 'cannot rename a folder into itself');
  const moving = await tx.query<{ id: string; name: string; uidvalidity: string }>(
    `SELECT id, name, uidvalidity FROM mail_mailboxes WHERE owner = $1 AND (name = $2 OR left(name, length($2) + 1) = $2 || '/') FOR UPDATE`,
    [tx.owner, from],
  );
  if (!moving.some((m) => m.name === from)) throw new StoreError('NONEXISTENT', `no folder ${from}`);
  const targets = moving.map((m) => to + m.name.slice(from.length));
  const taken = await tx.query<{ name: string }>('SELECT name FROM mail_mailboxes WHERE owner = $1 AND name = ANY($2)', [tx.owner, targets]);
  if (taken.length) throw new StoreError('ALREADYEXISTS', `${taken[0].name} already exists`);
  // two steps, so a child renamed onto another's old name never collides on (owner, name) midway
  await tx.query(`UPDATE mail_mailboxes SET name = '\\x01' || id::text WHERE id = ANY($1)`, [moving.map((m) => m.id)]);
  for (const [i, m] of moving.entries()) {
    await tx.query('UPDATE mail_mailboxes SET name = $2 WHERE id = $1', [m.id, targets[i]]);
    await mailboxChanged(tx, Number(m.uidvalidity), 'updated');
    tx.touched.add(m.name);
    tx.touched.add(targets[i]);
  }
  const subs = await tx.query<{ name: string }>(
    `DELETE FROM mail_subscriptions WHERE owner = $1 AND (name = $2 OR left(name, length($2) + 1) = $2 || '/') RETURNING name`,
    [tx.owner, from],
  );
  for (const s of subs) {
    await tx.query('INSERT INTO mail_subscriptions (owner, name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [tx.owner, to + s.name.slice(from.length)]);
  }
}

/** RFC 3501 §6.3.5: INBOX's messages move to a new folder; INBOX stays, empty, with its UIDVALIDITY and UIDNEXT. */
async function renameInbox(tx: AccountTx, to: string): Promise<void> {
  const inbox = await mailbox(tx.c, tx.owner, 'INBOX');
  await tx.query('SELECT id FROM mail_mailboxes WHERE id = $1 FOR UPDATE', [inbox.id]);
  const v = await nextValidity(tx);
  const made = await tx.query<{ id: string }>(
    'INSERT INTO mail_mailboxes (owner, name, uidvalidity, uidnext, highestmodseq) SELECT owner, $2, $3, uidnext, highestmodseq FROM mail_mailboxes WHERE id = $1 RETURNING id',
    [inbox.id, to, v],
  );
  await mailboxChanged(tx, v, 'created');
  const eids = (await tx.query<{ email_id: string }>('SELECT email_id FROM mail_messages WHERE mailbox_id = $1', [inbox.id])).map((r) => r.email_id);
  const snap = await snapshot(tx, eids);
  await tx.query('UPDATE mail_messages SET mailbox_id = $2 WHERE mailbox_id = $1', [inbox.id, made[0].id]);
  await afterChange(tx, snap, [inbox.uidvalidity, v], eids);
  tx.bumped.add(inbox.id);
  tx.bumped.add(Number(made[0].id));
  tx.touched.add('INBOX');
  tx.touched.add(to);
}

export async function subscriptions(pool: pg.Pool, owner: string): Promise<string[]> {
  return (await q<{ name: string }>(pool, 'SELECT name FROM mail_subscriptions WHERE owner = $1 ORDER BY name', [ownerKey(owner)])).map((r) => r.name);
}

export async function setSubscribed(tx: AccountTx, folder: string, on: boolean): Promise<void> {
  folder = canon(folder);
  const r = on
    ? await tx.c.query('INSERT INTO mail_subscriptions (owner, name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [tx.owner, folder])
    : await tx.c.query('DELETE FROM mail_subscriptions WHERE owner = $1 AND name = $2', [tx.owner, folder]);
  if (!r.rowCount) return;
  const box = await tx.query<{ uidvalidity: string }>('SELECT uidvalidity FROM mail_mailboxes WHERE owner = $1 AND name = $2', [tx.owner, folder]);
  if (box.length) await mailboxChanged(tx, Number(box[0].uidvalidity), 'updated');
  tx.touched.add(folder);
}

export async function setSortOrder(tx: AccountTx, folder: string, order: number | null): Promise<void> {
  const box = await mailbox(tx.c, tx.owner, folder);
  const r = await tx.c.query('UPDATE mail_mailboxes SET sort_order = $2 WHERE id = $1 AND sort_order IS DISTINCT FROM $2', [box.id, order]);
  if (r.rowCount) await mailboxChanged(tx, box.uidvalidity, 'updated');
}
