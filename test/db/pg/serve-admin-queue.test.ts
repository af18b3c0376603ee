// The admin API's queue on [storage] backend = "postgres" (engine/server.ts gives the admin pages PgQueueAdmin):
// mail node B queued for a spooler route ([[route]] hold = true, its host away) is listed by node A's
// /api/v1/queue with curl and an API token, shown, and deleted there from the shared rows, which node B then
// no longer holds. On a node's own spool the API saw none of it (the mail is not in A's spool). A DKIM key made
// with node B's CLI is shown by node A's domain DNS API (dkim_keys rows, engine/outbound/dkim-keys.ts), and mail
// node B delivered counts in node A's user API usage (the shared store's figure).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { postgresUnavailable } from '../../helpers/postgres.js';
import { requireCommand, run, type TestServer } from '../../helpers/server.js';
import { pgNodes } from './pg-node.js';
import { send, until } from './shared-mail.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();
const BOSS = 'boss@example.test';

/** Everything but [storage]: relaying for loopback, a fast retry, branch.test a spooler route whose host is away. */
const queueToml = ['[relay]', 'mode = "addresses"', 'allow_ips = ["127.0.0.1/32"]', '[queue]', 'retry_schedule = ["1s"]', '[[route]]', 'domain = "branch.test"', 'to = "127.0.0.1:9"', 'hold = true'].join('\n');

describe('admin API queue on PostgreSQL: the shared rows', { skip: skip ?? false, timeout: 180_000 }, () => {
  const fx = pgNodes('tegami_serve_admin_queue');
  let a: TestServer;
  let b: TestServer;
  let db: pg.Client;
  let token = '';

  async function api(method: string, url: string): Promise<{ status: number; json: any }> {
    const r = await run('curl', ['-sk', '-X', method, '-H', `Authorization: Bearer ${token}`, '-w', '\n%{http_code}', `https://127.0.0.1:${a.ports.admin}${url}`]);
    const nl = r.stdout.lastIndexOf('\n');
    let json: unknown = null;
    try {
      json = JSON.parse(r.stdout.slice(0, nl));
    } catch {
      /* not JSON */
    }
    return { status: Number(r.stdout.slice(nl + 1)), json };
  }

  before(async () => {
    // node B holds the same sealing key as node A (docs/scale-out.md, "Keys")
    const storage = { pool_size: 3 };
    a = await fx.node({ name: 'node-a', storage, sharedKey: true, listeners: ['admin'], hostname: 'a.example.test', toml: queueToml, users: [{ address: BOSS, password: 'boss password 1', admin: true }] });
    b = await fx.node({ name: 'node-b', storage, sharedKey: true, listeners: ['smtp'], hostname: 'b.example.test', toml: queueToml });
    const t = a.cli(['admin', 'token', 'create', BOSS]);
    assert.equal(t.status, 0, t.stderr);
    token = t.stdout.trim();
    db = await fx.client();
  });

  it('node A lists, shows and deletes what node B queued', async (t) => {
    if (!requireCommand(t, 'python3') || !requireCommand(t, 'curl')) return;
    const r = await send(b, 'boss@branch.test', 'admin-q-1');
    assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
    let id = '';
    await until('the recipient in the shared queue', async () => {
      const q = await db.query<{ message_id: string }>("SELECT message_id FROM queue_recipients WHERE address = 'boss@branch.test'");
      id = q.rows[0]?.message_id ?? '';
      return id !== '';
    });
    const list = await api('GET', '/api/v1/queue?domain=branch.test');
    assert.equal(list.status, 200);
    const entry = (list.json.messages as { id: string; state: string; recipients: { address: string }[] }[]).find((m) => m.id === id);
    assert.ok(entry, `node A's API lists the message node B queued: ${JSON.stringify(list.json)}`);
    assert.equal(entry.state, 'hold', 'a spooler route waiting for its host');
    assert.deepEqual(entry.recipients.map((x) => x.address), ['boss@branch.test']);
    const shown = await api('GET', `/api/v1/queue/${id}`);
    assert.equal(shown.status, 200);
    assert.match(JSON.stringify(shown.json), /admin-q-1/, 'the headers come from the shared body');
    const del = await api('POST', `/api/v1/queue/${id}/delete`);
    assert.equal(del.status, 200, JSON.stringify(del.json));
    assert.equal((await db.query('SELECT 1 FROM queue_recipients WHERE message_id = $1 AND state IN ($2, $3)', [id, 'pending', 'deferred'])).rowCount, 0, 'no open recipient left in PostgreSQL');
    assert.equal((await api('GET', `/api/v1/queue/${id}`)).status, 404);
  });

  it("node A's user API counts mail node B delivered into the shared store (not A's own Maildir)", async (t) => {
    if (!requireCommand(t, 'python3') || !requireCommand(t, 'curl')) return;
    const r = await send(b, BOSS, 'admin-usage-1');
    assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
    let last: unknown = null;
    await until("the message in node A's usage figure", async () => {
      const u = await api('GET', `/api/v1/users/${BOSS}`);
      last = u;
      return u.status === 200 && (u.json?.usage?.messages ?? 0) >= 1 && u.json.usage.bytes > 0;
    }, 30_000).catch((e: Error) => assert.fail(`${e.message}: ${JSON.stringify(last)}`));
  });

  it("node A's admin API shows the DKIM record of a key made with node B's CLI (a sealed row, not a file on B)", async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const r = b.cli(['dkim', 'keygen', 'example.test', '--selector', 'fromb', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rec = JSON.parse(r.stdout) as { name: string; value: string };
    let last: unknown = null;
    await until("the key in node A's copy", async () => {
      const dns = await api('GET', '/api/v1/domains/example.test/dns?check=false');
      last = dns;
      return (dns.json?.records as { kind: string; name: string; value: string }[] | undefined)?.some((x) => x.kind === 'DKIM' && x.name === rec.name && x.value === rec.value) ?? false;
    }, 30_000).catch((e: Error) => assert.fail(`${e.message}: ${JSON.stringify(last)}`));
  });
});
