// The account's JMAP objects (Identity, EmailSubmission, WebmailPrefs) and their state counters (and
// VacationResponse's) on [storage] backend = "postgres": the rules of the SQLite store (engine/jmap/object-store.ts)
// over PostgreSQL's shared rows (migration 40), so an identity made through one node is on every node and the
// state strings agree. Each write is one statement that takes the type's next MODSEQ under the counter's row lock
// (two nodes never take the same one) and notifies the nodes' push channels. It never validates the objects.
import type pg from 'pg';
import { pageChanges, type ChangesPage } from '../store/account-log.js';
import { KEEP_DESTROYED, type JmapObjects, type ObjectType } from './object-store.js';

/** Every write notifies this channel with the account's address (each node's push listens: engine/jmap/pg-object-events.ts). */
export const JMAP_OBJECTS_CHANNEL = 'tegami_jmap_objects';

/** The counter's next value, inserted at 1 or raised by one, under its row lock. */
const NEXT = `INSERT INTO jmap_counters (address, type, modseq) VALUES ($1, $2, 1)
  ON CONFLICT (address, type) DO UPDATE SET modseq = jmap_counters.modseq + 1 RETURNING modseq`;
/** The nodes' push channels hear of the write when it commits (the account's address is $1). */
const NOTIFY = `n AS (SELECT pg_notify('${JMAP_OBJECTS_CHANNEL}', $1::text))`;

export class PgObjectStore implements JmapObjects {
  /** Told after each write through this node (the push channel listens; other nodes' writes come by NOTIFY). */
  onChange: ((address: string) => void) | null = null;

  constructor(private readonly pool: Pick<pg.Pool, 'query'>) {}

  async state(address: string, type: ObjectType): Promise<number> {
    const r = await this.pool.query<{ modseq: string }>('SELECT modseq FROM jmap_counters WHERE address = $1 AND type = $2', [address, type]);
    return r.rows.length ? Number(r.rows[0].modseq) : 0;
  }

  async bump(address: string, type: ObjectType): Promise<number> {
    const r = await this.pool.query<{ modseq: string }>(`WITH c AS (${NEXT}), ${NOTIFY} SELECT c.modseq FROM c, n`, [address, type]);
    this.told(address);
    return Number(r.rows[0].modseq);
  }

  async list<T>(address: string, type: ObjectType): Promise<(T & { id: string })[]> {
    const r = await this.pool.query<{ id: string; data: string }>('SELECT id, data FROM jmap_objects WHERE address = $1 AND type = $2 AND NOT destroyed ORDER BY created, id', [address, type]);
    return r.rows.map((row) => ({ ...(JSON.parse(row.data) as T), id: row.id }));
  }

  async get<T>(address: string, type: ObjectType, id: string): Promise<(T & { id: string }) | null> {
    const r = await this.pool.query<{ data: string }>('SELECT data FROM jmap_objects WHERE address = $1 AND type = $2 AND id = $3 AND NOT destroyed', [address, type, id]);
    return r.rows.length ? { ...(JSON.parse(r.rows[0].data) as T), id } : null;
  }

  /** Create or replace; an object keeps its creation MODSEQ unless it was destroyed before (as in SQLite). */
  async put(address: string, type: ObjectType, id: string, data: object): Promise<void> {
    await this.pool.query(
      `WITH c AS (${NEXT}), ${NOTIFY}
       INSERT INTO jmap_objects (address, type, id, data, created, modseq, destroyed)
         SELECT $1, $2, $3, $4, c.modseq, c.modseq, false FROM c, n
       ON CONFLICT (address, type, id) DO UPDATE SET data = excluded.data, modseq = excluded.modseq, destroyed = false,
         created = CASE WHEN jmap_objects.destroyed THEN excluded.created ELSE jmap_objects.created END`,
      [address, type, id, JSON.stringify(data)],
    );
    this.told(address);
  }

  /**
   * Destroy a live object: false when there is none (never made, or destroyed already, by any node: the row lock
   * makes a second node's destroy wait and then find it gone, so one state change, one answer "destroyed").
   */
  async destroy(address: string, type: ObjectType, id: string): Promise<boolean> {
    const r = await this.pool.query(
      `WITH o AS (SELECT 1 FROM jmap_objects WHERE address = $1 AND type = $2 AND id = $3 AND NOT destroyed FOR UPDATE),
       c AS (INSERT INTO jmap_counters (address, type, modseq) SELECT $1, $2, 1 FROM o
             ON CONFLICT (address, type) DO UPDATE SET modseq = jmap_counters.modseq + 1 RETURNING modseq),
       n AS (SELECT pg_notify('${JMAP_OBJECTS_CHANNEL}', $1::text) FROM c)
       UPDATE jmap_objects SET data = NULL, destroyed = true, modseq = c.modseq FROM c, n
         WHERE address = $1 AND type = $2 AND id = $3 RETURNING 1`,
      [address, type, id],
    );
    if (!r.rowCount) return false;
    this.told(address);
    await this.trim(address, type);
    return true;
  }

  /** One statement, one snapshot: the state, the floor and the rows changed since, up to that state. */
  async changes(address: string, type: ObjectType, since: number, max: number): Promise<ChangesPage | null> {
    const r = await this.pool.query<{ cur: string; floor: string; id: string | null; created: string; modseq: string; destroyed: boolean }>(
      `WITH s AS (SELECT coalesce((SELECT modseq FROM jmap_counters WHERE address = $1 AND type = $2), 0) AS cur,
                         coalesce((SELECT modseq FROM jmap_counters WHERE address = $1 AND type = $2 || '.floor'), 0) AS floor)
       SELECT s.cur, s.floor, o.id, o.created, o.modseq, o.destroyed FROM s
         LEFT JOIN jmap_objects o ON o.address = $1 AND o.type = $2 AND o.modseq > $3 AND o.modseq <= s.cur`,
      [address, type, since],
    );
    const current = Number(r.rows[0].cur);
    if (since > current || since < Number(r.rows[0].floor)) return null;
    const rows = r.rows
      .filter((x) => x.id !== null)
      .map((x) => ({ id: x.id!, created: Number(x.created), modseq: Number(x.modseq), destroyed: x.destroyed ? 1 : 0, props: Number(x.modseq) }));
    return pageChanges(rows, since, max, current);
  }

  /** Past KEEP_DESTROYED destroyed objects, the oldest go and the floor rises to the last one dropped. */
  private async trim(address: string, type: ObjectType): Promise<void> {
    await this.pool.query(
      `WITH cut AS (SELECT modseq FROM jmap_objects WHERE address = $1 AND type = $2 AND destroyed ORDER BY modseq DESC OFFSET $3 LIMIT 1),
       del AS (DELETE FROM jmap_objects o USING cut WHERE o.address = $1 AND o.type = $2 AND o.destroyed AND o.modseq <= cut.modseq)
       INSERT INTO jmap_counters (address, type, modseq) SELECT $1, $2 || '.floor', modseq FROM cut
       ON CONFLICT (address, type) DO UPDATE SET modseq = GREATEST(jmap_counters.modseq, excluded.modseq)`,
      [address, type, KEEP_DESTROYED],
    );
  }

  private told(address: string): void {
    queueMicrotask(() => this.onChange?.(address));
  }
}
