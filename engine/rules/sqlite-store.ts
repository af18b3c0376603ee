// The rules store on the embedded SQLite database (tables of the rules migration in engine/db/database.ts):
// scripts, vacations, auto-responders and the reply history. Values read back are checked before use (a JSON
// column that does not parse is read as empty). It never parses Sieve and never sends mail.
import type { Db } from '../db/database.js';
import { AUTOREPLY_HANDLE, VACATION_HANDLE, type AutoReply, type DeleteOutcome, type RenameOutcome, type RulesStore, type ScriptOwner, type StoredScript, type VacationInput, type VacationSettings } from './store.js';

interface ScriptRow {
  name: string;
  script: string;
  active: number;
  updated: number;
}

interface VacationRow {
  enabled: number;
  subject: string | null;
  text: string;
  html: string | null;
  from_ms: number | null;
  until_ms: number | null;
  days: number | null;
  addresses: string;
  sender: string | null;
  updated: number;
}

interface AutoReplyRow {
  address: string;
  enabled: number;
  subject: string | null;
  text: string;
  interval_s: number;
  updated: number;
}

const key = (s: string) => s.trim().toLowerCase();

function toScript(r: ScriptRow): StoredScript {
  return { name: r.name, text: r.script, active: r.active === 1, updated: r.updated };
}

function stringList(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function toVacation(r: VacationRow): VacationSettings {
  return {
    enabled: r.enabled === 1,
    subject: r.subject,
    text: r.text,
    html: r.html,
    from: r.from_ms,
    until: r.until_ms,
    days: r.days,
    addresses: stringList(r.addresses),
    sender: r.sender === 'null' || r.sender === 'user' ? r.sender : null,
    updated: r.updated,
  };
}

function toAutoReply(r: AutoReplyRow): AutoReply {
  return { address: r.address, enabled: r.enabled === 1, subject: r.subject, text: r.text, intervalMs: r.interval_s * 1000, updated: r.updated };
}

/** A strictly increasing clock, so two puts within one millisecond still change `updated` (the parse cache key). */
function ticker(): () => number {
  let last = 0;
  return () => (last = Math.max(Date.now(), last + 1));
}

/** The lookups every delivery makes (active script, vacation, auto-reply), compiled once per database. */
const readStatements = new WeakMap<Db, Map<string, ReturnType<Db['prepare']>>>();
function prepared(db: Db, sql: string): ReturnType<Db['prepare']> {
  let m = readStatements.get(db);
  if (!m) readStatements.set(db, (m = new Map()));
  let st = m.get(sql);
  if (!st) m.set(sql, (st = db.prepare(sql)));
  return st;
}

export class SqliteRulesStore implements RulesStore {
  private readonly now = ticker();

  constructor(private readonly db: Db) {}

  // ---- scripts ----

  listScripts(owner: ScriptOwner): StoredScript[] {
    const rows = this.db.prepare('SELECT name, script, active, updated FROM sieve_scripts WHERE owner = ? ORDER BY name').all(key(owner)) as ScriptRow[];
    return rows.map(toScript);
  }

  getScript(owner: ScriptOwner, name: string): StoredScript | null {
    const r = this.db.prepare('SELECT name, script, active, updated FROM sieve_scripts WHERE owner = ? AND name = ?').get(key(owner), name) as ScriptRow | undefined;
    return r ? toScript(r) : null;
  }

  activeScript(owner: ScriptOwner): StoredScript | null {
    const r = prepared(this.db, 'SELECT name, script, active, updated FROM sieve_scripts WHERE owner = ? AND active = 1').get(key(owner)) as ScriptRow | undefined;
    return r ? toScript(r) : null;
  }

  putScript(owner: ScriptOwner, name: string, text: string): void {
    this.db
      .prepare('INSERT INTO sieve_scripts (owner, name, script, active, updated) VALUES (?, ?, ?, 0, ?) ON CONFLICT(owner, name) DO UPDATE SET script = excluded.script, updated = excluded.updated')
      .run(key(owner), name, text, this.now());
  }

  setActive(owner: ScriptOwner, name: string | null): boolean {
    const o = key(owner);
    return this.db.transaction(() => {
      if (name !== null && !this.db.prepare('SELECT 1 FROM sieve_scripts WHERE owner = ? AND name = ?').get(o, name)) return false;
      this.db.prepare('UPDATE sieve_scripts SET active = 0, updated = ? WHERE owner = ? AND active = 1').run(this.now(), o);
      if (name !== null) this.db.prepare('UPDATE sieve_scripts SET active = 1, updated = ? WHERE owner = ? AND name = ?').run(this.now(), o, name);
      return true;
    })();
  }

  deleteScript(owner: ScriptOwner, name: string): DeleteOutcome {
    const o = key(owner);
    return this.db.transaction((): DeleteOutcome => {
      const r = this.db.prepare('SELECT active FROM sieve_scripts WHERE owner = ? AND name = ?').get(o, name) as { active: number } | undefined;
      if (!r) return 'missing';
      if (r.active === 1) return 'active';
      this.db.prepare('DELETE FROM sieve_scripts WHERE owner = ? AND name = ?').run(o, name);
      return 'ok';
    })();
  }

  renameScript(owner: ScriptOwner, from: string, to: string): RenameOutcome {
    const o = key(owner);
    return this.db.transaction((): RenameOutcome => {
      if (!this.db.prepare('SELECT 1 FROM sieve_scripts WHERE owner = ? AND name = ?').get(o, from)) return 'missing';
      if (from !== to && this.db.prepare('SELECT 1 FROM sieve_scripts WHERE owner = ? AND name = ?').get(o, to)) return 'exists';
      this.db.prepare('UPDATE sieve_scripts SET name = ?, updated = ? WHERE owner = ? AND name = ?').run(to, this.now(), o, from);
      return 'ok';
    })();
  }

  // ---- vacation ----

  getVacation(address: string): VacationSettings | null {
    const r = prepared(this.db, 'SELECT * FROM vacations WHERE address = ?').get(key(address)) as VacationRow | undefined;
    return r ? toVacation(r) : null;
  }

  setVacation(address: string, v: VacationInput): VacationSettings {
    const a = key(address);
    const updated = this.now();
    this.db.transaction(() => {
      const old = this.getVacation(a);
      // a new text or new dates start a new period: nobody counts as answered any more (RFC 5230 §4.2)
      if (old && (old.text !== v.text || old.subject !== v.subject || old.html !== v.html || old.from !== v.from || old.until !== v.until)) {
        this.clearReplies(a, VACATION_HANDLE);
      }
      this.db
        .prepare(
          `INSERT INTO vacations (address, enabled, subject, text, html, from_ms, until_ms, days, addresses, sender, updated)
           VALUES (@address, @enabled, @subject, @text, @html, @from, @until, @days, @addresses, @sender, @updated)
           ON CONFLICT(address) DO UPDATE SET enabled = excluded.enabled, subject = excluded.subject, text = excluded.text,
             html = excluded.html, from_ms = excluded.from_ms, until_ms = excluded.until_ms, days = excluded.days,
             addresses = excluded.addresses, sender = excluded.sender, updated = excluded.updated`,
        )
        .run({
          address: a,
          enabled: v.enabled ? 1 : 0,
          subject: v.subject,
          text: v.text,
          html: v.html,
          from: v.from,
          until: v.until,
          days: v.days,
          addresses: JSON.stringify(v.addresses),
          sender: v.sender,
          updated,
        });
    })();
    return { ...v, addresses: [...v.addresses], updated };
  }

  disableVacation(address: string): boolean {
    return this.db.prepare('UPDATE vacations SET enabled = 0, updated = ? WHERE address = ?').run(this.now(), key(address)).changes > 0;
  }

  // ---- auto-responders ----

  getAutoReply(address: string): AutoReply | null {
    const r = prepared(this.db, 'SELECT * FROM auto_replies WHERE address = ?').get(key(address)) as AutoReplyRow | undefined;
    return r ? toAutoReply(r) : null;
  }

  setAutoReply(a: Omit<AutoReply, 'updated'>): AutoReply {
    const updated = this.now();
    const address = key(a.address);
    this.db.transaction(() => {
      const old = this.getAutoReply(address);
      if (old && (old.text !== a.text || old.subject !== a.subject)) this.clearReplies(address, AUTOREPLY_HANDLE);
      this.db
        .prepare(
          `INSERT INTO auto_replies (address, enabled, subject, text, interval_s, updated) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(address) DO UPDATE SET enabled = excluded.enabled, subject = excluded.subject, text = excluded.text,
             interval_s = excluded.interval_s, updated = excluded.updated`,
        )
        .run(address, a.enabled ? 1 : 0, a.subject, a.text, Math.round(a.intervalMs / 1000), updated);
    })();
    return { ...a, address, intervalMs: Math.round(a.intervalMs / 1000) * 1000, updated };
  }

  deleteAutoReply(address: string): boolean {
    const a = key(address);
    const gone = this.db.prepare('DELETE FROM auto_replies WHERE address = ?').run(a).changes > 0;
    if (gone) this.clearReplies(a, AUTOREPLY_HANDLE);
    return gone;
  }

  listAutoReplies(): AutoReply[] {
    return (this.db.prepare('SELECT * FROM auto_replies ORDER BY address').all() as AutoReplyRow[]).map(toAutoReply);
  }

  // ---- reply history ----

  lastReply(address: string, sender: string, handle: string): number | null {
    const r = this.db.prepare('SELECT at FROM reply_history WHERE address = ? AND sender = ? AND handle = ?').get(key(address), key(sender), handle) as { at: number } | undefined;
    return r ? r.at : null;
  }

  recordReply(address: string, sender: string, handle: string, at: number): void {
    this.db
      .prepare('INSERT INTO reply_history (address, sender, handle, at) VALUES (?, ?, ?, ?) ON CONFLICT(address, sender, handle) DO UPDATE SET at = excluded.at')
      .run(key(address), key(sender), handle, at);
  }

  repliesSince(address: string, since: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM reply_history WHERE address = ? AND at >= ?').get(key(address), since) as { n: number }).n;
  }

  clearReplies(address: string, handle?: string): void {
    if (handle === undefined) this.db.prepare('DELETE FROM reply_history WHERE address = ?').run(key(address));
    else this.db.prepare('DELETE FROM reply_history WHERE address = ? AND handle = ?').run(key(address), handle);
  }
}
