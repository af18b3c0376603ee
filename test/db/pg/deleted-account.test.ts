// A deleted account leaves nothing behind in PostgreSQL (migration 43, as SQLite's users_delete_settings): its
// Sieve redirect counts, JMAP counters, list subscriptions and pending list requests, list bounce and reply counts,
// its login failures, its Bayes counts and its forward list's day count (migration 53) go with the users row, in
// the same transaction, whoever deletes it (a node pushing its copy's delete, a CLI command); another account's
// rows stay, and so do the server's own Bayes counts. On a private cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { migrate } from '../../../engine/db/pg/migrations.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../../helpers/postgres.js';

const skip = postgresUnavailable() ?? false;
const GONE = 'hanako@example.jp';
const KEPT = 'taro@example.jp';

/** Every per-account table with the column naming the account (and a filter for the shared login table). */
const PER_ACCOUNT: [table: string, where: string][] = [
  ['sieve_redirects', 'address = $1'],
  ['jmap_counters', 'address = $1'],
  ['list_members', 'address = $1'],
  ['list_requests', 'address = $1'],
  ['list_bounces', 'address = $1'],
  ['list_replies', 'address = $1'],
  ['login_failures', "scope = 'account' AND key = $1"],
  // those of migration 34, still going
  ['sieve_scripts', 'owner = $1'],
  ['vacations', 'address = $1'],
  ['jmap_tokens', 'address = $1'],
  ['jmap_objects', 'address = $1'],
  ['login_known', 'account = $1'],
  // those of migration 53: the per-user Bayes counts and the forward list's day count
  ['bayes_tokens', 'owner = $1'],
  ['bayes_totals', 'owner = $1'],
  ['bayes_learnt', 'owner = $1'],
  ['sieve_redirects', "address = 'forward:' || $1"],
];

async function addAccount(db: pg.Pool, a: string, n: number): Promise<void> {
  await db.query("INSERT INTO users (address, local, domain, password_hash, created) VALUES ($1, split_part($1, '@', 1), 'example.jp', 'x', 1)", [a]);
  await db.query('INSERT INTO sieve_redirects (address, at, n, msg) VALUES ($1, $2, 1, $3)', [a, Date.now(), `q-${n}`]);
  await db.query("INSERT INTO jmap_counters (address, type, modseq) VALUES ($1, 'Identity', 7), ($1, 'Identity.floor', 2)", [a]);
  await db.query("INSERT INTO list_members (id, list, address, added) VALUES ($1, 'team@example.jp', $2, 1)", [n, a]);
  await db.query("INSERT INTO list_requests (id, list, address, kind, state, created, expires) VALUES ($1, 'team@example.jp', $2, 'subscribe', 'confirm', 1, 2)", [`r-${n}`, a]);
  await db.query("INSERT INTO list_bounces (list, address, at, status, kind, counted) VALUES ('team@example.jp', $1, 1, '5.1.1', 'hard', 1)", [a]);
  await db.query("INSERT INTO list_replies (list, address, day, count) VALUES ('team@example.jp', $1, 1, 3)", [a]);
  await db.query("INSERT INTO login_failures (scope, key, at) VALUES ('account', $1, $2)", [a, Date.now()]);
  await db.query("INSERT INTO sieve_scripts (owner, name, script, active, updated) VALUES ($1, 'away', 'redirect \"old@elsewhere.test\";', true, 1)", [a]);
  await db.query("INSERT INTO vacations (address, enabled, text, updated) VALUES ($1, true, '不在です', 1)", [a]);
  await db.query("INSERT INTO jmap_tokens (id, hash, address, label, created) VALUES ($1, $2, $3, 'app', 1)", [n, `h-${n}`, a]);
  await db.query("INSERT INTO jmap_objects (address, type, id, data, created, modseq) VALUES ($1, 'Identity', 'i1', '{}', 1, 7)", [a]);
  await db.query("INSERT INTO login_known (account, client, at) VALUES ($1, '192.0.2.0/24', 1)", [a]);
  await db.query("INSERT INTO bayes_tokens (owner, token, spam, ham) VALUES ($1, '格安', 3, 0)", [a]);
  await db.query('INSERT INTO bayes_totals (owner, spam, ham) VALUES ($1, 3, 1)', [a]);
  await db.query("INSERT INTO bayes_learnt (owner, key, kind) VALUES ($1, 'k1', 'spam')", [a]);
  await db.query('INSERT INTO sieve_redirects (address, at, n, msg) VALUES ($1, $2, 2, $3)', [`forward:${a}`, Date.now(), `q-${n}`]);
}

async function count(db: pg.Pool, table: string, where: string, a: string): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, [a])).rows[0].n;
}

describe('PostgreSQL: a deleted account takes its rows with it', { skip }, () => {
  let cluster: PgCluster;
  const pools: pg.Pool[] = [];
  const poolFor = (url: string) => {
    const p = new pg.Pool({ connectionString: url, max: 2 });
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

  it('every per-account row of the deleted account goes; the other account keeps its own', async () => {
    const db = poolFor(await cluster.createDatabase('deleted_account'));
    await migrate(db);
    await db.query("INSERT INTO domains (name, created) VALUES ('example.jp', 1)");
    await db.query("INSERT INTO lists (address, name, domain, created) VALUES ('team@example.jp', 'チーム', 'example.jp', 1)");
    await addAccount(db, GONE, 1);
    await addAccount(db, KEPT, 2);
    for (const [table, where] of PER_ACCOUNT) assert.equal(await count(db, table, where, GONE), table === 'jmap_counters' ? 2 : 1, `${table} set up`);

    await db.query('DELETE FROM users WHERE address = $1', [GONE]);
    for (const [table, where] of PER_ACCOUNT) {
      assert.equal(await count(db, table, where, GONE), 0, `${table}: nothing of the deleted account`);
      assert.equal(await count(db, table, where, KEPT), table === 'jmap_counters' ? 2 : 1, `${table}: the other account's rows stay`);
    }
    assert.equal((await db.query("SELECT count(*)::int AS n FROM lists WHERE address = 'team@example.jp'")).rows[0].n, 1, 'the list itself stays');
    // the server's own Bayes counts (owner '') are nobody's account
    await db.query("INSERT INTO bayes_totals (owner, spam, ham) VALUES ('', 5, 5)");
    await db.query('DELETE FROM users WHERE address = $1', [KEPT]);
    assert.equal((await db.query("SELECT count(*)::int AS n FROM bayes_totals WHERE owner = ''")).rows[0].n, 1, "the server's counts stay");
  });
});
