// Per-client connection counts shared by the nodes on one PostgreSQL (migration 30): every few seconds a node
// replaces its own rows in conn_counts with its open connections per protocol and client, and in the same
// round trip reads the other nodes' fresh rows, which each ConnectionLimits adds at accept (no query per
// connection). It never refuses or closes a connection itself; if the database is away, each node caps alone.
import type pg from 'pg';
import type { ConnectionLimits } from './conn-limits.js';

const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** Replace this node's rows, and read the other nodes' rows refreshed within $5 ms (a dead node's stop counting). */
const SYNC = `
  WITH mine AS (
    INSERT INTO conn_counts (node, protocol, client, n, at) SELECT $1, p, c, k, ${DB_NOW} FROM unnest($2::text[], $3::text[], $4::int[]) AS u(p, c, k)
    ON CONFLICT (node, protocol, client) DO UPDATE SET n = excluded.n, at = excluded.at
  ), gone AS (
    DELETE FROM conn_counts d WHERE d.node = $1
       AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[]) AS u(p, c) WHERE u.p = d.protocol AND u.c = d.client)
  )
  SELECT protocol, client, sum(n)::int AS n FROM conn_counts WHERE node <> $1 AND at > ${DB_NOW} - $5 GROUP BY protocol, client`;

export interface PgConnectionCountsOptions {
  /** This node's name ([storage] node_name). */
  node: string;
  /** How often to publish and read (default 2 s); other nodes' rows count for three periods. */
  everyMs?: number;
  onError?: (err: Error) => void;
  /** A publish-and-read succeeded (after a failure: the shared counts are back). */
  onOk?: () => void;
}

export class PgConnectionCounts {
  private readonly tracked = new Map<string, ConnectionLimits>();
  private others = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly everyMs: number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly o: PgConnectionCountsOptions,
  ) {
    this.everyMs = o.everyMs ?? 2000;
  }

  /** Share a protocol's caps: its counts are published, the other nodes' are added at its accept. */
  track(protocol: string, limits: ConnectionLimits): void {
    this.tracked.set(protocol, limits);
    limits.others = (key) => this.others.get(`${protocol}\0${key}`) ?? 0;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sync().catch(() => undefined);
    }, this.everyMs);
    this.timer.unref();
    this.sync().catch(() => undefined);
  }

  /** Publish ours and read theirs now (one round trip); a failure keeps the last read and is reported. */
  sync(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.once()
      .catch((e: Error) => {
        // the database away: after three periods the other nodes' counts are unknown, each node caps alone
        this.o.onError?.(e);
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  private async once(): Promise<void> {
    const p: string[] = [];
    const c: string[] = [];
    const n: number[] = [];
    for (const [protocol, limits] of this.tracked) {
      for (const [client, k] of limits.clients()) {
        p.push(protocol);
        c.push(client);
        n.push(k);
      }
    }
    let r: pg.QueryResult<{ protocol: string; client: string; n: number }>;
    try {
      r = await this.pool.query(SYNC, [this.o.node, p, c, n, this.everyMs * 3]);
    } catch (e) {
      this.lastOk ??= Date.now();
      if (Date.now() - this.lastOk > this.everyMs * 3) this.others = new Map();
      throw e;
    }
    this.lastOk = Date.now();
    this.o.onOk?.();
    const next = new Map<string, number>();
    for (const row of r.rows) if (Number.isSafeInteger(row.n) && row.n > 0) next.set(`${row.protocol}\0${row.client}`, row.n);
    this.others = next;
  }

  private lastOk: number | undefined;

  /** Stop publishing and remove this node's rows (best effort: they expire anyway). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    for (const limits of this.tracked.values()) limits.others = null;
    await this.pool.query('DELETE FROM conn_counts WHERE node = $1', [this.o.node]).catch(() => undefined);
  }
}
