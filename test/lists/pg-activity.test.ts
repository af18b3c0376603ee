// The shared list activity and reply history on PostgreSQL (engine/lists/pg-activity.ts, engine/rules/pg-reply-history.ts)
// with two "nodes" (own pools, own SQLite files) on one private database, racing as nodes do: the same post recorded by
// both at once goes out through one (the other is told to drop its copies); a node's own record lets it go on; a decision
// made elsewhere is claimed by one node's housekeeping; one vacation claim of many at once wins; a new text is a new period.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../engine/db/pg/migrations.js';
import { openDatabase, type Db } from '../../engine/db/database.js';
import { SqliteActivity } from '../../engine/lists/activity.js';
import { PgActivity } from '../../engine/lists/pg-activity.js';
import { PgReplyHistory, sharedHandle } from '../../engine/rules/pg-reply-history.js';
import { PgRedirectCounter, REDIRECT_DAY_MS } from '../../engine/sieve/redirect-count.js';
import { freshDatabase, postgresUnavailable } from '../helpers/postgres.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

describe('list activity and reply history shared in PostgreSQL', { skip: skip ?? false }, () => {
  const pools: pg.Pool[] = [];
  const dbs: Db[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgact-'));
  let url: string;

  const node = (name: string, carriesOut = true): PgActivity => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pools.push(pool);
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    const db = openDatabase(dir);
    dbs.push(db);
    return new PgActivity(pool, name, new SqliteActivity(db), { carriesOut });
  };

  before(async () => {
    url = await freshDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await migrate(pool);
    await pool.end();
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
    for (const d of dbs) d.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the same post recorded by two nodes at once: one records it, the other drops its copies; its own node goes on', async () => {
    const a = node('rec-a');
    const b = node('rec-b');
    for (let i = 0; i < 20; i++) {
      const key = `post-${i}`;
      const [ra, rb] = await Promise.all([a.recordPost('dev@example.test', key, `L${i}`, 1000), b.recordPost('dev@example.test', key, `L${i}`, 1000)]);
      assert.equal(+ra + +rb, 1, `exactly one node recorded ${key}`);
      const winner = ra ? a : b;
      const loser = ra ? b : a;
      assert.equal(await winner.batchCommitted(`L${i}`), true, "the winner's batch is committed");
      assert.equal(await loser.batchCommitted(`L${i}`), false, "the loser's batch is not: its staged copies never go out");
      assert.equal(await winner.recordPost('dev@example.test', key, `L${i}`, 1000), true, 'a re-run on the winning node goes on');
      assert.equal(await a.posted('dev@example.test', key), true);
      assert.equal(await b.posted('dev@example.test', key), true);
    }
  });

  it('a post held through one node is decided on another and carried out by one node only', async () => {
    const a = node('held-a');
    const b = node('held-b');
    const cliB = node('held-cli', false);
    const raw = Buffer.from('Subject: =?ISO-2022-JP?B?GyRCJEgkJCQmGyhC?=\r\n\r\n\x1b$B$3$s$K$A$O\x1b(B\r\n', 'latin1');
    await a.hold({ id: 'abcdefghij', list: 'dev@example.test', postKey: 'k1', sender: 's@remote.test', mailFrom: 's@remote.test', subject: 'x', size: raw.length, reason: 'the sender is not a member', created: 1, expires: Date.now() + 60_000 }, raw);
    assert.equal((await b.heldPosts('dev@example.test')).length, 1, 'seen on the other node');
    assert.deepEqual(await b.heldBody('abcdefghij'), raw, 'with its bytes');
    assert.equal(await cliB.setHeldState('abcdefghij', 'approved'), true);
    assert.equal(await cliB.setHeldState('abcdefghij', 'rejected'), false, 'decided once');
    const [da, db] = await Promise.all([a.decidedHeld(), b.decidedHeld()]);
    assert.equal(da.length + db.length, 1, 'one housekeeping claims the decision');
    assert.deepEqual(await a.decidedHeld(), [], 'and nobody else while the claim holds');
  });

  it('a vacation claimed by many deliveries at once answers once; a new text starts a new period', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 6 });
    pools.push(pool);
    const h = new PgReplyHistory(pool);
    const handle = sharedHandle('vacation', ['休暇中です', '不在', null, null, null]);
    const now = 10_000_000;
    const claims = await Promise.all(Array.from({ length: 6 }, () => h.claim('hanako@example.test', 'Friend@Example.net', handle, now, 7 * 86_400_000)));
    assert.equal(claims.filter(Boolean).length, 1);
    assert.equal(await h.claim('hanako@example.test', 'friend@example.net', handle, now + 86_400_000, 7 * 86_400_000), false, 'inside :days');
    assert.equal(await h.claim('hanako@example.test', 'friend@example.net', handle, now + 7 * 86_400_000, 7 * 86_400_000), true, 'after :days');
    const changed = sharedHandle('vacation', ['戻りました', '不在', null, null, null]);
    assert.notEqual(changed, handle);
    assert.equal(await h.claim('hanako@example.test', 'friend@example.net', changed, now + 7 * 86_400_000 + 1, 7 * 86_400_000), true, 'a new text answers again');
    assert.equal(await h.repliesSince('hanako@example.test', now), 2);
  });

  it('the moderation queue cap: posts held through two nodes at once stay within it', async () => {
    const a = node('cap-a');
    const b = node('cap-b');
    const cap = { posts: 3, bytes: 1_000_000 };
    const row = (i: number) => ({ id: `capcap${String(i).padStart(4, '0')}`, list: 'cap@example.test', postKey: `cap${i}`, sender: 's@remote.test', mailFrom: 's@remote.test', subject: 'x', size: 10, reason: 'the sender is not a member', created: 1, expires: Date.now() + 60_000 });
    const outs = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).hold(row(i), Buffer.from('0123456789'), cap)));
    assert.equal(outs.filter((o) => o === null).length, 3, 'three held, whichever node held them');
    assert.deepEqual(outs.filter((o) => o !== null), Array(7).fill('3 posts'));
    assert.equal((await a.heldPosts('cap@example.test')).length, 3);
    const held = (await a.heldPosts('cap@example.test'))[0];
    assert.equal(await b.hold(row(Number(held.postKey.slice(3))), Buffer.from('0123456789'), cap), null, 'a post held before is not refused again');
    assert.equal(await a.hold({ ...row(20), size: 999_990 }, Buffer.alloc(0), { posts: 10, bytes: 1_000_000 }), '1000000 bytes');
  });

  it('Sieve redirects per day: two nodes counting one account at once stay within the cap; a day later it starts again', async () => {
    const counters = ['rd-a', 'rd-b'].map(() => {
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      pools.push(pool);
      return new PgRedirectCounter(pool);
    });
    const now = 20_000_000;
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => counters[i % 2].claim('Taro@Example.test', `q${i}-0`, 1, now, 4)));
    assert.equal(claims.filter((c) => c.ok).length, 4, 'four of ten redirects, whichever node counted them');
    assert.deepEqual(await counters[0].claim('taro@example.test', 'q10-0', 1, now + REDIRECT_DAY_MS - 1, 4), { ok: false, used: 4 });
    assert.deepEqual(await counters[1].claim('taro@example.test', 'q11-0', 4, now + REDIRECT_DAY_MS, 4), { ok: true });
    // a message counted before (its delivery retried, on either node) is not counted again
    assert.deepEqual(await counters[0].claim('taro@example.test', 'q11-0', 4, now + REDIRECT_DAY_MS + 60_000, 4), { ok: true }, 'the retry goes on');
    assert.deepEqual(await counters[1].claim('taro@example.test', 'q12-0', 1, now + REDIRECT_DAY_MS + 60_000, 4), { ok: false, used: 4 }, 'counted once');
  });
});
