// PostgreSQL migrations on a private cluster: applied once, a failing one rolled back whole, two nodes
// migrating at once serialised by the advisory lock, and `tegami db migrate|status` as operators run them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate, MigrationError, schemaVersion, type Migration } from '../../../engine/db/pg/migrations.js';
import { MIGRATIONS } from '../../../engine/db/pg/schema-sql.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { BIN } from '../../helpers/server.js';

const skip = postgresUnavailable() ?? false;

async function tables(pool: pg.Pool): Promise<string[]> {
  const r = await pool.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  return r.rows.map((x) => x.t);
}

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (err += b));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('PostgreSQL migrations', { skip }, () => {
  let cluster: PgCluster;
  const pools: pg.Pool[] = [];
  const poolFor = (url: string) => {
    const p = new pg.Pool({ connectionString: url, max: 3 });
    pools.push(p);
    return p;
  };
  before(async () => {
    cluster = await startPostgres();
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await cluster?.stop();
  });

  it('applies every migration to an empty database once, and nothing the second time', async () => {
    const pool = poolFor(await cluster.createDatabase('fresh'));
    assert.equal(await schemaVersion(pool), 0);
    const first = await migrate(pool);
    assert.deepEqual(first.applied, MIGRATIONS.map((m) => m.version));
    assert.equal(first.current, first.known);
    assert.ok((await tables(pool)).includes('users'));
    const again = await migrate(pool);
    assert.deepEqual(again.applied, []);
    assert.equal(again.current, first.current);
    assert.equal(await schemaVersion(pool), first.current);
  });

  it('rolls a failing migration back whole: its earlier statements are undone and its version is not recorded', async () => {
    const pool = poolFor(await cluster.createDatabase('broken'));
    const good: Migration = { version: 1, name: 'one', sql: 'CREATE TABLE one (id int PRIMARY KEY)' };
    const bad: Migration = {
      version: 2,
      name: 'two',
      sql: "CREATE TABLE two (id int); INSERT INTO one VALUES (1); ALTER TABLE one ADD COLUMN note text; SELECT 1 / 0",
    };
    await assert.rejects(migrate(pool, [good, bad]), (e: unknown) => e instanceof MigrationError && e.version === 2 && /division by zero/.test(e.message));
    assert.deepEqual(await tables(pool), ['one', 'schema_migrations']);
    const cols = await pool.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'one' ORDER BY 1");
    assert.deepEqual(cols.rows.map((r) => r.column_name), ['id']);
    assert.equal((await pool.query('SELECT count(*)::int AS n FROM one')).rows[0].n, 0);
    assert.equal(await schemaVersion(pool), 1);
    // the fixed migration applies afterwards on the same database
    const fixed = await migrate(pool, [good, { ...bad, sql: 'CREATE TABLE two (id int)' }]);
    assert.deepEqual(fixed.applied, [2]);
  });

  it('lets two nodes migrate one database at the same moment: each migration runs exactly once', async () => {
    const url = await cluster.createDatabase('racing');
    // not idempotent on purpose (a second run fails on CREATE TABLE), and slow enough for the two to overlap
    const list: Migration[] = [
      { version: 1, name: 'a', sql: 'SELECT pg_sleep(0.3); CREATE TABLE a (id int)' },
      { version: 2, name: 'b', sql: 'CREATE TABLE b (id int); SELECT pg_sleep(0.3)' },
    ];
    const [x, y] = await Promise.all([migrate(poolFor(url), list), migrate(poolFor(url), list)]);
    assert.deepEqual([...x.applied, ...y.applied].sort(), [1, 2]);
    assert.equal(x.current, 2);
    assert.equal(y.current, 2);
  });

  it('tegami db migrate creates the schema from the config; db status reports it', async () => {
    const url = await cluster.createDatabase('cli');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgcli-'));
    const config = path.join(dir, 'tegami.toml');
    fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = "data"\n[log]\nstdout = false\n[storage]\nbackend = "postgres"\nurl = "${url}"\ntls = "disable"\nnode_name = "node-a"\n`);
    try {
      let r = await cli(['db', 'status', '--config', config, '--json']);
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).current, 0);
      r = await cli(['db', 'migrate', '--config', config, '--json']);
      assert.equal(r.code, 0, r.err);
      const done = JSON.parse(r.out);
      assert.equal(done.backend, 'postgres');
      assert.deepEqual(done.applied, MIGRATIONS.map((m) => m.version));
      r = await cli(['db', 'status', '--config', config]);
      assert.match(r.out, new RegExp(`schema version ${done.known}\\b`));
      assert.ok(!r.out.includes(url) && !r.err.includes(url), 'the URL (with its password) is never printed');
      // the account commands work on PostgreSQL: the domain is a row there, not only in the node's local copy
      r = await cli(['domain', 'add', 'example.jp', '--config', config]);
      assert.equal(r.code, 0, r.err);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        assert.deepEqual((await c.query('SELECT name FROM domains')).rows, [{ name: 'example.jp' }]);
      } finally {
        await c.end();
      }
      // backend postgres without a url is a config error, not a connection to some default
      fs.writeFileSync(config, `data_dir = "data"\n[storage]\nbackend = "postgres"\n`);
      r = await cli(['db', 'migrate', '--config', config]);
      assert.notEqual(r.code, 0);
      assert.match(r.err, /needs url/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
