// The fixture of the PostgreSQL serve tests: one private cluster for the file (test/helpers/postgres.ts
// sharedPostgres, stopped when the file's process ends), a fresh database for each describe on it,
// `tegami serve` nodes on [storage] backend = "postgres" with their TOML written in one place, the test's own SQL
// clients, and the database taken away and given back. Everything it started is stopped in the describe's after().
// It never starts a cluster per test nor reaches another file's cluster; what a node is configured with beyond
// [storage] is the test's (its `toml`).
import { after, before } from 'node:test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sharedPostgres, type PgCluster } from '../../helpers/postgres.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../../helpers/server.js';

/** Copy a node's keys (keys/secret.key, keys/srs.secret, keys/decoy.key) into another data dir, as an operator adding a node does. */
export function copyKeys(fromDataDir: string, toDataDir: string): void {
  fs.mkdirSync(path.join(toDataDir, 'keys'), { recursive: true, mode: 0o700 });
  for (const f of ['secret.key', 'srs.secret', 'decoy.key']) {
    const from = path.join(fromDataDir, 'keys', f);
    if (!fs.existsSync(from)) continue;
    fs.copyFileSync(from, path.join(toDataDir, 'keys', f));
    fs.chmodSync(path.join(toDataDir, 'keys', f), 0o600);
  }
}

/** The [storage] table of a node on `url`: no TLS on loopback, a small pool, its node_name, then `more` keys. */
export function storageToml(url: string, node?: string, more: Record<string, string | number> = {}): string {
  const keys: Record<string, string | number> = { backend: 'postgres', url, tls: 'disable', pool_size: 4, ...(node ? { node_name: node } : {}), ...more };
  return ['[storage]', ...Object.entries(keys).map(([k, v]) => `${k} = ${typeof v === 'number' ? v : JSON.stringify(v)}`)].join('\n');
}

export interface PgNodeOptions extends Omit<TestServerOptions, 'toml' | 'dataDir'> {
  /** [storage] node_name (unset: the machine's host name, the default). */
  name?: string;
  /** More [storage] keys: lease_time, pool_size… */
  storage?: Record<string, string | number>;
  /** The tables after [storage]: [relay], [queue], [[route]]… */
  toml?: string;
  /** Start with the file's sealing key in keys/secret.key and its SRS key in keys/srs.secret, as every node of one
   * organisation holds them (docs/scale-out.md, "Adding a node"): the default, since a node holding other keys than
   * the first one does not start. false: the node makes its own (a node started without the copies). */
  sharedKey?: boolean;
}

export interface PgNodes {
  /** The file's cluster (valid from before() on). */
  readonly cluster: PgCluster;
  /** The URL of this describe's database. */
  readonly url: string;
  /** The sealing key nodes started with `sharedKey` hold. */
  readonly secret: Buffer;
  /** A `tegami serve` on this database; stopped in after(). */
  node(opts?: PgNodeOptions): Promise<TestServer>;
  /** The test's own client on this database; an outage cuts it without crashing the test (connect another). */
  client(): Promise<pg.Client>;
  /** Refuse new sessions to this database and cut every open one; the returned function lets them in again. */
  takeAway(): Promise<() => Promise<void>>;
}

/**
 * Register the fixture's before/after in the enclosing describe: the file's cluster, a fresh database `database` on
 * it, and the nodes and clients made through it (stopped and closed in after()).
 */
export function pgNodes(database: string): PgNodes {
  let cluster: PgCluster | undefined;
  let url = '';
  const secret = crypto.randomBytes(32);
  const srsSecret = crypto.randomBytes(32).toString('hex') + '\n';
  const decoy = crypto.randomBytes(32);
  const nodes: TestServer[] = [];
  const clients: pg.Client[] = [];
  const dirs: string[] = [];
  const restores: (() => Promise<void>)[] = [];

  before(async () => {
    cluster = await sharedPostgres();
    url = await cluster.createDatabase(database);
  });
  after(async () => {
    for (const r of restores.splice(0)) await r().catch(() => undefined);
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  const connect = async (to: string): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: to });
    c.on('error', () => undefined); // cut by takeAway() or a halt: the test connects again
    await c.connect();
    return c;
  };

  return {
    get cluster() {
      if (!cluster) throw new Error('pgNodes: the cluster starts in before()');
      return cluster;
    },
    get url() {
      return url;
    },
    secret,
    async node(opts: PgNodeOptions = {}) {
      const { name, storage, toml, sharedKey = true, ...rest } = opts;
      let dataDir: string | undefined;
      if (sharedKey) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgnode-'));
        dirs.push(dir);
        dataDir = path.join(dir, 'data');
        fs.mkdirSync(path.join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
        fs.writeFileSync(path.join(dataDir, 'keys', 'secret.key'), secret, { mode: 0o600 });
        fs.writeFileSync(path.join(dataDir, 'keys', 'srs.secret'), srsSecret, { mode: 0o600 });
        fs.writeFileSync(path.join(dataDir, 'keys', 'decoy.key'), decoy, { mode: 0o600 });
      }
      const srv = await startTestServer({ ...rest, dataDir, toml: [storageToml(url, name, storage), toml ?? ''].join('\n') });
      nodes.push(srv);
      return srv;
    },
    async client() {
      const c = await connect(url);
      clients.push(c);
      return c;
    },
    async takeAway() {
      const name = new URL(url).pathname.slice(1);
      const admin = new URL(url);
      admin.pathname = '/postgres';
      const c = await connect(admin.toString());
      await c.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      let back: Promise<void> | undefined;
      const restore = () =>
        (back ??= (async () => {
          try {
            await c.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
          } finally {
            await c.end().catch(() => undefined);
          }
        })());
      restores.push(restore);
      return restore;
    },
  };
}
