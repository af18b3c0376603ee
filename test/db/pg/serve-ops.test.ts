// The operations surface of `tegami serve` on [storage] backend = "postgres" tells the truth about every node:
// node A's /metrics (curl) counts mail node B queued (the shared rows, not A's spool); held mail past
// hold_lifetime expires once although both nodes sweep; `tegami user show|list --json` under node A's config
// counts mail delivered through node B (the shared store's usage); `tegami rule add` asks the shared store
// whether a folder made over IMAP on B exists; a deleted account's mail is listed by `tegami user orphans` and
// removed with --yes, its body freed; and a node started while the database is down waits for it (logged),
// then serves, while the running nodes log that the shared connection counts are back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { postgresUnavailable, startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { requireCommand, run, startTestServer, type TestServer } from '../../helpers/server.js';
import { send, until } from './shared-mail.js';
import { copyKeys } from './pg-node.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();
const BOSS = 'boss@example.test';
const PW = 'boss password 1';

const nodeToml = (url: string, node: string) =>
  [
    '[storage]',
    'backend = "postgres"',
    `url = ${JSON.stringify(url)}`,
    'tls = "disable"',
    'pool_size = 3',
    `node_name = "${node}"`,
    '[relay]',
    'mode = "addresses"',
    'allow_ips = ["127.0.0.1/32"]',
    '[queue]',
    'retry_schedule = ["1h"]',
    // held mail expires after 5 s (both nodes sweep every second)
    'hold_lifetime = "5s"',
    '[[route]]',
    'domain = "branch.test"',
    'to = "127.0.0.1:9"',
    'hold = true',
    '[[route]]',
    'domain = "dead.test"',
    'to = "127.0.0.1:9"',
  ].join('\n');

function logsOf(dataDir: string): string {
  const dir = path.join(dataDir, 'logs');
  if (!fs.existsSync(dir)) return '';
  return fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
}

/** One IMAP CREATE with Python's imaplib. */
const CREATE = `
import imaplib, sys
host, port, user, pw, folder = sys.argv[1:6]
i = imaplib.IMAP4(host, int(port), timeout=30)
i.login(user, pw)
typ, _ = i.create(folder)
print(typ)
i.logout()
`;

describe('tegami serve on PostgreSQL: metrics, held-mail expiry, the CLI and a start without the database', { skip: skip ?? false, timeout: 240_000 }, () => {
  let cluster: PgCluster;
  let a: TestServer;
  let b: TestServer;
  let c: TestServer | undefined;
  let db: pg.Pool;
  let dirB = '';
  let dirC = '';

  before(async () => {
    cluster = await startPostgres('tegami_serve_ops');
    a = await startTestServer({ listeners: ['smtp', 'metrics'], hostname: 'a.example.test', toml: nodeToml(cluster.url, 'node-a'), users: [{ address: BOSS, password: PW }] });
    // node B holds node A's keys, as every node of one database must (docs/scale-out.md, "Adding a node")
    dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgops-b-'));
    copyKeys(a.dataDir, path.join(dirB, 'data'));
    b = await startTestServer({ dataDir: path.join(dirB, 'data'), listeners: ['smtp', 'imap'], hostname: 'b.example.test', toml: nodeToml(cluster.url, 'node-b') });
    // a pool: its connections are cut when the cluster is halted in the last test, and come back after
    db = new pg.Pool({ connectionString: cluster.url, max: 2 });
    db.on('error', () => undefined);
  });
  after(async () => {
    await db?.end().catch(() => undefined);
    await c?.stop();
    await a?.stop();
    await b?.stop();
    await cluster?.stop();
    if (dirC) fs.rmSync(dirC, { recursive: true, force: true });
    if (dirB) fs.rmSync(dirB, { recursive: true, force: true });
  });

  async function queuedId(address: string): Promise<string> {
    let id = '';
    await until(`${address} in the shared queue`, async () => {
      const q = await db.query<{ message_id: string }>('SELECT message_id FROM queue_recipients WHERE address = $1', [address]);
      id = q.rows[0]?.message_id ?? '';
      return id !== '';
    });
    return id;
  }

  it("node A's /metrics counts mail node B queued (the shared rows), and its own spool apart", async (t) => {
    if (!requireCommand(t, 'python3') || !requireCommand(t, 'curl')) return;
    const r = await send(b, 'someone@dead.test', 'ops-metrics-1');
    assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
    await queuedId('someone@dead.test');
    let text = '';
    await until("the message in node A's tegami_queue_messages", async () => {
      text = (await run('curl', ['-s', `http://127.0.0.1:${a.ports.metrics}/metrics`])).stdout;
      const sum = [...text.matchAll(/^tegami_queue_messages\{state="[a-z]+"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      return sum >= 1;
    }, 30_000).catch((e: Error) => assert.fail(`${e.message}:\n${text.split('\n').filter((l) => l.startsWith('tegami_queue')).join('\n')}`));
    assert.match(text, /^tegami_queue_local_messages \d+$/m, "this node's spool is shown apart");
    assert.match(text, /^tegami_queue_oldest_age_seconds \d+/m);
  });

  it('held mail past hold_lifetime is bounced once, although both nodes sweep the shared rows', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const r = await send(b, 'held@branch.test', 'ops-held-1');
    assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
    const id = await queuedId('held@branch.test');
    await until('the held message expired and removed', async () => (await db.query('SELECT 1 FROM queue_envelopes WHERE id = $1', [id])).rowCount === 0, 120_000);
    const dsn = async () => (await db.query("SELECT e.id FROM queue_envelopes e JOIN queue_recipients r ON r.message_id = e.id WHERE r.address = 'sender@example.net' AND e.sender = ''")).rows;
    await until("the sender's notice in the shared queue", async () => (await dsn()).length >= 1, 120_000);
    // two more sweeps of each node (every second): nothing expires twice
    await new Promise((res) => setTimeout(res, 2500));
    assert.equal((await dsn()).length, 1, 'one notice');
    const lines = (logsOf(a.dataDir) + logsOf(b.dataDir)).split('\n').filter((l) => l.includes('expired-held') && l.includes(id));
    assert.equal(lines.length, 1, `one expiry over both nodes: ${lines.join('\n')}`);
    assert.match(lines[0], /4\.4\.7/);
  });

  it("`tegami user show|list --json` under node A's config counts mail delivered through node B", async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const r = await send(b, BOSS, 'ops-usage-1');
    assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
    let last = '';
    await until("the message in the CLI's usage", () => {
      const s = a.cli(['user', 'show', BOSS, '--json']);
      last = s.stdout + s.stderr;
      return s.status === 0 && (JSON.parse(s.stdout) as { usage: { messages: number } }).usage.messages >= 1;
    }, 30_000).catch((e: Error) => assert.fail(`${e.message}: ${last}`));
    const l = a.cli(['user', 'list', '--json']);
    assert.equal(l.status, 0, l.stderr);
    const boss = (JSON.parse(l.stdout) as { address: string; usage: { messages: number; bytes: number } }[]).find((u) => u.address === BOSS);
    assert.ok(boss && boss.usage.messages >= 1 && boss.usage.bytes > 0, l.stdout);
  });

  it('`tegami rule add` on node A sees a folder made over IMAP on node B (the shared store)', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const before = a.cli(['rule', 'add', BOSS, '--if', 'subject contains 請求書', '--move', '請求書フォルダ']);
    assert.equal(before.status, 0, before.stderr);
    assert.match(before.stdout, /has no folder "請求書フォルダ" yet/);
    const made = await run('python3', ['-c', CREATE, b.host, String(b.ports.imap), BOSS, PW, 'Invoices']);
    assert.match(made.stdout, /^OK/m, made.stderr);
    const after = a.cli(['rule', 'add', BOSS, '--if', 'subject contains invoice', '--move', 'Invoices']);
    assert.equal(after.status, 0, after.stderr);
    assert.doesNotMatch(after.stdout, /has no folder/, 'the folder exists in the shared store');
  });

  it("`tegami user orphans` lists a deleted account's mail in the shared store, and --remove --yes deletes it and frees its body", async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const GONE = 'gone@example.test';
    const add = a.cli(['user', 'add', GONE, '--password-stdin'], 'gone password 1\n');
    assert.equal(add.status, 0, add.stderr);
    await until('node B knows the new account', async () => (await send(b, GONE, 'ops-orphan-probe', 'probe')).rcpt === 250, 120_000);
    const r = await send(b, GONE, 'ops-orphan-1 孤児');
    assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
    let hash: Buffer | null = null;
    await until('the message stored', async () => {
      const q = await db.query<{ blob_hash: Buffer }>('SELECT blob_hash FROM mail_messages WHERE owner = $1', [GONE]);
      hash = q.rows[0]?.blob_hash ?? null;
      return hash !== null;
    }, 30_000);
    const del = a.cli(['user', 'del', GONE]);
    assert.equal(del.status, 0, del.stderr);
    const list = a.cli(['user', 'orphans', '--json']);
    assert.equal(list.status, 0, list.stderr);
    const o = (JSON.parse(list.stdout) as { id: string; address: string; messages: number; bytes: number; store: string }[]).find((x) => x.address === GONE);
    assert.ok(o, `listed: ${list.stdout}`);
    assert.equal(o.store, 'shared');
    assert.equal(o.messages, 1);
    assert.ok(o.bytes > 0);
    // without --yes nothing goes
    const refused = a.cli(['user', 'orphans', '--remove', o.id]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /add --yes/);
    assert.equal((await db.query('SELECT 1 FROM mail_messages WHERE owner LIKE $1', [`orphan/${o.id}/%`])).rowCount, 1);
    const removed = a.cli(['user', 'orphans', '--remove', o.id, '--yes']);
    assert.equal(removed.status, 0, removed.stderr);
    assert.match(removed.stdout, /1 message\(s\), 1 body freed/);
    assert.equal((await db.query("SELECT 1 FROM mail_accounts WHERE owner LIKE 'orphan/%'")).rowCount, 0);
    assert.equal((await db.query('SELECT 1 FROM mail_blobs WHERE hash = $1', [hash])).rowCount, 0, 'the body no message names is gone');
    const text = a.cli(['user', 'orphans']);
    assert.equal(text.status, 0, text.stderr);
    assert.ok(!text.stdout.includes(o.id), text.stdout);
  });

  it('a node started while the database is down waits for it and then serves; the running nodes say the shared counts are back', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const inbox = async () => (await db.query("SELECT 1 FROM mail_messages m JOIN mail_mailboxes x ON x.id = m.mailbox_id WHERE m.owner = $1 AND x.name = 'INBOX'", [BOSS])).rowCount ?? 0;
    const had = await inbox();
    await cluster.halt();
    dirC = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgops-c-'));
    const dataC = path.join(dirC, 'data');
    copyKeys(a.dataDir, dataC);
    const starting = startTestServer({ dataDir: dataC, listeners: ['smtp'], hostname: 'c.example.test', toml: nodeToml(cluster.url, 'node-c') });
    let failed: Error | null = null;
    starting.catch((e: Error) => (failed = e));
    try {
      await until('node C logs that it waits for the database', () => {
        if (failed) throw failed;
        return /storage-waiting/.test(logsOf(dataC));
      }, 60_000);
      // and long enough for node A's next sync of the connection counts (every 2 s) to meet the database away:
      // a halt shorter than that leaves A nothing to say "back" about (an idle machine resumed it in time)
      await until("node A's log says the shared connection counts are unavailable", () => /conn-counts-shared-unavailable/.test(logsOf(a.dataDir)), 120_000);
    } finally {
      await cluster.resume();
    }
    c = await starting;
    assert.match(logsOf(dataC), /storage-waiting .*attempt=1/);
    const r = await send(c, BOSS, 'ops-late-start-1');
    assert.deepEqual([r.rcpt, r.data], [250, 250], r.msg);
    await until('mail through node C stored in the shared store', async () => (await inbox()) > had, 120_000);
    await until("node A's log says the shared connection counts are back", () => /conn-counts-shared-available/.test(logsOf(a.dataDir)), 120_000);
    assert.match(logsOf(a.dataDir), /conn-counts-shared-unavailable/);
  });
});
