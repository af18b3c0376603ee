// Waiting for a database that is away at start (engine/db/pg/wait.ts): only "cannot reach it" is waited for, with
// a growing wait told before each; a configuration error (wrong password, no such database) ends it at once; an
// abort (SIGTERM) ends the wait. No database needed: the operation is a stand-in that fails as node-postgres does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { databaseAway, untilReachable } from '../../../engine/db/pg/wait.js';

const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('waiting for the database at start', () => {
  it('tells which errors mean "away"', () => {
    for (const e of [err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), err('the database system is starting up', '57P03'), err('terminating connection due to administrator command', '57P01'), err('too many clients', '53300'), err('Connection terminated unexpectedly'), err('getaddrinfo EAI_AGAIN db', 'EAI_AGAIN')])
      assert.equal(databaseAway(e), true, e.message);
    for (const e of [err('password authentication failed for user "tegami"', '28P01'), err('database "tegami" does not exist', '3D000'), err('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'), err('syntax error', '42601')])
      assert.equal(databaseAway(e), false, e.message);
  });

  it('tries again with a growing wait until the database answers', async () => {
    const waits: [number, number][] = [];
    let calls = 0;
    const v = await untilReachable(
      async () => {
        if (++calls < 4) throw err('connect ECONNREFUSED', 'ECONNREFUSED');
        return 'migrated';
      },
      { onWait: (_e, attempt, ms) => waits.push([attempt, ms]), firstMs: 1, maxMs: 3 },
    );
    assert.equal(v, 'migrated');
    assert.deepEqual(waits, [[1, 1], [2, 2], [3, 3]]);
  });

  it('ends at once on a configuration error, and on an abort while waiting', async () => {
    let waited = 0;
    await assert.rejects(untilReachable(async () => { throw err('password authentication failed', '28P01'); }, { onWait: () => waited++ }), /password/);
    assert.equal(waited, 0);
    const ac = new AbortController();
    const p = untilReachable(async () => { throw err('connect ECONNREFUSED', 'ECONNREFUSED'); }, { onWait: () => ac.abort(new Error('stopped')), signal: ac.signal, firstMs: 60_000 });
    await assert.rejects(p, /stopped/);
  });
});
