// The index's write path for many new message rows (engine/store/index-db.ts calls it inside its transactions):
// rows inserted a hundred per statement, and a folder's first build of many messages written as one record
// (build-record.ts: UIDVALIDITY, first UID, packed names) whose rows any process writes from it later (settle:
// at once before anything reads rows; writeInSlices: 2 s on, or before a sync compares cur/ with them, a slice
// per turn of the event loop). It opens no transaction but its own and never touches the files.
import type Database from 'better-sqlite3';
import type { BuildColumns } from './build-columns.js';
import { decodeBuild, encodeColumns } from './build-record.js';
import { emailIdOf } from './email-ids.js';
import type { FolderRow, NewMessage } from './index-db.js';

/**
 * A first build's rows are written this long after its record (the answer to the SELECT that built it goes out
 * first), or at once when anything reads rows before that.
 */
const BUILD_ROWS_DELAY_MS = 2000;
/** After a failed attempt (the index busy in another process), the rows are tried again this much later. */
const BUILD_ROWS_RETRY_MS = 5000;

/** Rows written per transaction when a first build's rows are written in slices (writeInSlices). */
export const SLICE_ROWS = 1000;

/** Message rows per INSERT statement when many are added at once (10 parameters each, far below SQLite's limit). */
const INSERT_ROWS = 100;

/**
 * A folder's first index build that adds at least this many messages logs them as one range (AccountLog.range)
 * instead of a change row per email; below it, each email is logged as any delivery is.
 */
export const RANGE_LOG_MIN = 1000;

/** A first build recorded (build-record.ts) whose rows are not written yet: this process's copy of the record. */
interface Pending {
  uidvalidity: number;
  /** The first build's first UID (the folder's UIDNEXT before it) and MODSEQ before it. */
  uid0: number;
  modseq0: number;
  cols: BuildColumns;
}

/** What a folder's first build hands to the listing that follows it: its messages, UIDs from uid0, MODSEQs after modseq0. */
export interface Built {
  cols: BuildColumns;
  uid0: number;
  modseq0: number;
}

/** A record as read back from the builds table (any process may have written it). */
interface RecordRow {
  folder: string;
  uidvalidity: number;
  uid0: number;
  modseq0: number;
  count: number;
  crc: number;
  names: unknown;
}

export class IndexBuild {
  private readonly statements = new Map<number, Database.Statement>();
  private readonly one: Database.Statement;
  private readonly byBase: Database.Statement<[string, string], { uid: number }>;
  private readonly byUid: Database.Statement<[string, number], { base: string }>;
  private readonly q;
  /** Records of this process whose rows are not written yet, by folder. */
  private readonly pending = new Map<string, Pending>();
  /** The last first build, for the listing that follows it (take). */
  private built: (Built & { folder: string; key: string; writes: number }) | null = null;
  /** PRAGMA data_version when records were last looked for (it moves when another connection commits). */
  private seenVersion = -1;
  private settling = false;
  /** The rows being written in slices (writeInSlices), while they are. */
  private slicing: Promise<void> | null = null;
  /** Another process's record as last decoded (its slices read it once). */
  private decoded: { folder: string; uid0: number; crc: number; add: NewMessage[] } | null = null;
  private timer: NodeJS.Timeout | null = null;

  /** `reset`: give a folder whose record failed its checks a new UIDVALIDITY (inside the caller's transaction). */
  constructor(
    private readonly db: Database.Database,
    private readonly reset: (folder: string) => void,
  ) {
    this.one = db.prepare(
      'INSERT OR IGNORE INTO messages (folder, uid, base, file, size, idate, letters, keywords, modseq, eid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.byBase = db.prepare<[string, string], { uid: number }>('SELECT uid FROM messages WHERE folder = ? AND base = ?');
    this.byUid = db.prepare<[string, number], { base: string }>('SELECT base FROM messages WHERE folder = ? AND uid = ?');
    this.q = {
      put: db.prepare('INSERT OR REPLACE INTO builds (folder, uidvalidity, uid0, modseq0, count, crc, names) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      keys: db.prepare<[], { folder: string; uidvalidity: number; uid0: number }>('SELECT folder, uidvalidity, uid0 FROM builds'),
      all: db.prepare<[], RecordRow>('SELECT folder, uidvalidity, uid0, modseq0, count, crc, names FROM builds'),
      drop: db.prepare('DELETE FROM builds WHERE folder = ?'),
      folder: db.prepare<[string], FolderRow>('SELECT * FROM folders WHERE name = ?'),
      span: db.prepare<[string], { n: number; lo: number | null; hi: number | null }>('SELECT count(*) AS n, min(uid) AS lo, max(uid) AS hi FROM messages WHERE folder = ?'),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
  }

  /**
   * Before anything reads or writes rows: write the rows of waiting records. `rows` false (a folder row is all the
   * caller reads): only records this process did not write (another process's, or one a crash left), whose check
   * may reset a folder; this process's own records already agree with their folder rows.
   */
  settle(rows: boolean): void {
    if (this.settling || !this.db.open) return;
    const v = this.q.dataVersion.get()!;
    if (!(rows && this.pending.size)) {
      if (v === this.seenVersion) return;
      this.seenVersion = v;
      if (!this.foreign()) return;
    }
    this.seenVersion = v;
    this.settling = true;
    try {
      this.db.transaction(() => {
        for (const name of this.expandAll().refused) this.reset(name);
      }).immediate();
    } finally {
      this.settling = false;
    }
  }

  /** Write this process's records' rows after BUILD_ROWS_DELAY_MS, if nothing needed them before. */
  settleLater(ms = BUILD_ROWS_DELAY_MS): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.writeInSlices().catch(() => {
        // busy in another process: the record is durable, and the next reader of rows tries again too
        this.settleLater(BUILD_ROWS_RETRY_MS);
      });
    }, ms);
    this.timer.unref();
  }

  /** Before the database closes: the rows now (when that fails, the records stay for the next open). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      this.settle(true);
    } catch {
      /* busy: the records are durable */
    }
  }

  /** Is this change a folder's first build to record as one (many rows added, nothing else)? The caller checks UIDNEXT is 1. */
  static isFirst(change: { add?: NewMessage[]; remove?: number[]; flags?: unknown[] }, build: boolean | undefined): boolean {
    const add = change.add ?? [];
    return !!build && add.length >= RANGE_LOG_MIN && !change.remove?.length && !change.flags?.length && !add.some((m) => m.keywords);
  }

  /**
   * Write a folder's first build (`f`: the folder before it, UIDNEXT 1) as one record: its messages get UIDs from
   * f.uidnext and MODSEQs from f.modseq + 1, in order. The caller moves the folder's UIDNEXT and MODSEQ past them
   * in the same transaction. Returns false when the messages cannot be recorded (the caller inserts rows).
   */
  record(folder: string, f: FolderRow, cols: BuildColumns, writes: number): boolean {
    const enc = encodeColumns(cols);
    if (!enc) return false;
    this.q.put.run(folder, f.uidvalidity, f.uidnext, f.modseq, enc.count, enc.crc, enc.blob);
    this.pending.set(folder, { uidvalidity: f.uidvalidity, uid0: f.uidnext, modseq0: f.modseq, cols });
    const key = `${f.uidvalidity}/${f.uidnext + cols.length}/${f.modseq + cols.length}`;
    this.built = { folder, key, writes, cols, uid0: f.uidnext, modseq0: f.modseq };
    return true;
  }

  /** Is there a record this process did not write (another process's, or one left by a crash)? */
  private foreign(): boolean {
    let mine = 0;
    for (const r of this.q.keys.all()) {
      const p = this.pending.get(r.folder);
      if (!p || p.uidvalidity !== r.uidvalidity || p.uid0 !== r.uid0) return true;
      mine++;
    }
    // another process wrote the rows of some of ours already: nothing left to do for them
    if (mine !== this.pending.size) {
      const left = new Set(this.q.keys.all().map((r) => r.folder));
      for (const name of [...this.pending.keys()]) if (!left.has(name)) this.pending.delete(name);
    }
    return false;
  }

  /**
   * Write the rows of every record (inside the caller's write transaction), at most `limit` rows in all, and drop
   * the records whose rows are all written. A record is used only when it fits its folder (same UIDVALIDITY, its
   * UIDs and MODSEQs below the folder's next ones, the folder's rows exactly the record's first ones: none, or
   * those an earlier slice wrote) and its bytes pass build-record.ts's checks; `refused` are the folders whose
   * record failed, which the caller must give a new UIDVALIDITY (their UIDs cannot be known again); `left`:
   * whether rows remain to be written.
   */
  private expandAll(limit = Infinity): { refused: string[]; left: boolean } {
    const refused: string[] = [];
    let left = false;
    let budget = limit;
    for (const r of this.q.all.all()) {
      const f = this.q.folder.get(r.folder);
      // a record of a folder since dropped or given a new UIDVALIDITY describes nothing any more
      if (!f || f.uidvalidity !== r.uidvalidity) {
        this.finish(r.folder);
        continue;
      }
      const add = this.messagesOf(r);
      const n = add ? add.count : 0;
      if (!add || !Number.isSafeInteger(r.uid0) || !Number.isSafeInteger(r.modseq0) || r.uid0 < 1 || r.modseq0 < 0 || r.uid0 + n > f.uidnext || r.modseq0 + n > f.modseq) {
        this.finish(r.folder);
        refused.push(r.folder);
        continue;
      }
      // a first build's folder had no row, and every write since wrote these rows first: rows there that are not
      // the record's first ones (written by an earlier slice, in order) mean the folder is not what it says
      const done = this.writtenOf(r.folder, r.uid0, add);
      if (done < 0) {
        this.finish(r.folder);
        refused.push(r.folder);
        continue;
      }
      const m = Math.min(n - done, budget);
      if (m > 0) {
        const rows = new Array<NewMessage>(m);
        const eids = new Array<string>(m);
        for (let i = 0; i < m; i++) {
          rows[i] = add.at(done + i);
          eids[i] = emailIdOf(rows[i].base);
        }
        this.insert(r.folder, rows, eids, r.uid0 + done, r.modseq0 + done, [], new Set());
        budget -= m;
      }
      if (done + m === n) this.finish(r.folder);
      else left = true;
    }
    return { refused, left };
  }

  /** A record's messages: this process's own columns, else its bytes decoded (once for all slices), or null. */
  private messagesOf(r: RecordRow): { count: number; at(i: number): NewMessage } | null {
    const mine = this.pending.get(r.folder);
    if (mine && mine.uid0 === r.uid0 && mine.uidvalidity === r.uidvalidity && mine.cols.length === r.count) {
      const cols = mine.cols;
      return { count: cols.length, at: (i) => cols.message(i) };
    }
    const d = this.decoded;
    const add = d && d.folder === r.folder && d.uid0 === r.uid0 && d.crc === r.crc && d.add.length === r.count ? d.add : decodeBuild(r.names, r.count, r.crc);
    if (!add) return null;
    this.decoded = { folder: r.folder, uid0: r.uid0, crc: r.crc, add };
    return { count: add.length, at: (i) => add[i] };
  }

  /**
   * How many of a record's rows the folder holds (-1 when its rows are not exactly the record's first ones, UIDs
   * from uid0 and the last one's base name the record's).
   */
  private writtenOf(folder: string, uid0: number, add: { count: number; at(i: number): NewMessage }): number {
    const have = this.q.span.get(folder)!;
    if (!have.n) return 0;
    if (have.lo !== uid0 || have.hi !== uid0 + have.n - 1 || have.n > add.count) return -1;
    return this.byUid.get(folder, have.hi)?.base === add.at(have.n - 1).base ? have.n : -1;
  }

  /** A record's rows are all written, or it was dropped: forget it here and in the builds table. */
  private finish(folder: string): void {
    this.q.drop.run(folder);
    this.pending.delete(folder);
    if (this.decoded?.folder === folder) this.decoded = null;
  }

  /**
   * Write the waiting records' rows SLICE_ROWS per transaction, giving up the event loop's turn between two
   * (a first build of 30,000 messages wrote its rows in one step that held every session of the node for half a
   * second, security review 9); a reader of rows meanwhile writes the rest at once (settle).
   */
  writeInSlices(): Promise<void> {
    this.slicing ??= this.slices().finally(() => (this.slicing = null));
    return this.slicing;
  }

  private async slices(): Promise<void> {
    for (;;) {
      if (this.settling || !this.db.open || !this.q.keys.all().length) return;
      this.settling = true;
      let left: boolean;
      try {
        left = this.db.transaction(() => {
          const r = this.expandAll(SLICE_ROWS);
          for (const name of r.refused) this.reset(name);
          return r.left;
        }).immediate();
      } finally {
        this.settling = false;
      }
      this.seenVersion = this.q.dataVersion.get()!;
      if (!left) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Forget this process's copy of a folder's record (the folder was dropped or reset with the record). */
  discard(folder: string): void {
    this.finish(folder);
  }

  /** INSERT OR IGNORE of `n` message rows in one statement (prepared once per size). */
  private insertRows(n: number): Database.Statement {
    let st = this.statements.get(n);
    if (!st) {
      const row = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
      st = this.db.prepare(`INSERT OR IGNORE INTO messages (folder, uid, base, file, size, idate, letters, keywords, modseq, eid) VALUES ${Array(n).fill(row).join(', ')}`);
      this.statements.set(n, st);
    }
    return st;
  }

  /**
   * Insert `add` (email ids in `eids`) with UIDs from `uidnext` and MODSEQs from `modseq + 1`, in the given order.
   * A row already known by its base name keeps its UID (the UID it was offered in a batch is a gap). Pushes each
   * message's UID to `uids` and the email id of each row really added to `changed`; returns the next UID and MODSEQ.
   */
  insert(
    folder: string, add: NewMessage[], eids: string[], uidnext: number, modseq: number, uids: number[], changed: Set<string>,
  ): { uidnext: number; modseq: number } {
    // one parameter array for all full batches (bound synchronously by run)
    let full: (string | number)[] | undefined;
    for (let k = 0; k < add.length; ) {
      const n = Math.min(INSERT_ROWS, add.length - k);
      if (n < 4) {
        const m = add[k];
        const r = this.one.run(folder, uidnext, m.base, m.file, m.size, Math.round(m.idate), m.letters, m.keywords ?? '', modseq + 1, eids[k]);
        if (r.changes) {
          modseq++;
          uids.push(uidnext++);
          changed.add(eids[k]);
        } else {
          uids.push(this.byBase.get(folder, m.base)!.uid);
        }
        k++;
        continue;
      }
      const params: (string | number)[] = n === INSERT_ROWS ? (full ??= new Array(n * 10)) : new Array(n * 10);
      for (let i = 0, p = 0; i < n; i++, p += 10) {
        const m = add[k + i];
        params[p] = folder;
        params[p + 1] = uidnext + i;
        params[p + 2] = m.base;
        params[p + 3] = m.file;
        params[p + 4] = m.size;
        params[p + 5] = Math.round(m.idate);
        params[p + 6] = m.letters;
        params[p + 7] = m.keywords ?? '';
        params[p + 8] = modseq + 1 + i;
        params[p + 9] = eids[k + i];
      }
      const r = this.insertRows(n).run(params);
      for (let i = 0; i < n; i++) {
        if (r.changes === n) {
          uids.push(uidnext + i);
          changed.add(eids[k + i]);
          continue;
        }
        const uid = this.byBase.get(folder, add[k + i].base)!.uid;
        uids.push(uid);
        if (uid === uidnext + i) changed.add(eids[k + i]);
      }
      uidnext += n;
      modseq += n;
      k += n;
    }
    return { uidnext, modseq };
  }

  /** Any write: the messages kept by the last first build no longer describe the folder. */
  forget(): void {
    this.built = null;
  }

  /**
   * The messages of a folder's first build, when the folder is still in the state that build left (`key`:
   * UIDVALIDITY/UIDNEXT/MODSEQ, as the listing cache keys it) and no row was written since (`writes`); once.
   */
  take(folder: string, key: string, writes: number): Built | null {
    const b = this.built;
    if (!b || b.folder !== folder) return null;
    this.built = null;
    return b.key === key && b.writes === writes ? { cols: b.cols, uid0: b.uid0, modseq0: b.modseq0 } : null;
  }
}
