// The local copy of PostgreSQL tables (engine/db/pg/replica.ts), two "nodes" on one private database: a local
// write (as a worker thread or the admin pages make, straight into SQLite) reaches PostgreSQL and the other node;
// a reload never wipes a local change not yet sent; a stale local change never overwrites a newer one from
// another node (compare-and-set); a transaction's failure leaves the copy as PostgreSQL has it; the
// list_admins ⇄ admin_rights triggers hold in PostgreSQL as in SQLite.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openMemoryDatabase, type Db } from '../../../engine/db/database.js';
import { clientConfig } from '../../../engine/db/pg/pool.js';
import { migrate } from '../../../engine/db/pg/migrations.js';
import { Replica } from '../../../engine/db/pg/replica.js';
import { ensureSettingsTables } from '../../../engine/settings/store.js';
import { addScramColumn } from '../../../engine/accounts/sqlite-directory.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../../helpers/postgres.js';
import type { StorageConfig } from '../../../engine/config/schema.js';

// run by `npm run test:postgres` (the default `npm test` is kept as fast as before)
const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

interface Node {
  db: Db;
  replica: Replica;
  pool: pg.Pool;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the local copy of PostgreSQL tables', { skip: skip ?? false }, () => {
  let cluster: PgCluster;
  let a: Node;
  let b: Node;
  let sql: pg.Client;
  const nodes: Node[] = [];

  async function node(url: string, watchMs: number): Promise<Node> {
    const s = { url, tls: 'disable', statement_timeout: 30_000, node_name: 'test', pool_size: 3 } as StorageConfig;
    const pool = new pg.Pool({ ...clientConfig(s), max: 3 });
    const db = openMemoryDatabase();
    ensureSettingsTables(db);
    addScramColumn(db);
    const replica = new Replica({ db, pool, listen: clientConfig(s), watchMs });
    await replica.start();
    const n = { db, replica, pool };
    nodes.push(n);
    return n;
  }

  before(async () => {
    cluster = await startPostgres('tegami_replica');
    const pool = new pg.Pool({ connectionString: cluster.url });
    await migrate(pool);
    await pool.end();
    // node A follows its local writes at once (as `serve` does every second); node B only by transactions/NOTIFY
    a = await node(cluster.url, 50);
    b = await node(cluster.url, 0);
    sql = new pg.Client({ connectionString: cluster.url });
    await sql.connect();
  });
  after(async () => {
    for (const n of nodes) {
      await n.replica.close();
      await n.pool.end();
      n.db.close();
    }
    await sql?.end();
    await cluster?.stop();
  });

  const now = Date.now();

  it('a write straight into the local SQLite copy (a worker, the admin pages) reaches PostgreSQL and the other node', async () => {
    a.db.prepare('INSERT INTO lists (address, name, domain, created) VALUES (?, ?, ?, ?)').run('team@example.jp', 'team', 'example.jp', now);
    a.db.prepare('INSERT INTO list_members (list, address, added) VALUES (?, ?, ?)').run('team@example.jp', '山田@example.jp', now);
    await until('PostgreSQL has the member', async () => (await sql.query("SELECT 1 FROM list_members WHERE address = '山田@example.jp'")).rowCount === 1);
    await until('node B has the list', () => !!b.db.prepare("SELECT 1 FROM list_members WHERE address = '山田@example.jp'").get());
    // a worker disabling the member on a bounce: the one column changes everywhere
    a.db.prepare("UPDATE list_members SET disabled = 1, disabled_reason = 'bounces' WHERE address = '山田@example.jp'").run();
    await until('node B sees the member disabled', () => (b.db.prepare("SELECT disabled FROM list_members WHERE address = '山田@example.jp'").get() as { disabled: number }).disabled === 1);
    assert.equal((await sql.query("SELECT disabled FROM list_members WHERE address = '山田@example.jp'")).rows[0].disabled, true);
  });

  it('a reload never wipes a local change that PostgreSQL does not have yet', async () => {
    // node B does not watch its writes: its local change waits for the next sync, which must send it, not drop it
    b.db.prepare("INSERT INTO sieve_scripts (owner, name, script, active, updated) VALUES ('taro@example.jp', 'main', 'keep;', 1, ?)").run(now);
    await sql.query("INSERT INTO domains (name, created) VALUES ('other.example', $1)", [now]); // NOTIFY: B reloads
    await until('node B loaded the domain', () => !!b.db.prepare("SELECT 1 FROM domains WHERE name = 'other.example'").get());
    assert.ok(b.db.prepare("SELECT 1 FROM sieve_scripts WHERE owner = 'taro@example.jp'").get(), 'the local script survived the reload');
    assert.equal((await sql.query("SELECT count(*)::int AS n FROM sieve_scripts WHERE owner = 'taro@example.jp'")).rows[0].n, 1, 'and was sent first');
  });

  it('a stale local change does not overwrite what another node committed first (compare-and-set per column)', async () => {
    await sql.query("INSERT INTO vacations (address, enabled, text, updated) VALUES ('hanako@example.jp', false, '不在です', $1)", [now]);
    await until('node A has the vacation', () => !!a.db.prepare("SELECT 1 FROM vacations WHERE address = 'hanako@example.jp'").get());
    // node A stops following for a moment: its copy goes stale while another node changes the text
    const stale = a;
    await stale.replica.close();
    await sql.query("UPDATE vacations SET text = '出張中です' WHERE address = 'hanako@example.jp'");
    // A, stale, changes the text too, and a column nobody else changed
    stale.db.prepare("UPDATE vacations SET text = '休暇中', enabled = 1 WHERE address = 'hanako@example.jp'").run();
    const s = { url: cluster.url, tls: 'disable', statement_timeout: 30_000, node_name: 'test', pool_size: 3 } as StorageConfig;
    const replica = new Replica({ db: stale.db, pool: stale.pool, listen: clientConfig(s), watchMs: 50 });
    await replica.start(); // sends A's local changes compare-and-set, then reloads
    a = { ...stale, replica };
    nodes[nodes.indexOf(stale)] = a;
    const row = (await sql.query("SELECT text, enabled FROM vacations WHERE address = 'hanako@example.jp'")).rows[0];
    assert.equal(row.text, '出張中です', 'the newer text committed by another node stays');
    assert.equal(row.enabled, true, 'the column nobody else changed took the local change');
    assert.equal((a.db.prepare("SELECT text FROM vacations WHERE address = 'hanako@example.jp'").get() as { text: string }).text, '出張中です', 'and the copy follows PostgreSQL');
  });

  it('a transaction that fails leaves the copy as PostgreSQL has it', async () => {
    await assert.rejects(
      b.replica.transaction(() => {
        b.db.prepare("INSERT INTO user_quotas (address, bytes) VALUES ('jiro@example.jp', 1000)").run();
        throw new Error('refused by a check');
      }),
      /refused by a check/,
    );
    assert.equal(b.db.prepare("SELECT 1 FROM user_quotas WHERE address = 'jiro@example.jp'").get(), undefined);
    assert.equal((await sql.query("SELECT count(*)::int AS n FROM user_quotas WHERE address = 'jiro@example.jp'")).rows[0].n, 0);
  });

  it('PostgreSQL keeps list_admins and the list right equal both ways, as SQLite does', async () => {
    await sql.query("INSERT INTO users (address, local, domain, password_hash, created) VALUES ('kanri@example.jp', 'kanri', 'example.jp', 'x', $1)", [now]);
    await sql.query("INSERT INTO list_admins (list, address) VALUES ('team@example.jp', 'kanri@example.jp')");
    let r = await sql.query("SELECT u.list_admin, (SELECT count(*)::int FROM admin_rights WHERE address = 'kanri@example.jp' AND kind = 'list' AND target = 'team@example.jp') AS n FROM users u WHERE address = 'kanri@example.jp'");
    assert.deepEqual(r.rows[0], { list_admin: true, n: 1 });
    await sql.query("DELETE FROM admin_rights WHERE address = 'kanri@example.jp' AND kind = 'list'");
    assert.equal((await sql.query("SELECT count(*)::int AS n FROM list_admins WHERE address = 'kanri@example.jp'")).rows[0].n, 0);
    await sql.query("INSERT INTO admin_rights (address, kind, target, created) VALUES ('kanri@example.jp', 'list', 'team@example.jp', $1)", [now]);
    assert.equal((await sql.query("SELECT count(*)::int AS n FROM list_admins WHERE address = 'kanri@example.jp'")).rows[0].n, 1);
    // deleting the account takes its rights with it, and through them its list administration
    await sql.query("DELETE FROM users WHERE address = 'kanri@example.jp'");
    r = await sql.query("SELECT (SELECT count(*)::int FROM admin_rights WHERE address = 'kanri@example.jp') AS rights, (SELECT count(*)::int FROM list_admins WHERE address = 'kanri@example.jp') AS admins");
    assert.deepEqual(r.rows[0], { rights: 0, admins: 0 });
    await until('node B follows', () => !b.db.prepare("SELECT 1 FROM list_admins WHERE address = 'kanri@example.jp'").get() && !b.db.prepare("SELECT 1 FROM users WHERE address = 'kanri@example.jp'").get());
  });
});
