// The login throttle shared by nodes through PostgreSQL: two LoginFlow instances (two nodes) on one database
// count failures together, so guessing spread over both is blocked and spaced as on one node; a spaced account's
// turns and its owner's known networks are shared too. Run against a
// private cluster; LoginFlow instances without the shared counts show what each node alone would allow.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseConfigText, type LoadedConfig } from '../../engine/config/load.js';
import { directoryFor } from '../../engine/context.js';
import { openDatabase, type Db } from '../../engine/db/database.js';
import { migrate } from '../../engine/db/pg/migrations.js';
import { Logger } from '../../engine/log/logger.js';
import { LoginFlow, type LoginContext } from '../../engine/net/login.js';
import { PgLoginCounts } from '../../engine/net/pg-login-counts.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skip = postgresUnavailable() ?? false;
const PASSWORD = 'kagi-123 x';

describe('login throttle shared through PostgreSQL', { skip }, () => {
  let cluster: PgCluster;
  let pool: pg.Pool;
  let dir: string;
  let config: LoadedConfig;
  let db: Db;
  let logger: Logger;

  before(async () => {
    cluster = await startPostgres();
    pool = new pg.Pool({ connectionString: cluster.url, max: 4 });
    await migrate(pool);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgthrottle-'));
    config = parseConfigText(
      [
        `hostname = "mx.example.jp"`, `data_dir = ${JSON.stringify(path.join(dir, 'data'))}`, '[domains]', 'local = ["example.jp"]',
        '[auth]', 'throttle_after = 0', 'block_after = 6', 'block_for = "15m"', 'window = "10m"', 'account_throttle_after = 4', 'account_delay = "2s"',
        '[log]', 'stdout = false',
      ].join('\n'),
      path.join(dir, 'tegami.toml'),
    );
    db = openDatabase(config.data_dir);
    const directory = directoryFor(config, db);
    await directory.addUser({ address: 'taro@example.jp', password: PASSWORD });
    await directory.addUser({ address: 'hanako@example.jp', password: PASSWORD });
    logger = new Logger({ dir: path.join(config.data_dir, 'logs'), stdout: false, files: true, level: 'debug' });
  });
  after(async () => {
    await logger?.close();
    db?.close();
    await pool?.end();
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const node = (shared: boolean) => {
    const counts = new PgLoginCounts(pool, { windowMs: config.auth.window, blockAfter: config.auth.block_after, blockForMs: config.auth.block_for, accountDelayMs: config.auth.account_delay });
    return LoginFlow.fromConfig(config, directoryFor(config, db), logger, shared ? counts : undefined);
  };
  const ctx = (ip: string): LoginContext => ({ protocol: 'imap', session: 'test', ip });

  it('blocks a client whose failures are spread over two nodes, on both, even with the right password', async () => {
    const a = node(true);
    const b = node(true);
    for (let i = 0; i < 3; i++) {
      assert.equal((await a.password(ctx('192.0.2.7'), 'taro@example.jp', `guess-a${i}`, 'PLAIN')).kind, 'failed');
      assert.equal((await b.password(ctx('192.0.2.7'), 'taro@example.jp', `guess-b${i}`, 'PLAIN')).kind, 'failed');
    }
    assert.equal((await a.password(ctx('192.0.2.7'), 'taro@example.jp', PASSWORD, 'PLAIN')).kind, 'blocked');
    assert.equal((await b.password(ctx('192.0.2.7'), 'taro@example.jp', PASSWORD, 'PLAIN')).kind, 'blocked');
    // a third node started later learns of the block from the database
    assert.equal((await node(true).password(ctx('192.0.2.7'), 'taro@example.jp', PASSWORD, 'PLAIN')).kind, 'blocked');
    // another client is not affected
    assert.equal((await a.password(ctx('192.0.2.8'), 'taro@example.jp', PASSWORD, 'PLAIN')).kind, 'ok');
  });

  it('counts IPv6 clients by their /64 across nodes', async () => {
    const a = node(true);
    const b = node(true);
    for (let i = 0; i < 3; i++) {
      await a.password(ctx(`2001:db8:1:2::${i + 1}`), 'nobody@example.jp', `g${i}`, 'PLAIN');
      await b.password(ctx(`2001:db8:1:2::${i + 100}`), 'nobody@example.jp', `h${i}`, 'PLAIN');
    }
    assert.equal((await a.password(ctx('2001:db8:1:2::ffff'), 'hanako@example.jp', PASSWORD, 'PLAIN')).kind, 'blocked');
    assert.equal((await b.password(ctx('2001:db8:1:3::1'), 'hanako@example.jp', PASSWORD, 'PLAIN')).kind, 'ok');
  });

  it('without the shared counts, the same spread of failures blocks neither node (what the table prevents)', async () => {
    const a = node(false);
    const b = node(false);
    for (let i = 0; i < 3; i++) {
      await a.password(ctx('198.51.100.9'), 'taro@example.jp', `guess-a${i}`, 'PLAIN');
      await b.password(ctx('198.51.100.9'), 'taro@example.jp', `guess-b${i}`, 'PLAIN');
    }
    assert.equal((await a.password(ctx('198.51.100.9'), 'taro@example.jp', PASSWORD, 'PLAIN')).kind, 'ok');
  });

  it('spaces attempts on an account guessed at from several networks over several nodes', async () => {
    const a = node(true);
    const b = node(true);
    // 2 failures on each node from 4 networks: 4 on the account together, none reaching a client block
    await a.password(ctx('203.0.113.1'), 'hanako@example.jp', 'x1', 'PLAIN');
    await a.password(ctx('203.0.113.2'), 'hanako@example.jp', 'x2', 'PLAIN');
    await b.password(ctx('203.0.113.3'), 'hanako@example.jp', 'x3', 'PLAIN');
    await b.password(ctx('203.0.113.4'), 'hanako@example.jp', 'x4', 'PLAIN');
    // three attempts at once on node A from a fifth network: one runs now, one waits its turn, one is told "busy"
    const r = await Promise.all([1, 2, 3].map((i) => a.password(ctx(`203.0.113.${10 + i}`), 'hanako@example.jp', `y${i}`, 'PLAIN')));
    assert.deepEqual(r.map((x) => x.kind).sort(), ['busy', 'failed', 'failed']);
  });

  it("takes a spaced account's turns on all nodes together: attempts at once on A and B get one turn each, the rest \"busy\"", async () => {
    const a = node(true);
    const b = node(true);
    for (let i = 1; i <= 4; i++) await (i % 2 ? a : b).password(ctx(`203.0.113.${20 + i}`), 'shiro@example.jp', `z${i}`, 'PLAIN');
    // one attempt on A and two on B from new networks, at once: one runs now, one waits a spacing, one is told
    // "busy" (with each node spacing on its own, A's and B's first both run now and B's second waits: no busy)
    const r = await Promise.all([a, b, b].map((n, i) => n.password(ctx(`203.0.113.${40 + i}`), 'shiro@example.jp', `w${i}`, 'PLAIN')));
    assert.deepEqual(r.map((x) => x.kind).sort(), ['busy', 'failed', 'failed']);
    const row = await pool.query<{ next_slot: string }>("SELECT next_slot FROM login_slots WHERE account = 'shiro@example.jp'");
    assert.equal(row.rowCount, 1, 'the turn is a shared row');
  });

  it("a network the owner logged in from on node A skips the account's spacing on node B", async () => {
    const a = node(true);
    const b = node(true);
    assert.equal((await a.password(ctx('192.0.2.200'), 'hanako@example.jp', PASSWORD, 'PLAIN')).kind, 'ok');
    // the account is guessed at (it was already, in the test above; four more from other networks on A)
    for (let i = 1; i <= 4; i++) await a.password(ctx(`198.18.0.${i}`), 'hanako@example.jp', `v${i}`, 'PLAIN');
    // the owner, from the network A knows, logs in three times at once on node B: never spaced, never "busy"
    const r = await Promise.all([1, 2, 3].map(() => b.password(ctx('192.0.2.200'), 'hanako@example.jp', PASSWORD, 'PLAIN')));
    assert.deepEqual(r.map((x) => x.kind), ['ok', 'ok', 'ok']);
  });

  it("takes a spaced account's turn on the database's clock: a node an hour ahead makes it neither busy elsewhere nor free", async () => {
    const counts = (skewMs: number) =>
      new PgLoginCounts(pool, { windowMs: config.auth.window, blockAfter: config.auth.block_after, blockForMs: config.auth.block_for, accountDelayMs: 2000, now: () => Date.now() + skewMs });
    const ahead = counts(3_600_000);
    const right = counts(0);
    const behind = counts(-3_600_000);
    assert.equal(await ahead.slot('kuro@example.jp'), 0);
    // the next turn is one spacing away on every node, whatever this node's clock says
    const wait = await right.slot('kuro@example.jp');
    assert.ok(wait !== 'busy' && wait > 0 && wait <= 2000, `waits its turn, not "busy" for an hour: ${wait}`);
    assert.equal(await behind.slot('kuro@example.jp'), 'busy');
  });

  it('expires: failures older than the window and ended blocks are pruned from the tables', async () => {
    let now = Date.now() + 60 * 60_000; // an hour later than every failure above
    const counts = new PgLoginCounts(pool, { windowMs: config.auth.window, blockAfter: config.auth.block_after, blockForMs: config.auth.block_for, now: () => now });
    assert.deepEqual(await counts.state('192.0.2.7', 'taro@example.jp'), { blockedUntil: 0, client: 0, account: 0, known: false });
    await counts.prune();
    const left = await pool.query('SELECT (SELECT count(*) FROM login_failures)::int AS f, (SELECT count(*) FROM login_blocks)::int AS b, (SELECT count(*) FROM login_slots)::int AS s');
    assert.deepEqual(left.rows[0], { f: 0, b: 0, s: 0 });
    now += 1;
    assert.equal(await counts.fail('192.0.2.99', undefined), false);
  });
});
