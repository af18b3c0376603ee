// The account's JMAP objects that live in the main database rather than the mailbox store (Identity,
// EmailSubmission) and the state counters of those types (and VacationResponse): each write takes the next
// MODSEQ of its type and leaves a row the /changes methods read. It never validates the objects it keeps.
import type { Db } from '../db/database.js';
import { pageChanges, type ChangeRow, type ChangesPage } from '../store/account-log.js';

export type ObjectType = 'Identity' | 'EmailSubmission' | 'VacationResponse' | 'WebmailPrefs';

type MaybePromise<T> = T | Promise<T>;

/**
 * What the JMAP methods use: this store (SQLite, one node) or PgObjectStore (engine/jmap/pg-object-store.ts, the
 * shared rows on PostgreSQL, so every node sees the same objects and states). Callers await each answer.
 */
export interface JmapObjects {
  onChange: ((address: string) => void) | null;
  state(address: string, type: ObjectType): MaybePromise<number>;
  bump(address: string, type: ObjectType): MaybePromise<number>;
  list<T>(address: string, type: ObjectType): MaybePromise<(T & { id: string })[]>;
  get<T>(address: string, type: ObjectType, id: string): MaybePromise<(T & { id: string }) | null>;
  put(address: string, type: ObjectType, id: string, data: object): MaybePromise<void>;
  destroy(address: string, type: ObjectType, id: string): MaybePromise<boolean>;
  changes(address: string, type: ObjectType, since: number, max: number): MaybePromise<ChangesPage | null>;
}

/** Destroyed objects remembered per account and type; older ones raise the floor (cannotCalculateChanges). */
export const KEEP_DESTROYED = 1000;

export class ObjectStore implements JmapObjects {
  private q;

  /** Told after each write (the push channel listens). */
  onChange: ((address: string) => void) | null = null;

  constructor(private readonly db: Db) {
    this.q = {
      counter: db.prepare<[string, string], { modseq: number }>('SELECT modseq FROM jmap_counters WHERE address = ? AND type = ?'),
      setCounter: db.prepare('INSERT INTO jmap_counters (address, type, modseq) VALUES (?, ?, ?) ON CONFLICT (address, type) DO UPDATE SET modseq = excluded.modseq'),
      all: db.prepare<[string, string], { id: string; data: string }>('SELECT id, data FROM jmap_objects WHERE address = ? AND type = ? AND destroyed = 0 ORDER BY created, id'),
      one: db.prepare<[string, string, string], { data: string; destroyed: number; created: number }>('SELECT data, destroyed, created FROM jmap_objects WHERE address = ? AND type = ? AND id = ?'),
      put: db.prepare(
        'INSERT INTO jmap_objects (address, type, id, data, created, modseq, destroyed) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address, type, id) DO UPDATE SET data = excluded.data, modseq = excluded.modseq, destroyed = excluded.destroyed',
      ),
      since: db.prepare<[string, string, number], ChangeRow>('SELECT id, created, modseq, destroyed, modseq AS props FROM jmap_objects WHERE address = ? AND type = ? AND modseq > ?'),
      destroyedCount: db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM jmap_objects WHERE address = ? AND type = ? AND destroyed = 1'),
      nthDestroyed: db.prepare<[string, string, number], { modseq: number }>('SELECT modseq FROM jmap_objects WHERE address = ? AND type = ? AND destroyed = 1 ORDER BY modseq LIMIT 1 OFFSET ?'),
      trim: db.prepare('DELETE FROM jmap_objects WHERE address = ? AND type = ? AND destroyed = 1 AND modseq <= ?'),
    };
  }

  /** The type's MODSEQ for this account (0 before its first change). */
  state(address: string, type: ObjectType): number {
    return this.q.counter.get(address, type)?.modseq ?? 0;
  }

  private floor(address: string, type: ObjectType): number {
    return this.q.counter.get(address, `${type}.floor`)?.modseq ?? 0;
  }

  /** Take the type's next MODSEQ (inside the caller's transaction). */
  bump(address: string, type: ObjectType): number {
    const v = this.state(address, type) + 1;
    this.q.setCounter.run(address, type, v);
    queueMicrotask(() => this.onChange?.(address));
    return v;
  }

  list<T>(address: string, type: ObjectType): (T & { id: string })[] {
    return this.q.all.all(address, type).map((r) => ({ ...(JSON.parse(r.data) as T), id: r.id }));
  }

  get<T>(address: string, type: ObjectType, id: string): (T & { id: string }) | null {
    const r = this.q.one.get(address, type, id);
    return r && !r.destroyed ? { ...(JSON.parse(r.data) as T), id } : null;
  }

  put(address: string, type: ObjectType, id: string, data: object): void {
    this.db.transaction(() => {
      const ms = this.bump(address, type);
      const old = this.q.one.get(address, type, id);
      this.q.put.run(address, type, id, JSON.stringify(data), old && !old.destroyed ? old.created : ms, ms, 0);
    })();
  }

  destroy(address: string, type: ObjectType, id: string): boolean {
    return this.db.transaction(() => {
      const old = this.q.one.get(address, type, id);
      if (!old || old.destroyed) return false;
      const ms = this.bump(address, type);
      this.q.put.run(address, type, id, null, old.created, ms, 1);
      this.trim(address, type);
      return true;
    })();
  }

  changes(address: string, type: ObjectType, since: number, max: number): ChangesPage | null {
    const current = this.state(address, type);
    if (since > current || since < this.floor(address, type)) return null;
    return pageChanges(this.q.since.all(address, type, since), since, max, current);
  }

  private trim(address: string, type: ObjectType): void {
    const n = this.q.destroyedCount.get(address, type)!.n;
    if (n <= KEEP_DESTROYED) return;
    const cut = this.q.nthDestroyed.get(address, type, n - KEEP_DESTROYED - 1)?.modseq;
    if (cut === undefined) return;
    this.q.trim.run(address, type, cut);
    this.q.setCounter.run(address, `${type}.floor`, Math.max(this.floor(address, type), cut));
  }
}
