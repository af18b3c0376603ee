// The per-user mailbox index: one SQLite file (WAL) in the Maildir root holding, per folder, UIDVALIDITY,
// UIDNEXT and HIGHESTMODSEQ, and per message its UID, file name, size, internal date, flags and MODSEQ.
// It is a cache of the Maildir tree: deleting it is safe (rebuilt, with new UIDVALIDITYs). It never touches files.
// Beside the folders it keeps the account view (account-log.ts: one change history for IMAP and JMAP;
// account-index.ts: email ids, threads, header facts), updated in the same transactions. A folder's first build
// of many messages is one record whose rows are written shortly after (index-build.ts); every reader of rows, in
// any process, writes the rows of waiting records first, and a record that fails its checks costs a UIDVALIDITY.
import Database from 'better-sqlite3';
import { AccountIndex } from './account-index.js';
import { AccountLog, type Snapshot } from './account-log.js';
import { emailIdOf } from './email-ids.js';
import { BuildColumns } from './build-columns.js';
import { IndexBuild, RANGE_LOG_MIN, type Built } from './index-build.js';
import { createOrMigrate } from './index-schema.js';
import { UNKNOWN_IDATE } from './maildir-idate.js';
import type { FolderRow, MessageRow, MovedMessage, NewMessage } from './index-rows.js';

export type { FolderRow, MessageRow, MovedMessage, NewMessage } from './index-rows.js';

let lastUidValidity = 0;

/** A new UIDVALIDITY: the current time in seconds, strictly increasing within this process. */
function freshUidValidity(floor: number): number {
  const v = Math.max(Math.floor(Date.now() / 1000), lastUidValidity + 1, floor + 1);
  lastUidValidity = v;
  return v;
}

export { RANGE_LOG_MIN } from './index-build.js';

export class IndexDb {
  private readonly db: Database.Database;
  private readonly history: AccountLog;
  private readonly view: AccountIndex;
  /** Counts this process's writes to message rows (files, sizes, folders): a cache of them is valid while it stays. */
  writes = 0;
  /** Many rows at once, and a folder's first build (index-build.ts). */
  private readonly build: IndexBuild;
  private q;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // statement journals and IN (json_each) tables in memory, not in /var/tmp: they live for one statement of at
    // most a few hundred rows, and a first build of 10,000 messages wrote 10,000 pages there
    this.db.pragma('temp_store = MEMORY');
    createOrMigrate(this.db);
    this.history = new AccountLog(this.db);
    this.view = new AccountIndex(this.db, this.history);
    this.build = new IndexBuild(this.db, (name) => this.resetFolder(name));
    const db = this.db;
    this.q = {
      unknownIdates: db.prepare<[string, number], { uid: number; file: string; base: string }>('SELECT uid, file, base FROM messages WHERE folder = ? AND idate = ?'),
      folder: db.prepare<[string], FolderRow>('SELECT * FROM folders WHERE name = ?'),
      maxValidity: db.prepare<[], { v: number | null }>('SELECT max(uidvalidity) AS v FROM folders'),
      insertFolder: db.prepare('INSERT OR IGNORE INTO folders (name, uidvalidity, uidnext, modseq) VALUES (?, ?, 1, 1)'),
      setFolder: db.prepare('UPDATE folders SET uidnext = ?, modseq = ? WHERE name = ?'),
      setMtime: db.prepare('UPDATE folders SET cur_mtime = ? WHERE name = ?'),
      messages: db.prepare<[string], MessageRow>(
        'SELECT uid, base, file, size, idate, letters, keywords, modseq FROM messages WHERE folder = ? ORDER BY uid',
      ),
      message: db.prepare<[string, number], MessageRow>(
        'SELECT uid, base, file, size, idate, letters, keywords, modseq FROM messages WHERE folder = ? AND uid = ?',
      ),
      some: db.prepare<[string, string], MessageRow>(
        'SELECT uid, base, file, size, idate, letters, keywords, modseq FROM messages WHERE folder = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid',
      ),
      fileOf: db.prepare<[string, number], [string, number]>('SELECT file, size FROM messages WHERE folder = ? AND uid = ?').raw(true),
      byBase: db.prepare<[string, string], MessageRow>(
        'SELECT uid, base, file, size, idate, letters, keywords, modseq FROM messages WHERE folder = ? AND base = ?',
      ),
      bases: db.prepare<[string], { uid: number; base: string; file: string }>('SELECT uid, base, file FROM messages WHERE folder = ?'),
      eidOf: db.prepare<[string, number], { eid: string }>('SELECT eid FROM messages WHERE folder = ? AND uid = ?'),
      eidsIn: db.prepare<[string], { eid: string }>('SELECT eid FROM messages WHERE folder = ?'),
      folderNames: db.prepare<[], { name: string; uidvalidity: number; sort_order: number | null }>('SELECT name, uidvalidity, sort_order FROM folders'),
      setOrder: db.prepare('UPDATE folders SET sort_order = ? WHERE name = ?'),
      remove: db.prepare('DELETE FROM messages WHERE folder = ? AND uid = ?'),
      setSize: db.prepare('UPDATE messages SET size = ? WHERE folder = ? AND uid = ?'),
      setIdate: db.prepare('UPDATE messages SET idate = ? WHERE folder = ? AND uid = ?'),
      setFlags: db.prepare('UPDATE messages SET file = ?, letters = ?, keywords = ?, modseq = ? WHERE folder = ? AND uid = ?'),
      stats: db.prepare<[string], { n: number; unseen: number | null }>(
        "SELECT count(*) AS n, sum(CASE WHEN instr(letters, 'S') = 0 THEN 1 ELSE 0 END) AS unseen FROM messages WHERE folder = ?",
      ),
      subs: db.prepare<[], { name: string }>('SELECT name FROM subscriptions ORDER BY name'),
      subscribe: db.prepare('INSERT OR IGNORE INTO subscriptions (name) VALUES (?)'),
      unsubscribe: db.prepare('DELETE FROM subscriptions WHERE name = ?'),
    };
  }

  /** The account-wide change history (JMAP states and /changes). */
  get log(): AccountLog {
    this.settle(true);
    return this.history;
  }

  /** Email ids, threads, header facts and counts for the account view. */
  get account(): AccountIndex {
    this.settle(true);
    return this.view;
  }

  /** Is the database still open (not closed by eviction or shutdown)? */
  get open(): boolean {
    return this.db.open;
  }

  /** Write waiting first-build records' rows a slice per turn of the event loop (IndexBuild.writeInSlices). */
  writeRowsInSlices(): Promise<void> {
    return this.build.writeInSlices();
  }

  /** Before anything reads or writes rows: write waiting first-build records' rows (IndexBuild.settle). */
  private settle(rows: boolean): void {
    this.build.settle(rows);
  }

  /**
   * A folder whose first-build record failed its checks: its UIDs cannot be known again, so it starts afresh
   * under a new UIDVALIDITY (RFC 9051 §2.3.1.1), empty, and the next sync reads its directory again.
   */
  private resetFolder(name: string): void {
    const f = this.q.folder.get(name);
    if (!f) return;
    this.writes++;
    this.build.discard(name);
    const eids = this.q.eidsIn.all(name).map((r) => r.eid);
    const snap = this.history.snapshot(eids);
    this.db.prepare('DELETE FROM messages WHERE folder = ?').run(name);
    const v = freshUidValidity(this.q.maxValidity.get()?.v ?? 0);
    this.db.prepare("UPDATE folders SET uidvalidity = ?, uidnext = 1, cur_mtime = '' WHERE name = ?").run(v, name);
    if (eids.length) this.history.afterChange(snap, [], eids);
    this.history.mailbox(f.uidvalidity, 'destroyed');
    this.history.mailbox(v, 'created');
  }

  /** The folder's row, created with a fresh UIDVALIDITY when the index has none. */
  folder(name: string): FolderRow {
    this.settle(false);
    let row = this.q.folder.get(name);
    if (!row) {
      this.db.transaction(() => {
        if (this.q.folder.get(name)) return;
        const v = freshUidValidity(this.q.maxValidity.get()?.v ?? 0);
        this.q.insertFolder.run(name, v);
        this.history.mailbox(v, 'created');
      }).immediate();
      row = this.q.folder.get(name)!;
    }
    return row;
  }

  /** Every folder the index knows, with its UIDVALIDITY (the mailbox id) and sort order. */
  folderRows(): { name: string; uidvalidity: number; sort_order: number | null }[] {
    this.settle(false);
    return this.q.folderNames.all();
  }

  setSortOrder(name: string, order: number | null): void {
    this.db.transaction(() => {
      const f = this.folder(name);
      if (f && this.q.setOrder.run(order, name).changes) this.history.mailbox(f.uidvalidity, 'updated');
    }).immediate();
  }

  messages(folder: string): MessageRow[] {
    this.settle(true);
    return this.q.messages.all(folder);
  }
  message(folder: string, uid: number): MessageRow | undefined {
    this.settle(true);
    return this.q.message.get(folder, uid);
  }
  /** Rows for a set of UIDs, in UID order, in one query (those that do not exist are left out). */
  messagesFor(folder: string, uids: number[]): MessageRow[] {
    this.settle(true);
    return this.q.some.all(folder, JSON.stringify(uids));
  }

  /** The current file name and size of a message (the hot path of every read). */
  fileOf(folder: string, uid: number): { file: string; size: number } | undefined {
    this.settle(true);
    const r = this.q.fileOf.get(folder, uid);
    return r ? { file: r[0], size: r[1] } : undefined;
  }
  byBase(folder: string, base: string): MessageRow | undefined {
    this.settle(true);
    return this.q.byBase.get(folder, base);
  }
  bases(folder: string): { uid: number; base: string; file: string }[] {
    this.settle(true);
    return this.q.bases.all(folder);
  }
  /** Messages of a folder whose date is not known yet (maildir-idate.ts). */
  unknownIdates(folder: string): { uid: number; file: string; base: string }[] {
    this.settle(true);
    return this.q.unknownIdates.all(folder, UNKNOWN_IDATE);
  }
  stats(folder: string): { n: number; unseen: number } {
    this.settle(true);
    const r = this.q.stats.get(folder)!;
    return { n: r.n, unseen: r.unseen ?? 0 };
  }

  /**
   * Apply one sync or change in a single write transaction: add messages (ascending UIDs in the given order),
   * remove UIDs, rewrite flags. Each change takes a new MODSEQ (the folder's, and the account's in the log).
   * Returns the UIDs given to the added messages.
   */
  apply(
    folder: string,
    change: {
      add?: NewMessage[];
      remove?: number[];
      flags?: { uid: number; file: string; letters: string; keywords: string }[];
      curMtime?: string;
    },
    opts: { build?: boolean } = {},
  ): number[] {
    const rows = !!(change.add?.length || change.remove?.length || change.flags?.length);
    if (rows) this.writes++;
    this.build.forget();
    const first = IndexBuild.isFirst(change, opts.build);
    return this.db
      .transaction(() => {
        // a first build needs no rows of other folders written, nor does a new cur/ mtime alone; anything else may
        // read or change some
        this.settle(rows && !first);
        if (first) {
          const add = change.add!;
          const uid0 = this.recordFirst(folder, BuildColumns.of(add), change.curMtime);
          if (uid0) {
            const uids = new Array<number>(add.length);
            for (let i = 0; i < add.length; i++) uids[i] = uid0 + i;
            return uids;
          }
          this.settle(true);
        }
        const addEids = (change.add ?? []).map((m) => emailIdOf(m.base));
        const touched = [
          ...addEids,
          ...[...(change.remove ?? []), ...(change.flags ?? []).map((c) => c.uid)].map((uid) => this.q.eidOf.get(folder, uid)?.eid ?? ''),
        ].filter(Boolean);
        const snap = this.history.snapshot(touched);
        const { uids, changed } = this.applyIn(folder, change, addEids);
        if (changed.size) this.history.afterChange(snap, [this.folder(folder).uidvalidity], changed, this.insertedOnce(snap, change, addEids, changed));
        return uids;
      })
      .immediate();
  }

  /**
   * A folder's first build read from cur/ in columns (maildir-build.ts): one record when the folder never had a
   * message and the build is large (index-build.ts), else rows, as apply adds them.
   */
  applyBuild(folder: string, cols: BuildColumns, curMtime: string): void {
    if (cols.length >= RANGE_LOG_MIN) {
      this.writes++;
      this.build.forget();
      if (this.db.transaction(() => this.recordFirst(folder, cols, curMtime)).immediate()) return;
    }
    this.apply(folder, { add: cols.messages(), curMtime }, { build: true });
  }

  /**
   * Inside a write transaction: a folder that never had a message (UIDNEXT 1) gets its first build as one record,
   * one range in the log, its rows written later. Returns the build's first UID, or 0 when it was not recorded.
   */
  private recordFirst(folder: string, cols: BuildColumns, curMtime: string | undefined): number {
    this.settle(false);
    const f = this.folder(folder);
    if (f.uidnext !== 1 || !this.build.record(folder, f, cols, this.writes)) return 0;
    this.q.setFolder.run(f.uidnext + cols.length, f.modseq + cols.length, folder);
    if (curMtime !== undefined) this.q.setMtime.run(curMtime, folder);
    this.history.range([f.uidvalidity]);
    this.build.settleLater();
    return f.uidnext;
  }

  /**
   * The messages a folder's first build recorded (UIDs from uid0, MODSEQs after modseq0), when the folder is still
   * in the state that build left (`key`: UIDVALIDITY/UIDNEXT/MODSEQ, as the listing cache keys it) and no row was
   * written since; handed out once.
   */
  takeBuilt(folder: string, key: string): Built | null {
    return this.build.take(folder, key, this.writes);
  }

  /** Emails inserted as their only copy (none before, added once, nothing else touched): visible copies 1 or 0. */
  private insertedOnce(
    snap: Snapshot, change: { add?: NewMessage[]; remove?: number[]; flags?: unknown[] }, addEids: string[], changed: Set<string>,
  ): Map<string, number> | undefined {
    const add = change.add ?? [];
    if (add.length < 2 || change.remove?.length || change.flags?.length) return undefined;
    const seen = new Map<string, number>();
    for (let i = 0; i < add.length; i++) seen.set(addEids[i], seen.has(addEids[i]) ? -1 : i);
    const known = new Map<string, number>();
    for (const [eid, i] of seen) {
      if (i < 0 || snap.copies?.get(eid) !== 0 || !changed.has(eid)) continue;
      known.set(eid, add[i].letters.includes('T') ? 0 : 1);
    }
    return known;
  }

  /** The body of apply (inside a transaction): returns the new UIDs and the emails that changed. */
  private applyIn(
    folder: string,
    change: { add?: NewMessage[]; remove?: number[]; flags?: { uid: number; file: string; letters: string; keywords: string }[]; curMtime?: string },
    addEids?: string[],
  ): { uids: number[]; changed: Set<string> } {
    const f = this.folder(folder);
    let uidnext = f.uidnext;
    let modseq = f.modseq;
    const uids: number[] = [];
    const changed = new Set<string>();
    const add = change.add ?? [];
    const eids = addEids ?? add.map((m) => emailIdOf(m.base));
    // many rows per INSERT (a folder's first index build adds thousands); one at a time when few
    ({ uidnext, modseq } = this.build.insert(folder, add, eids, uidnext, modseq, uids, changed));
    let removed = false;
    for (const uid of change.remove ?? []) {
      const eid = this.q.eidOf.get(folder, uid)?.eid;
      if (this.q.remove.run(folder, uid).changes > 0) {
        removed = true;
        if (eid) changed.add(eid);
      }
    }
    if (removed) modseq++;
    for (const c of change.flags ?? []) {
      const eid = this.q.eidOf.get(folder, c.uid)?.eid;
      if (this.q.setFlags.run(c.file, c.letters, c.keywords, ++modseq, folder, c.uid).changes && eid) changed.add(eid);
    }
    if (uidnext !== f.uidnext || modseq !== f.modseq) this.q.setFolder.run(uidnext, modseq, folder);
    if (change.curMtime !== undefined) this.q.setMtime.run(change.curMtime, folder);
    return { uids, changed };
  }

  /**
   * Messages moved from one folder to another with their files (base names kept, so their email ids stay):
   * removed from `from`, added to `to` in one transaction, so the account sees each email updated, never
   * destroyed and created. Returns the UIDs in `to`, in the given order.
   */
  transfer(from: string, to: string, moved: MovedMessage[]): number[] {
    this.writes++;
    return this.db
      .transaction(() => {
        this.settle(true);
        const snap = this.history.snapshot(moved.map((m) => emailIdOf(m.base)));
        const out = this.applyIn(from, { remove: moved.map((m) => m.uid) });
        const into = this.applyIn(to, { add: moved });
        const changed = new Set([...out.changed, ...into.changed]);
        if (changed.size) this.history.afterChange(snap, [this.folder(from).uidvalidity, this.folder(to).uidvalidity], changed);
        return into.uids;
      })
      .immediate();
  }

  /** Record dates found later by a stat (maildir-idate.ts); not a change of the message, so no new MODSEQ. */
  setIdates(dates: { folder: string; uid: number; idate: number }[]): void {
    this.db.transaction(() => {
      this.settle(true);
      for (const d of dates) this.q.setIdate.run(Math.round(d.idate), d.folder, d.uid);
    }).immediate();
  }

  /** Correct a size taken from a file name (",S=") that the file's length contradicts. */
  setSize(folder: string, uid: number, size: number): void {
    this.settle(true);
    this.writes++;
    this.q.setSize.run(size, folder, uid);
  }

  /** Forget a folder (deleted): its emails are gone from the account, unless a copy lives elsewhere. */
  dropFolder(name: string): void {
    this.db.transaction(() => {
      this.settle(true);
      this.dropFolderIn(name);
    }).immediate();
  }

  private dropFolderIn(name: string): void {
    this.writes++;
    this.build.discard(name);
    const f = this.q.folder.get(name);
    const eids = this.q.eidsIn.all(name).map((r) => r.eid);
    const snap = this.history.snapshot(eids);
    this.db.prepare('DELETE FROM messages WHERE folder = ?').run(name);
    this.db.prepare('DELETE FROM folders WHERE name = ?').run(name);
    if (eids.length) this.history.afterChange(snap, [], eids);
    if (f) this.history.mailbox(f.uidvalidity, 'destroyed');
  }

  /** A folder and its children were renamed on disk: carry their rows (UIDVALIDITY and UIDs stay). */
  renameFolder(from: string, to: string): void {
    this.writes++;
    this.db.transaction(() => {
      this.settle(true);
      for (const { name } of this.db.prepare<[string, string, string], { name: string }>(
        "SELECT name FROM folders WHERE name = ? OR substr(name, 1, length(?) + 1) = ? || '/'",
      ).all(from, from, from)) {
        const target = to + name.slice(from.length);
        this.dropFolderIn(target);
        this.db.prepare('UPDATE folders SET name = ? WHERE name = ?').run(target, name);
        this.db.prepare('UPDATE messages SET folder = ? WHERE folder = ?').run(target, name);
        this.history.mailbox(this.q.folder.get(target)!.uidvalidity, 'updated');
      }
    }).immediate();
  }

  /** RENAME INBOX: its messages move to a new folder; INBOX stays, empty, with its UIDVALIDITY and UIDNEXT. */
  moveAllMessages(from: string, to: string): void {
    this.writes++;
    this.db.transaction(() => {
      this.settle(true);
      const f = this.folder(from);
      this.dropFolderIn(to);
      const v = freshUidValidity(this.q.maxValidity.get()?.v ?? 0);
      this.q.insertFolder.run(to, v);
      this.history.mailbox(v, 'created');
      this.db.prepare('UPDATE folders SET uidnext = ?, modseq = ? WHERE name = ?').run(f.uidnext, f.modseq, to);
      const eids = this.q.eidsIn.all(from).map((r) => r.eid);
      this.db.prepare('UPDATE messages SET folder = ? WHERE folder = ?').run(to, from);
      this.q.setFolder.run(f.uidnext, f.modseq + 1, from);
      // the emails stay what they were, in another mailbox
      this.history.afterChange(this.history.snapshot(eids), [f.uidvalidity, v], eids);
    }).immediate();
  }

  subscriptions(): string[] {
    return this.q.subs.all().map((r) => r.name);
  }
  setSubscribed(name: string, on: boolean): void {
    this.db.transaction(() => {
      this.settle(false);
      if (!(on ? this.q.subscribe : this.q.unsubscribe).run(name).changes) return;
      const f = this.q.folder.get(name);
      if (f) this.history.mailbox(f.uidvalidity, 'updated');
    }).immediate();
  }

  /** Close the database, writing waiting first-build rows first (when that fails, their records stay for the next open). */
  close(): void {
    this.build.stop();
    this.db.close();
  }
}
