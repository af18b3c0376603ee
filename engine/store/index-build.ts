// The index's write path for many new message rows (engine/store/index-db.ts calls it inside its transactions):
// rows inserted a hundred per statement, and a folder's first build of many messages logged as one range with
// its rows kept for the listing that follows. It never opens a transaction of its own nor touches the files.
import type Database from 'better-sqlite3';
import type { AccountLog } from './account-log.js';
import type { FolderRow, MessageRow, NewMessage } from './index-db.js';

/** Message rows per INSERT statement when many are added at once (10 parameters each, far below SQLite's limit). */
const INSERT_ROWS = 100;

/**
 * A folder's first index build that adds at least this many messages logs them as one range (AccountLog.range)
 * instead of a change row per email; below it, each email is logged as any delivery is.
 */
export const RANGE_LOG_MIN = 1000;

/** The rows a folder's first build just inserted, with the folder state after it. */
interface Built {
  folder: string;
  key: string;
  rows: MessageRow[];
  writes: number;
}

export class IndexBuild {
  private readonly statements = new Map<number, Database.Statement>();
  private readonly one: Database.Statement;
  private readonly byBase: Database.Statement<[string, string], { uid: number }>;
  private built: Built | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly log: AccountLog,
  ) {
    this.one = db.prepare(
      'INSERT OR IGNORE INTO messages (folder, uid, base, file, size, idate, letters, keywords, modseq, eid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.byBase = db.prepare<[string, string], { uid: number }>('SELECT uid FROM messages WHERE folder = ? AND base = ?');
  }

  /** Is this change a folder's first build to log as one range (many rows added, nothing else, UIDNEXT still 1)? */
  static isFirst(change: { add?: NewMessage[]; remove?: number[]; flags?: unknown[] }, build: boolean | undefined): boolean {
    return !!build && (change.add?.length ?? 0) >= RANGE_LOG_MIN && !change.remove?.length && !change.flags?.length;
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

  /**
   * After a folder's first build (`f`: the folder before it) inserted `add` as `uids`: one range in the change
   * log instead of a row per email (no snapshot before: none of them had a row in this folder; copies elsewhere
   * are covered by the range), and the rows kept for take() when every one was new.
   */
  logged(folder: string, f: FolderRow, add: NewMessage[], uids: number[], changedCount: number, writes: number): void {
    if (changedCount) this.log.range([f.uidvalidity]);
    if (changedCount !== add.length) return;
    const rows: MessageRow[] = new Array(add.length);
    for (let i = 0; i < add.length; i++) {
      const m = add[i];
      rows[i] = { uid: uids[i], base: m.base, file: m.file, size: m.size, idate: Math.round(m.idate), letters: m.letters, keywords: m.keywords ?? '', modseq: f.modseq + 1 + i };
    }
    const last = rows.length ? rows[rows.length - 1] : null;
    this.built = { folder, key: `${f.uidvalidity}/${last ? last.uid + 1 : f.uidnext}/${last ? last.modseq : f.modseq}`, rows, writes };
  }

  /** Any write: the rows kept by the last first build no longer describe the folder. */
  forget(): void {
    this.built = null;
  }

  /**
   * The rows a folder's first build inserted, in UID order, when the folder is still in the state that build
   * left (`key`: UIDVALIDITY/UIDNEXT/MODSEQ, as the listing cache keys it) and no row was written since
   * (`writes`); handed out once.
   */
  take(folder: string, key: string, writes: number): MessageRow[] | null {
    const b = this.built;
    if (!b || b.folder !== folder) return null;
    this.built = null;
    return b.key === key && b.writes === writes ? b.rows : null;
  }
}
