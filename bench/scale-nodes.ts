// The targets of `npm run bench:scale`: one `tegami serve` on the SQLite/Maildir default, or N nodes on one
// private PostgreSQL (127.0.0.2, .3, .4, each its own data dir and node_name), all routing remote.test to one
// counting sink; and what the benchmark reads from them (messages delivered, statements PostgreSQL executed).
// Never run by `npm test`; it starts only private servers on loopback and stops them by their pids.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startTegami } from '../lab/targets/tegami.js';
import type { RunningTarget } from '../lab/targets/common.js';

export const DOMAIN = 'example.test';
export const REMOTE = 'remote.test';
export const PASSWORD = 'bench-password-1';
/** The IMAP IDLE probe's mailbox (no load is sent to it). */
export const IDLE_USER = `idle@${DOMAIN}`;

export type Node = RunningTarget & { dataDir: string; configPath: string; output(): string; listeners?: Record<string, number> };

export interface Row {
  /** "sqlite" or "pg-1", "pg-2", "pg-3". */
  id: string;
  nodes: Node[];
  /** Messages stored in local mailboxes so far (Maildir files or rows of mail_messages). */
  storedLocally(): Promise<number>;
  /** Statements PostgreSQL executed since the last reset (pg_stat_statements), without the benchmark's own. */
  statements?(): Promise<Statements>;
  resetStats?(): Promise<void>;
  stop(): Promise<void>;
}

export interface Statements {
  calls: number;
  xact_commit: number;
  /** WAL written by the cluster since the reset (only this row's database is busy), bytes. */
  wal_bytes: number;
  /** Growth of this row's database since the reset (tables, indexes, TOAST), bytes. */
  db_growth_bytes: number;
  /** The statements executed most often: normalised text and calls. */
  top: Array<{ query: string; calls: number }>;
}

/** The config every node shares: filters off (this benchmark measures storage, not the spam filter), relay for loopback, remote.test to the sink. */
function commonToml(sinkPort: number, dnsAddress: string): string {
  return [
    '[spam]',
    'enabled = false',
    '[dns]',
    `servers = ${JSON.stringify([dnsAddress])}`,
    'timeout = "15s"',
    '[relay]',
    'mode = "addresses"',
    'allow_ips = ["127.0.0.0/8"]',
    '[outbound]',
    `port = ${sinkPort}`,
    '[[route]]',
    `domain = "${REMOTE}"`,
    `to = "127.0.0.1:${sinkPort}"`,
  ].join('\n');
}

function countFiles(dir: string): number {
  try {
    return fs.readdirSync(dir).length;
  } catch {
    return 0;
  }
}

/** The default: SQLite + Maildir, one node on 127.0.0.1. */
export async function startSqliteRow(users: string[], sinkPort: number, dnsAddress: string): Promise<Row> {
  const node = (await startTegami({
    users: [...users, IDLE_USER].map((address) => ({ address, password: PASSWORD })),
    toml: commonToml(sinkPort, dnsAddress),
    listen: { imap: 0 },
  })) as Node;
  node.name = 'sqlite';
  return {
    id: 'sqlite',
    nodes: [node],
    storedLocally: async () => {
      let n = 0;
      for (const u of [...users, IDLE_USER]) {
        const m = node.maildir!(u);
        n += countFiles(path.join(m, 'new')) + countFiles(path.join(m, 'cur'));
      }
      return n;
    },
    stop: () => node.stop(),
  };
}

/** Tags the benchmark's own queries so that they are left out of the count. */
const PROBE = 'bench_scale_probe';

/** N nodes on a fresh database of the private cluster; users are added through node 1 (the directory is shared). */
export async function startPgRow(n: number, url: string, users: string[], sinkPort: number, dnsAddress: string): Promise<Row> {
  const nodes: Node[] = [];
  const stopAll = async () => {
    for (const x of nodes) await x.stop();
  };
  try {
    for (let i = 0; i < n; i++) {
      const toml = [
        '[storage]',
        'backend = "postgres"',
        `url = ${JSON.stringify(url)}`,
        'tls = "disable"',
        `node_name = "node-${i + 1}"`,
        commonToml(sinkPort, dnsAddress),
      ].join('\n');
      const node = (await startTegami({
        host: `127.0.0.${i + 2}`,
        users: i === 0 ? [...users, IDLE_USER].map((address) => ({ address, password: PASSWORD })) : [],
        toml,
        listen: { imap: 0 },
      })) as Node;
      node.name = `node-${i + 1}`;
      nodes.push(node);
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
  const db = new pg.Client({ connectionString: url });
  db.on('error', () => undefined);
  await db.connect();
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const dbName = new URL(url).pathname.slice(1);
  let atReset = { commits: 0, lsn: '0/0', size: 0 };
  const now = async () => {
    const r = (
      await db.query(`SELECT xact_commit AS ${PROBE}, pg_current_wal_lsn()::text AS lsn, pg_database_size($1) AS size FROM pg_stat_database WHERE datname = $1`, [dbName])
    ).rows[0];
    return { commits: Number(r[PROBE]), lsn: String(r.lsn), size: Number(r.size) };
  };
  return {
    id: `pg-${n}`,
    nodes,
    storedLocally: async () => Number((await db.query(`SELECT count(*) AS ${PROBE} FROM mail_messages`)).rows[0][PROBE]),
    resetStats: async () => {
      await db.query(`SELECT pg_stat_statements_reset() AS ${PROBE}`);
      atReset = await now();
    },
    statements: async () => {
      // the benchmark's own queries carry PROBE; everything else on this database is the nodes' work
      const r = await db.query(
        `SELECT query, calls::int AS calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = $1 AND query NOT LIKE '%${PROBE}%' AND query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC`,
        [dbName],
      );
      const rows = r.rows as Array<{ query: string; calls: number }>;
      const end = await now();
      const wal = Number((await db.query(`SELECT pg_wal_lsn_diff($1, $2) AS ${PROBE}`, [end.lsn, atReset.lsn])).rows[0][PROBE]);
      return {
        calls: rows.reduce((a, x) => a + x.calls, 0),
        // the benchmark's own probes are autocommitted transactions too: at most a few per second, left in
        xact_commit: end.commits - atReset.commits,
        wal_bytes: wal,
        db_growth_bytes: end.size - atReset.size,
        top: rows.slice(0, 25).map((x) => ({ query: x.query.replace(/\s+/g, ' ').slice(0, 300), calls: x.calls })),
      };
    },
    stop: async () => {
      await db.end().catch(() => undefined);
      await stopAll();
    },
  };
}
