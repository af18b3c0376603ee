// The account-wide change log of one user's index: every append, expunge, flag change, move and folder change
// takes the next account MODSEQ and leaves one row per object (Email, Mailbox, Thread: created at, last changed
// at, destroyed?), so JMAP's /changes and IMAP's per-folder MODSEQ are one history. Runs inside the caller's
// SQLite transaction; it never touches files.
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { mailboxIdOf } from './email-ids.js';

export type ChangeType = 'Email' | 'Mailbox' | 'Thread';
export const CHANGE_TYPES: readonly ChangeType[] = ['Email', 'Mailbox', 'Thread'];
/** State keys: the three logged types plus EmailDelivery (moves only when new mail arrives, RFC 8621 §1.5). */
export type StateKey = ChangeType | 'EmailDelivery';

export interface AccountState {
  /** Changes with each index file (a rebuilt index starts a new history). */
  epoch: string;
  modseq: number;
  /** Last MODSEQ at which each type changed. */
  types: Record<StateKey, number>;
  /** Changes at or below this MODSEQ can no longer be told apart (destroyed rows trimmed). */
  floor: number;
}

export interface ChangesPage {
  created: string[];
  updated: string[];
  destroyed: string[];
  /** The MODSEQ the client is at after these changes. */
  newModseq: number;
  hasMore: boolean;
  /** Mailbox only: every update since `since` touched counts alone. */
  countsOnly: boolean;
}

/** One object's row in a change log. */
export interface ChangeRow {
  id: string;
  created: number;
  modseq: number;
  destroyed: number;
  props: number;
}

/** Email visibility before a change: how many visible copies each email had, how many visible emails each thread. */
export interface Snapshot {
  emails: Map<string, number>;
  threads: Map<string, number>;
  /** All copies (visible or not) of each email before the change, where the store counted them. */
  copies?: Map<string, number>;
}

/** Emails looked up per query when a change touches many (json_each of their ids). */
const FACTS_BATCH = 1000;
/** Change rows per upsert statement when many emails are created at once. */
const UPSERT_ROWS = 100;

/** Destroyed rows kept for /changes; older ones are trimmed and raise the floor. */
export const KEEP_DESTROYED = 50_000;

export const LOG_SCHEMA = `
  CREATE TABLE IF NOT EXISTS account (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS changes (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    created INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    destroyed INTEGER NOT NULL DEFAULT 0,
    props INTEGER NOT NULL DEFAULT 0,
    tid TEXT,
    PRIMARY KEY (type, id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS changes_modseq ON changes (type, modseq);
`;

/** A message row is visible to JMAP unless it carries \Deleted (letter T), RFC 8621 §4.1.1. */
export const VISIBLE = "instr(letters, 'T') = 0";

export class AccountLog {
  private q;

  constructor(private readonly db: Database.Database) {
    this.q = {
      get: db.prepare<[string], { v: number }>('SELECT v FROM account WHERE k = ?'),
      set: db.prepare('INSERT INTO account (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v'),
      row: db.prepare<[string, string], ChangeRow>('SELECT id, created, modseq, destroyed, props FROM changes WHERE type = ? AND id = ?'),
      upsert: db.prepare(
        'INSERT INTO changes (type, id, created, modseq, destroyed, props, tid) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (type, id) DO UPDATE SET created = excluded.created, modseq = excluded.modseq, destroyed = excluded.destroyed, props = excluded.props, tid = coalesce(excluded.tid, tid)',
      ),
      since: db.prepare<[string, number], ChangeRow>('SELECT id, created, modseq, destroyed, props FROM changes WHERE type = ? AND modseq > ?'),
      copiesMany: db.prepare<[string], { eid: string; n: number; v: number }>(
        `SELECT eid, count(*) AS n, sum(${VISIBLE}) AS v FROM messages WHERE eid IN (SELECT value FROM json_each(?)) GROUP BY eid`,
      ),
      tidsMany: db.prepare<[string], { eid: string; tid: string }>('SELECT eid, tid FROM meta WHERE eid IN (SELECT value FROM json_each(?))'),
      anyMeta: db.prepare<[], { x: number }>('SELECT 1 AS x FROM meta LIMIT 1'),
      anyMessage: db.prepare<[], { x: number }>('SELECT 1 AS x FROM messages LIMIT 1'),
      threadVisible: db.prepare<[string], { n: number }>(
        `SELECT count(DISTINCT me.eid) AS n FROM meta me JOIN messages m ON m.eid = me.eid WHERE me.tid = ? AND instr(m.letters, 'T') = 0`,
      ),
      threadAny: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM meta WHERE tid = ?'),
      dropMeta: db.prepare('DELETE FROM meta WHERE eid = ?'),
      dropThread: db.prepare('DELETE FROM threads WHERE tid = ?'),
      dropThreadKeys: db.prepare('DELETE FROM thread_keys WHERE tid = ?'),
      setTid: db.prepare("UPDATE changes SET tid = ? WHERE type = 'Email' AND id = ?"),
      destroyedCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM changes WHERE destroyed = 1'),
      oldestDestroyed: db.prepare<[number], { modseq: number }>('SELECT modseq FROM changes WHERE destroyed = 1 ORDER BY modseq LIMIT 1 OFFSET ?'),
      trim: db.prepare('DELETE FROM changes WHERE destroyed = 1 AND modseq <= ?'),
    };
    if (!this.q.get.get('epoch')) this.q.set.run('epoch', crypto.randomInt(1, 2 ** 47));
  }

  private value(k: string): number {
    return this.q.get.get(k)?.v ?? 0;
  }

  state(): AccountState {
    const types = {} as Record<StateKey, number>;
    for (const t of [...CHANGE_TYPES, 'EmailDelivery'] as StateKey[]) types[t] = this.value(`state.${t}`);
    return { epoch: this.value('epoch').toString(36), modseq: this.value('modseq'), types, floor: this.value('floor') };
  }

  /** The next account MODSEQ (call inside a write transaction). */
  next(): number {
    const v = this.value('modseq') + 1;
    this.q.set.run('modseq', v);
    return v;
  }

  /** Record one change of one object; `props` marks a Mailbox change beyond its counts. */
  record(type: ChangeType, id: string, kind: 'created' | 'updated' | 'destroyed', o: { props?: boolean; tid?: string | null } = {}): void {
    const ms = this.next();
    const row = this.q.row.get(type, id);
    const tid = o.tid ?? null;
    if (kind === 'created') this.q.upsert.run(type, id, ms, ms, 0, ms, tid);
    else if (kind === 'updated') {
      if (row && row.destroyed) this.q.upsert.run(type, id, ms, ms, 0, ms, tid); // back from the dead: new to clients
      else this.q.upsert.run(type, id, row?.created ?? 0, ms, 0, o.props || !row ? ms : row.props, tid);
    } else this.q.upsert.run(type, id, row?.created ?? 0, ms, 1, ms, tid);
    this.q.set.run(`state.${type}`, ms);
    if (type === 'Email' && kind === 'created') this.q.set.run('state.EmailDelivery', ms);
  }

  /** Visible copies, thread and (with `withAny`) all copies of many emails, a few queries per thousand. */
  private facts(
    eids: string[], withAny: boolean, known?: Map<string, number>,
  ): { visible: Map<string, number>; tids: Map<string, string>; any: Map<string, number> } {
    const visible = new Map<string, number>();
    const tids = new Map<string, string>();
    const any = new Map<string, number>();
    const threaded = !!this.q.anyMeta.get(); // a fresh index has no facts yet: no thread to look up
    // emails whose copies the caller knows (just inserted, none before: one copy) are not counted again
    const counted = known?.size ? eids.filter((e) => !known.has(e)) : eids;
    if (known) {
      for (const [eid, v] of known) {
        if (v) visible.set(eid, v);
        if (withAny) any.set(eid, 1);
      }
    }
    for (let i = 0; i < counted.length; i += FACTS_BATCH) {
      const part = JSON.stringify(counted.slice(i, i + FACTS_BATCH));
      for (const r of this.q.copiesMany.all(part)) {
        if (r.v) visible.set(r.eid, r.v);
        if (withAny) any.set(r.eid, r.n);
      }
    }
    if (threaded) {
      for (let i = 0; i < eids.length; i += FACTS_BATCH) {
        for (const r of this.q.tidsMany.all(JSON.stringify(eids.slice(i, i + FACTS_BATCH)))) tids.set(r.eid, r.tid);
      }
    }
    return { visible, tids, any };
  }

  private readonly upserts = new Map<number, Database.Statement>();

  /** The `upsert` of `n` change rows in one statement (prepared once per size). */
  private upsertRows(n: number): Database.Statement {
    let st = this.upserts.get(n);
    if (!st) {
      st = this.db.prepare(
        `INSERT INTO changes (type, id, created, modseq, destroyed, props, tid) VALUES ${Array(n).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (type, id) DO UPDATE SET created = excluded.created, modseq = excluded.modseq, destroyed = excluded.destroyed, props = excluded.props, tid = coalesce(excluded.tid, tid)`,
      );
      this.upserts.set(n, st);
    }
    return st;
  }

  /** record('Email', id, 'created', { tid }) for each in turn, with the account's counters written once; empties `list`. */
  private recordCreatedEmails(list: { id: string; tid: string | null }[]): void {
    if (!list.length) return;
    let ms = this.value('modseq');
    for (let k = 0; k < list.length; ) {
      const n = Math.min(UPSERT_ROWS, list.length - k);
      if (n < 4) {
        ms++;
        this.q.upsert.run('Email', list[k].id, ms, ms, 0, ms, list[k].tid);
        k++;
        continue;
      }
      const params: (string | number | null)[] = [];
      for (let i = 0; i < n; i++) {
        ms++;
        params.push('Email', list[k + i].id, ms, ms, 0, ms, list[k + i].tid);
      }
      this.upsertRows(n).run(params);
      k += n;
    }
    this.q.set.run('modseq', ms);
    this.q.set.run('state.Email', ms);
    this.q.set.run('state.EmailDelivery', ms);
    list.length = 0;
  }

  /**
   * A folder's first index build added many emails at once (IndexDb.apply with `build`): instead of a change row
   * per email, one MODSEQ stands for all of them. Every type's state moves to it and the floor rises to it, so a
   * client holding any older state is answered cannotCalculateChanges (RFC 8620 §5.2) and fetches afresh, and
   * one from this state on gets exact changes (an email of the range changed later has a row with created 0:
   * updated or destroyed, as for any email older than the client's state). Then each folder's counts changed.
   */
  range(folders: Iterable<number>): void {
    const ms = this.next();
    for (const t of [...CHANGE_TYPES, 'EmailDelivery'] as StateKey[]) this.q.set.run(`state.${t}`, ms);
    this.q.set.run('floor', Math.max(this.value('floor'), ms));
    for (const v of new Set(folders)) this.mailbox(v, 'updated', false);
  }

  mailbox(uidValidity: number, kind: 'created' | 'updated' | 'destroyed', props = true): void {
    this.record('Mailbox', mailboxIdOf(uidValidity), kind, { props });
  }

  /** Visibility of these emails (and their threads) before a change. */
  snapshot(eids: Iterable<string>): Snapshot {
    const s: Snapshot = { emails: new Map(), threads: new Map(), copies: new Map() };
    const ids = [...new Set(eids)];
    // an index without messages (its first build) has no copy of anything: nothing to look up
    const { visible, tids, any } = this.q.anyMessage.get() ? this.facts(ids, true) : { visible: new Map<string, number>(), tids: new Map<string, string>(), any: new Map<string, number>() };
    for (const eid of ids) {
      s.emails.set(eid, visible.get(eid) ?? 0);
      s.copies!.set(eid, any.get(eid) ?? 0);
      const tid = tids.get(eid);
      if (tid && !s.threads.has(tid)) s.threads.set(tid, this.q.threadVisible.get(tid)!.n);
    }
    return s;
  }

  /**
   * After a change inside the same transaction: each email whose visibility changed is created or destroyed,
   * the others updated; their threads follow; each touched folder's counts changed. Emails with no copy left
   * lose their thread facts (and a thread with no email left its keys). `known`: visible copies now of emails the
   * change inserted once and that had no copy before (the caller knows them without counting: 1 or 0).
   */
  afterChange(before: Snapshot, folders: Iterable<number>, updatedEmails: Iterable<string> = before.emails.keys(), known?: Map<string, number>): void {
    const touchedThreads = new Set<string>();
    const updated = new Set(updatedEmails);
    // runs of created emails (a delivery, a folder's first index build) are recorded together, in the same order
    // and with the same MODSEQs as one record() each would give them
    const created: { id: string; tid: string | null }[] = [];
    const { visible, tids, any } = this.facts([...before.emails.keys()], true, known);
    for (const [eid, was] of before.emails) {
      const now = visible.get(eid) ?? 0;
      const tid = tids.get(eid) ?? null;
      if (was === 0 && now > 0) created.push({ id: eid, tid });
      else if (was > 0 && (now === 0 || updated.has(eid))) {
        this.recordCreatedEmails(created);
        this.record('Email', eid, now === 0 ? 'destroyed' : 'updated', { tid });
      }
      if ((was === 0) !== (now === 0) && tid) touchedThreads.add(tid);
      if (!any.get(eid)) this.q.dropMeta.run(eid);
    }
    this.recordCreatedEmails(created);
    for (const tid of touchedThreads) this.threadChanged(tid, before.threads.get(tid) ?? 0);
    for (const v of new Set(folders)) this.mailbox(v, 'updated', false);
  }

  /** A thread's visible emails went from `was` to what they are now. */
  threadChanged(tid: string, was: number): void {
    const now = this.q.threadVisible.get(tid)!.n;
    if (was === 0 && now > 0) this.record('Thread', tid, 'created');
    else if (was > 0 && now === 0) this.record('Thread', tid, 'destroyed');
    else if (now > 0) this.record('Thread', tid, 'updated');
    if (this.q.threadAny.get(tid)!.n === 0) {
      this.q.dropThread.run(tid);
      this.q.dropThreadKeys.run(tid);
    }
  }

  threadVisibleCount(tid: string): number {
    return this.q.threadVisible.get(tid)!.n;
  }

  /** An email's thread became known (its facts were read). */
  emailThreaded(eid: string, tid: string): void {
    this.q.setTid.run(tid, eid);
  }

  /**
   * Changes of one type since `since`, at most `max` ids. Rows are taken in the order their news happened
   * (creation for objects new since `since`, else their last change), so a page never reports an object as
   * updated before a page that reports it created. Returns null when `since` is below the floor.
   */
  changes(type: ChangeType, since: number, max: number): ChangesPage | null {
    const st = this.state();
    if (since < st.floor || since > st.modseq) return null;
    return pageChanges(this.q.since.all(type, since), since, max, st.types[type]);
  }

  /** Keep at most `keep` destroyed rows; the floor rises to the newest one dropped. */
  trim(keep = KEEP_DESTROYED): void {
    const n = this.q.destroyedCount.get()!.n;
    if (n <= keep) return;
    const cut = this.q.oldestDestroyed.get(n - keep - 1)?.modseq;
    if (cut === undefined) return;
    this.q.trim.run(cut);
    this.q.set.run('floor', Math.max(this.value('floor'), cut));
  }
}

/**
 * One page of changes since `since` from the rows changed after it (`current`: the type's state now). Rows are
 * taken in the order their news happened (creation for objects new since `since`, else their last change), so a
 * page never reports an object as updated before a page that reports it created; a page that stops early ends
 * at its last row's MODSEQ and the rest comes on the next.
 */
export function pageChanges(changed: ChangeRow[], since: number, max: number, current: number): ChangesPage {
  const rows = changed.map((r) => ({ ...r, key: r.created > since ? r.created : r.modseq }));
  rows.sort((a, b) => a.key - b.key);
  const hasMore = rows.length > max;
  const taken = hasMore ? rows.slice(0, max) : rows;
  const end = hasMore ? taken[taken.length - 1].key : Math.max(current, since);
  const page: ChangesPage = { created: [], updated: [], destroyed: [], newModseq: end, hasMore, countsOnly: true };
  for (const r of taken) {
    const isNew = r.created > since;
    if (r.destroyed) {
      if (!isNew) page.destroyed.push(r.id);
      else if (r.modseq > end) page.created.push(r.id); // its end comes on a later page
      // else: created and destroyed since, nothing to tell
    } else if (isNew) page.created.push(r.id);
    else {
      page.updated.push(r.id);
      if (r.props > since) page.countsOnly = false;
    }
  }
  return page;
}
