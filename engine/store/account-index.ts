// The account view of one user's index: per email (Maildir base name hash) its header facts and thread, threads
// joined by Message-ID/In-Reply-To/References and the base subject, per folder its visible and unread counts, and
// the rows JMAP reads. Writes log their changes through AccountLog; it never touches files.
import type Database from 'better-sqlite3';
import { AccountLog, VISIBLE } from './account-log.js';
import { threadIdOf } from './email-ids.js';
import { baseSubject, checkedMeta, type EmailMeta } from './message-meta.js';

export const INDEX_SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (eid TEXT PRIMARY KEY, tid TEXT NOT NULL, data TEXT NOT NULL, extra TEXT) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS meta_tid ON meta (tid);
  CREATE TABLE IF NOT EXISTS thread_keys (msgid TEXT NOT NULL, tid TEXT NOT NULL, PRIMARY KEY (msgid, tid)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS thread_keys_tid ON thread_keys (tid);
  CREATE TABLE IF NOT EXISTS threads (tid TEXT PRIMARY KEY, subject TEXT NOT NULL) WITHOUT ROWID;
`;

/** Facts derived from a whole message (MIME structure, text), cached beside the header facts. */
export interface EmailExtra {
  hasAttachment: boolean;
  preview: string;
}

/** One visible copy of an email in a folder. */
export interface EmailCopy {
  folder: string;
  uid: number;
  letters: string;
  keywords: string;
  modseq: number;
}

export interface EmailRow {
  id: string;
  threadId: string | null;
  size: number;
  /** Earliest internal date of its copies, ms. */
  receivedAt: number;
  copies: EmailCopy[];
  meta: EmailMeta | null;
  extra: EmailExtra | null;
}

export interface FolderCounts {
  total: number;
  unread: number;
  threads: number;
  unreadThreads: number;
}

interface JoinedRow {
  eid: string;
  folder: string;
  uid: number;
  letters: string;
  keywords: string;
  size: number;
  idate: number;
  modseq: number;
  tid: string | null;
  data: string | null;
  extra: string | null;
}

const UNREAD = "(instr(m.letters, 'S') = 0 AND instr(m.letters, 'D') = 0)";
const JOINED = `SELECT m.eid, m.folder, m.uid, m.letters, m.keywords, m.size, m.idate, m.modseq, me.tid, me.data, me.extra
  FROM messages m LEFT JOIN meta me ON me.eid = m.eid WHERE instr(m.letters, 'T') = 0`;

export class AccountIndex {
  private q;
  /**
   * The last answer of emails() for the whole account, with the database's change marks when it was read: this
   * connection's total_changes() and PRAGMA data_version (which moves when another connection commits). While
   * both stay the same the tables are the same, so the rows are too (a 10,000-email account is read once, not per
   * JMAP call). The rows are shared with callers, who only read them.
   */
  private cached: { mark: string; rows: EmailRow[] } | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly log: AccountLog,
  ) {
    this.q = {
      // in arrival order, so a reply is threaded after the message it answers when both are new
      pending: db.prepare<[number], { eid: string; folder: string; file: string }>(
        'SELECT m.eid, m.folder, m.file, min(m.idate) AS first FROM messages m WHERE NOT EXISTS (SELECT 1 FROM meta me WHERE me.eid = m.eid) GROUP BY m.eid ORDER BY first, m.eid LIMIT ?',
      ),
      hasMeta: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM meta WHERE eid = ?'),
      exists: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM messages WHERE eid = ?'),
      keys: db.prepare<[string], { tid: string }>('SELECT tid FROM thread_keys WHERE msgid = ?'),
      thread: db.prepare<[string], { subject: string }>('SELECT subject FROM threads WHERE tid = ?'),
      addThread: db.prepare('INSERT OR IGNORE INTO threads (tid, subject) VALUES (?, ?)'),
      addKey: db.prepare('INSERT OR IGNORE INTO thread_keys (msgid, tid) VALUES (?, ?)'),
      addMeta: db.prepare('INSERT OR IGNORE INTO meta (eid, tid, data) VALUES (?, ?, ?)'),
      setExtra: db.prepare('UPDATE meta SET extra = ? WHERE eid = ?'),
      foldersOf: db.prepare<[string], { uidvalidity: number }>(
        'SELECT DISTINCT f.uidvalidity FROM messages m JOIN folders f ON f.name = m.folder WHERE m.eid = ?',
      ),
      counts: db.prepare<[], FolderCounts & { folder: string }>(
        `SELECT m.folder AS folder, count(*) AS total, sum(CASE WHEN ${UNREAD} THEN 1 ELSE 0 END) AS unread,
           count(DISTINCT coalesce(me.tid, m.eid)) AS threads,
           count(DISTINCT CASE WHEN ${UNREAD} THEN coalesce(me.tid, m.eid) END) AS unreadThreads
         FROM messages m LEFT JOIN meta me ON me.eid = m.eid WHERE instr(m.letters, 'T') = 0 GROUP BY m.folder`,
      ),
      all: db.prepare<[], JoinedRow>(JOINED),
      mark: db.prepare<[], { changes: number; version: number }>('SELECT total_changes() AS changes, (SELECT data_version FROM pragma_data_version) AS version'),
      some: db.prepare<[string], JoinedRow>(`${JOINED} AND m.eid IN (SELECT value FROM json_each(?))`),
      members: db.prepare<[string], { tid: string; eid: string; idate: number }>(
        `SELECT me.tid, m.eid, min(m.idate) AS idate FROM meta me JOIN messages m ON m.eid = me.eid
         WHERE me.tid IN (SELECT value FROM json_each(?)) AND ${VISIBLE.replace('letters', 'm.letters')} GROUP BY me.tid, m.eid`,
      ),
    };
  }

  /** Emails whose header facts are not known yet, with one file to read each. */
  pending(limit: number): { eid: string; folder: string; file: string }[] {
    return this.q.pending.all(limit);
  }

  /**
   * Record an email's header facts and give it a thread: the thread of a message it replies to or
   * references (or of one that referenced it first) when the base subjects agree, else a new one.
   */
  setMeta(eid: string, meta: EmailMeta): void {
    this.db
      .transaction(() => {
        if (this.q.hasMeta.get(eid)!.n || !this.q.exists.get(eid)!.n) return;
        const subject = baseSubject(meta.subject);
        const tid = this.findThread(meta, subject) ?? threadIdOf(eid);
        const was = this.log.threadVisibleCount(tid);
        this.q.addThread.run(tid, subject);
        for (const id of [...meta.messageId, ...meta.inReplyTo, ...meta.references]) this.q.addKey.run(id, tid);
        this.q.addMeta.run(eid, tid, JSON.stringify(meta));
        this.log.emailThreaded(eid, tid);
        if (this.log.threadVisibleCount(tid) !== was) {
          this.log.threadChanged(tid, was);
          for (const f of this.q.foldersOf.all(eid)) this.log.mailbox(f.uidvalidity, 'updated', false);
        }
      })
      .immediate();
  }

  private findThread(meta: EmailMeta, subject: string): string | null {
    // closest parent first: In-Reply-To, then References from the last (the parent) to the first (the root)
    const candidates = [...meta.inReplyTo, ...[...meta.references].reverse(), ...meta.messageId];
    for (const id of candidates) {
      for (const { tid } of this.q.keys.all(id)) {
        const ts = this.q.thread.get(tid)?.subject;
        if (ts === undefined || ts === subject || ts === '' || subject === '') return tid;
      }
    }
    return null;
  }

  /** setMeta for many emails in one write transaction (a first look at a large mailbox). */
  setMetaBatch(entries: { eid: string; meta: EmailMeta }[]): void {
    this.db.transaction(() => {
      for (const e of entries) this.setMeta(e.eid, e.meta);
    }).immediate();
  }

  /** Cache what was derived from the whole message (not a change: the message itself did not change). */
  setExtra(eid: string, extra: EmailExtra): void {
    this.q.setExtra.run(JSON.stringify(extra), eid);
  }

  folderCounts(): Map<string, FolderCounts> {
    const out = new Map<string, FolderCounts>();
    for (const r of this.q.counts.all()) {
      out.set(r.folder, { total: r.total, unread: r.unread ?? 0, threads: r.threads, unreadThreads: r.unreadThreads });
    }
    return out;
  }

  /** Visible emails (all, or these ids), each with its visible copies. */
  emails(ids?: string[]): EmailRow[] {
    if (ids) return this.read(this.q.some.all(JSON.stringify(ids)));
    const m = this.q.mark.get()!;
    const mark = `${m.changes}:${m.version}`;
    if (this.cached?.mark !== mark) this.cached = { mark, rows: this.read(this.q.all.all()) };
    return [...this.cached.rows];
  }

  private read(rows: JoinedRow[]): EmailRow[] {
    const byId = new Map<string, EmailRow>();
    for (const r of rows) {
      let e = byId.get(r.eid);
      if (!e) {
        e = {
          id: r.eid,
          threadId: r.tid,
          size: r.size,
          receivedAt: r.idate,
          copies: [],
          meta: r.data ? checkedMeta(parseJson(r.data)) : null,
          extra: r.extra ? checkedExtra(parseJson(r.extra)) : null,
        };
        byId.set(r.eid, e);
      }
      e.receivedAt = Math.min(e.receivedAt, r.idate);
      e.copies.push({ folder: r.folder, uid: r.uid, letters: r.letters, keywords: r.keywords, modseq: r.modseq });
    }
    return [...byId.values()];
  }

  /** Visible emails of these threads, oldest first (then by id). */
  threadMembers(tids: string[]): Map<string, string[]> {
    const out = new Map<string, { eid: string; idate: number }[]>();
    for (const r of this.q.members.all(JSON.stringify(tids))) {
      let l = out.get(r.tid);
      if (!l) out.set(r.tid, (l = []));
      l.push({ eid: r.eid, idate: r.idate });
    }
    const sorted = new Map<string, string[]>();
    for (const [tid, l] of out) sorted.set(tid, l.sort((a, b) => a.idate - b.idate || (a.eid < b.eid ? -1 : 1)).map((x) => x.eid));
    return sorted;
  }
}

/** Derived facts read back from a stored JSON value: only the expected shape, the preview capped (also pg-account.ts). */
export function checkedExtra(v: unknown): EmailExtra | null {
  const o = v as { hasAttachment?: unknown; preview?: unknown } | null;
  return o && typeof o.hasAttachment === 'boolean' && typeof o.preview === 'string' ? { hasAttachment: o.hasAttachment, preview: o.preview.slice(0, 256) } : null;
}

/** A stored JSON value, or null when it does not parse. */
export function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
