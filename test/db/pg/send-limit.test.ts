// The per-account sending counts on PostgreSQL (engine/submission/pg-send-ledger.ts, migrations 51 and 52) with
// two "nodes" (own pools) on one private database, racing as nodes do: twelve simultaneous claims for one account
// against a cap of three, spread over both nodes, count exactly three; a claim retried on the other node is not
// counted again; a refused hand-over gives its claim back; the hour rolls on a fake clock; overrides resolve as on
// SQLite; deleting the account takes its rows (the address may be given to someone else).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { migrate } from '../../../engine/db/pg/migrations.js';
import { configSchema } from '../../../engine/config/schema.js';
import { PgSendLedger } from '../../../engine/submission/pg-send-ledger.js';
import { HOUR_MS, limitsFor, NO_OVERRIDE, PENDING_MS, type SendLimits } from '../../../engine/submission/send-limit.js';
import { freshDatabase, postgresUnavailable } from '../../helpers/postgres.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();
const A = 'alice@example.test';
const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
const L = (o: Partial<SendLimits>): SendLimits => ({ messagesPerHour: 0, messagesPerDay: 0, recipientsPerHour: 0, recipientsPerDay: 0, ...o });

describe('sending counts shared in PostgreSQL', { skip: skip ?? false }, () => {
  const pools: pg.Pool[] = [];
  let url: string;
  const node = () => {
    const pool = new pg.Pool({ connectionString: url, max: 6 });
    pools.push(pool);
    return new PgSendLedger(pool);
  };

  before(async () => {
    url = await freshDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const r = await migrate(pool);
    assert.ok(r.applied.includes(51) && r.applied.includes(52), JSON.stringify(r.applied));
    await pool.end();
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
  });

  it('twelve simultaneous claims on two nodes against a cap of three count exactly three', async () => {
    const a = node();
    const b = node();
    const lim = L({ messagesPerHour: 3 });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).claim(A, `q${i}`, 1, T0 + i, lim)));
    assert.equal(results.filter((r) => r.ok).length, 3, JSON.stringify(results));
    for (const r of results.filter((x) => !x.ok)) assert.deepEqual(r, { ok: false, over: { limit: 'messagesPerHour', used: 3, max: 3 } });
    const won = results.map((r, i) => (r.ok ? `q${i}` : null)).filter((x): x is string => x !== null);
    // the same message claimed again on the other node: not counted twice
    assert.deepEqual(await a.claim(A, won[0], 1, T0 + 20, lim), { ok: true });
    for (const id of won) await b.settle(A, id, true);
    assert.deepEqual(await a.usage(A, T0 + 20), { messagesHour: 3, messagesDay: 3, recipientsHour: 3, recipientsDay: 3 });
    // an hour after the first: it rolls out of the hour (on a fake clock)
    const firstAt = T0 + Number(won[0].slice(1));
    assert.equal((await b.claim(A, 'later', 1, firstAt + HOUR_MS, lim)).ok, true);
    await b.settle(A, 'later', true);
    assert.equal((await a.usage(A, firstAt + HOUR_MS)).messagesDay, 4);
  });

  it('a refused hand-over gives its claim back; a crashed one stops counting after PENDING_MS', async () => {
    const a = node();
    const who = 'bob@example.test';
    const lim = L({ messagesPerDay: 1 });
    assert.equal((await a.claim(who, 'x1', 2, T0, lim)).ok, true);
    await a.settle(who, 'x1', false);
    assert.equal((await a.usage(who, T0)).messagesDay, 0);
    assert.equal((await a.claim(who, 'x2', 2, T0, lim)).ok, true); // never settled: the node died
    assert.equal((await a.claim(who, 'x3', 2, T0 + PENDING_MS - 1, lim)).ok, false);
    assert.equal((await a.claim(who, 'x3', 2, T0 + PENDING_MS, lim)).ok, true);
  });

  it('overrides: the account, else its domain, else [limits]; a deleted account takes its override and counts', async () => {
    const a = node();
    const config = configSchema.parse({ limits: { send_recipients_per_day: 50 } });
    const who = 'carol@example.jp';
    await a.setOverride('@example.jp', { ...NO_OVERRIDE, messagesPerHour: 4 });
    await a.setOverride(who, { ...NO_OVERRIDE, messagesPerDay: 0 });
    assert.deepEqual(await limitsFor(a, config, who), { messagesPerHour: 4, messagesPerDay: 0, recipientsPerHour: 500, recipientsPerDay: 50 });
    await a.claim(who, 'c1', 1, T0, L({}));
    const pool = pools[pools.length - 1];
    await pool.query("INSERT INTO users (address, local, domain, password_hash, created) VALUES ($1, 'carol', 'example.jp', 'x', 0)", [who]);
    await pool.query('DELETE FROM users WHERE address = $1', [who]);
    assert.deepEqual(await a.override(who), NO_OVERRIDE);
    assert.equal((await a.usage(who, T0)).messagesDay, 0);
    assert.equal((await a.override('@example.jp')).messagesPerHour, 4, "the domain's default stays");
    await a.setOverride('@example.jp', { ...NO_OVERRIDE });
    assert.equal((await pool.query('SELECT count(*)::int AS n FROM send_limits')).rows[0].n, 0);
  });
});
