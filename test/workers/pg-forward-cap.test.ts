// Forward-list copies counted on PostgreSQL (workers/forward-cap.ts over engine/sieve/redirect-count.ts's
// PgRedirectCounter), on a private cluster: two nodes (two pools) delivering six messages of one account at once
// against a cap of three send on exactly three and keep the other three; the count is apart from the account's
// Sieve redirects; a retried message is not counted again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freshDatabase, postgresUnavailable } from '../helpers/postgres.js';
import { migrate } from '../../engine/db/pg/migrations.js';
import { PgRedirectCounter } from '../../engine/sieve/redirect-count.js';
import { capForwards } from '../../workers/forward-cap.js';

const skip = postgresUnavailable();
const ALICE = 'alice@example.test';

describe('forward-list day cap on PostgreSQL', { skip: skip ?? false, timeout: 120_000 }, () => {
  let a: pg.Pool;
  let b: pg.Pool;
  before(async () => {
    const url = await freshDatabase();
    a = new pg.Pool({ connectionString: url, max: 4 });
    b = new pg.Pool({ connectionString: url, max: 4 });
    await migrate(a);
  });
  after(async () => {
    await a?.end();
    await b?.end();
  });

  test('two nodes at once: exactly the cap is sent on, the rest kept; redirects and retries apart', async () => {
    const t0 = Date.UTC(2026, 11, 6, 4, 0, 0);
    // alice's Sieve redirects are at their own cap: her forwards are not touched by it
    assert.deepEqual(await new PgRedirectCounter(a).claim(ALICE, 'q-sieve', 3, t0, 3), { ok: true });
    const routed = () => ({ mailboxes: [] as { owner: string; rcpt: string }[], remote: [{ address: 'friend@remote.test', rcpt: ALICE, via: ALICE }] });
    const runs = Array.from({ length: 6 }, (_, i) => {
      const r = routed();
      return capForwards(new PgRedirectCounter(i % 2 ? b : a), r, `q${i}`, t0 + i, 3).then((out) => ({ r, out }));
    });
    const done = await Promise.all(runs);
    const sent = done.filter((d) => d.r.remote.length === 1);
    const kept = done.filter((d) => d.r.mailboxes.some((m) => m.owner === ALICE));
    assert.equal(sent.length, 3, 'the cap holds across nodes');
    assert.equal(kept.length, 3, 'the others kept in the mailbox');
    for (const k of kept) assert.equal(k.out.events[0]?.event, 'forward-limit');
    // a message already counted, retried on the other node: sent on, not counted again
    const again = routed();
    const id = `q${done.indexOf(sent[0])}`;
    assert.deepEqual((await capForwards(new PgRedirectCounter(b), again, id, t0 + 60_000, 3)).events, []);
    assert.equal(again.remote.length, 1);
    const rows = await a.query<{ n: string }>("SELECT sum(n) AS n FROM sieve_redirects WHERE address = 'forward:' || $1", [ALICE]);
    assert.equal(Number(rows.rows[0].n), 3);
  });
});
