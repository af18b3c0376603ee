// /readyz of a node on [storage] backend = "postgres" (operator-run-1): with the database away every RCPT gets 451
// and no mailbox opens, so the node is not ready, and the probe an operator alerts on says so (503, the `postgres`
// check failing with the database's error), as does `tegami status`; once the database is back it is ready again
// with no restart; `tegami status` names the backend, the database URL without its password and the node, and
// says whether the database answers a query (NOT ANSWERING and exit 1 while it is away; asked by the command itself
// when no server runs).
// curl against the real metrics listener. On the code before, /readyz stayed 200 (its `database`
// check writes the node's local SQLite copy, which the outage does not touch).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { postgresUnavailable } from '../../helpers/postgres.js';
import { requireCommand } from '../../helpers/server.js';
import { pgNodes } from './pg-node.js';
import { until } from './shared-mail.js';
import type { StatusDocument } from '../../../engine/metrics/status.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

function readyz(port: number): { code: number; body: { status: string; checks: Record<string, { ok: boolean; detail?: string }> } | null } {
  const r = spawnSync('curl', ['-s', '-m', '30', '-w', '\n%{http_code}', `http://127.0.0.1:${port}/readyz`], { encoding: 'utf8', timeout: 60_000 });
  const lines = r.stdout.trimEnd().split('\n');
  const code = Number(lines.pop());
  try {
    return { code, body: JSON.parse(lines.join('\n')) as never };
  } catch {
    return { code, body: null };
  }
}

describe('/readyz on PostgreSQL', { skip: skip ?? false, timeout: 240_000 }, () => {
  const fx = pgNodes('tegami_serve_readyz');

  it('is 503 naming postgres while the database is away, and 200 again when it is back', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const a = await fx.node({ name: 'node-a', sharedKey: true, listeners: ['smtp', 'metrics'] });
    const port = a.ports.metrics;
    await until('ready', () => readyz(port).code === 200, 120_000);
    const ready = readyz(port);
    assert.equal(ready.body?.checks.postgres?.ok, true, JSON.stringify(ready.body));

    // tegami status names the backend, the database (its password never shown) and this node
    const password = decodeURIComponent(new URL(fx.url).password);
    const json = a.cli(['status', '--json']);
    assert.equal(json.status, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as StatusDocument;
    assert.equal(doc.storage.backend, 'postgresql');
    assert.equal(doc.storage.node, 'node-a');
    assert.match(doc.storage.location, /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/tegami_serve_readyz$/);
    const text = a.cli(['status']).stdout;
    assert.match(text, /^storage: +postgresql postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/tegami_serve_readyz, node node-a$/m);
    assert.ok(!json.stdout.includes(password) && !text.includes(password) && !text.includes(encodeURIComponent(password)), 'no password');
    // and whether the database answers a query, with the time it took (host:port/database, nothing else of the URL)
    assert.match(text, /^database: +postgresql 127\.0\.0\.1:\d+\/tegami_serve_readyz: answered in \d+(\.\d)? ms$/m);
    assert.equal(doc.database?.ok, true, doc.database?.error);

    const giveBack = await fx.takeAway();
    let seen: ReturnType<typeof readyz> | undefined;
    await until('not ready while the database is away', () => (seen = readyz(port)).code === 503, 120_000);
    assert.equal(seen!.body?.status, 'not ready');
    assert.equal(seen!.body?.checks.postgres?.ok, false);
    assert.match(seen!.body?.checks.postgres?.detail ?? '', /not currently accepting connections|terminat|ECONN|no answer within/);
    for (const k of ['listeners', 'database', 'spool', 'pool', 'disk']) assert.equal(seen!.body?.checks[k]?.ok, true, `${k} is still fine`);
    const status = a.cli(['status']);
    assert.match(status.stdout, /ready: +NO \(postgres: /);
    assert.match(status.stdout, /^database: +postgresql 127\.0\.0\.1:\d+\/tegami_serve_readyz: NOT ANSWERING \(.+; gave up after [\d.]+ ms\)$/m);
    assert.equal(status.status, 1, 'a database that does not answer is exit 1');

    await giveBack();
    await until('ready again, no restart', () => readyz(port).code === 200, 120_000);
    const back = a.cli(['status']);
    assert.equal(back.status, 0, back.stdout + back.stderr);
    assert.match(back.stdout, /^database: +postgresql \S+: answered in /m);

    // no server: the command asks the database itself
    await a.stop();
    const stopped = a.cli(['status']);
    assert.equal(stopped.status, 1);
    assert.match(stopped.stderr, /tegami is not running[^]*\ntegami status: database postgresql 127\.0\.0\.1:\d+\/tegami_serve_readyz: answered in /);
  });
});
