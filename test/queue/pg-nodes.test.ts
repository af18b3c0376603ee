// Several queue nodes sharing one queue on PostgreSQL, each its own process (test/queue/pg-node.ts) with the
// real delivery worker, delivering to a sink MTA on loopback (pg-sink.ts): nodes deliver disjoint recipients
// and the per-destination cap holds across them; a node SIGKILLed mid-delivery has its leased recipients
// delivered by the others after its lease expires (duplicates only where a lease was taken over, and counted);
// with the database away, enqueue answers 451 4.3.0 and the running nodes resume on their own when it is back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freshDatabase, postgresUnavailable } from '../helpers/postgres.js';
import { Logger } from '../../engine/log/logger.js';
import { parseConfigText } from '../../engine/config/load.js';
import { newQueueId, type Envelope } from '../../engine/spool/envelope.js';
import { openPgQueue, type PgQueue } from '../../engine/queue/pg-queue.js';
import { startQueueSink, type QueueSink } from './pg-sink.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const skip = postgresUnavailable();
const LEASE_MS = 2000;
const CAP = 2;

interface Node {
  name: string;
  proc: ChildProcess;
  pid: number;
  out: string[];
  /** What it wrote to stderr (shown when it died unexpectedly). */
  err(): string;
  alive(): boolean;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgnodes-'));
const nodes: Node[] = [];

function configText(name: string, sinkPort: number, dataDir: string): string {
  return [
    `hostname = "${name}.test"`,
    `data_dir = "${dataDir}"`,
    '[queue]',
    `per_destination = ${CAP}`,
    'retry_schedule = ["1s"]',
    '[outbound]',
    `port = ${sinkPort}`,
    'connect_timeout = "15s"',
    'idle_reuse = "0s"',
    '[[route]]',
    'domain = "capped.test"',
    `to = "127.0.0.1:${sinkPort}"`,
    '[[route]]',
    'domain = "other.test"',
    `to = "127.0.0.1:${sinkPort}"`,
  ].join('\n');
}

async function startNode(name: string, url: string, sink: QueueSink): Promise<Node> {
  const dataDir = path.join(tmp, name);
  fs.mkdirSync(dataDir, { recursive: true });
  const configPath = path.join(dataDir, 'tegami.toml');
  fs.writeFileSync(configPath, configText(name, sink.port, dataDir));
  const args = JSON.stringify({ url, nodeName: name, leaseMs: LEASE_MS, configPath, dataDir, pollMs: 500 });
  const proc = spawn(process.execPath, [path.join(here, 'pg-node.js'), args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const node: Node = { name, proc, pid: proc.pid!, out, err: () => err, alive: () => proc.exitCode === null && proc.signalCode === null };
  nodes.push(node);
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        out.push(line);
        if (line === 'ready') resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`node ${name} exited (${code}) before ready: ${err}`)));
  });
  return node;
}

async function stopNode(n: Node): Promise<void> {
  if (!n.alive()) return;
  const gone = new Promise((r) => n.proc.once('exit', r));
  process.kill(n.pid, 'SIGTERM');
  await gone;
}

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 120_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const logger = new Logger({ stdout: false, files: false, sink: null });

/** The node that accepted the mail (never started: it only enqueues, as an SMTP session's 250 path does). */
async function submitter(pool: pg.Pool): Promise<PgQueue> {
  const config = parseConfigText(configText('mx0', 25, tmp), path.join(tmp, 'mx0.toml'));
  return openPgQueue(pool, { nodeName: 'mx0', leaseTime: LEASE_MS, config, logger, deliver: () => Promise.reject(new Error('not delivering')), workDir: path.join(tmp, 'mx0'), isLocal: () => false, injectLocal: async () => undefined });
}

function envelope(to: string): Envelope {
  return { id: newQueueId(), time: Date.now(), mailFrom: 'sender@origin.test', rcptTo: [{ address: to, kind: 'remote' }], body8bit: true, client: { ip: '127.0.0.1', helo: 'client.test', protocol: 'ESMTP', listener: 'smtp' } };
}

async function send(q: PgQueue, testId: string, to: string): Promise<void> {
  const env = envelope(to);
  const body = Buffer.from(`X-Test-Id: ${testId}\r\nFrom: <sender@origin.test>\r\nTo: <${to}>\r\nSubject: ${testId}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n共有キューのテスト ${testId}\r\n`, 'utf8');
  const r = await q.enqueue(env, body, [{ address: to, rcpt: to }]);
  assert.equal(r.kind, 'queued', `enqueue ${testId}`);
}

/** Each message delivered at least once; any delivered twice was claimed again after a lease ended without an outcome. */
async function checkDelivered(pool: pg.Pool, sink: QueueSink, ids: string[]): Promise<{ duplicates: string[]; takeovers: number }> {
  const count = new Map<string, number>();
  for (const a of sink.accepted) count.set(a.testId, (count.get(a.testId) ?? 0) + 1);
  for (const id of ids) assert.ok((count.get(id) ?? 0) >= 1, `${id} delivered`);
  const ev = await pool.query<{ message_id: string; address: string }>(`SELECT message_id, address FROM queue_events WHERE kind IN ('lease-takeover', 'lease-reclaimed')`);
  const taken = new Set(ev.rows.map((r) => r.address));
  const duplicates = [...count].filter(([, n]) => n > 1).map(([id]) => id);
  for (const id of duplicates) {
    const rcpt = sink.accepted.find((a) => a.testId === id)!.rcpt[0];
    assert.ok(taken.has(rcpt), `${id} was delivered twice without a counted takeover`);
    assert.equal(count.get(id), 2, `${id} delivered at most twice (one crash)`);
  }
  return { duplicates, takeovers: ev.rowCount ?? 0 };
}

describe('queue nodes sharing one PostgreSQL', { skip: skip ?? false, timeout: 300_000 }, () => {
  let sink: QueueSink;
  before(async () => {
    sink = await startQueueSink();
  });
  after(async () => {
    for (const n of nodes) await stopNode(n).catch(() => undefined);
    await sink?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('three nodes deliver disjoint recipients, never more than the cap to one destination at once', async () => {
    const url = await freshDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    sink.accepted.length = 0;
    sink.maxConcurrent.clear();
    // every DATA is answered after 300 ms, so transactions overlap and the cap has something to hold back
    sink.decide = () => new Promise((r) => setTimeout(() => r('accept'), 300));
    try {
      const q = await submitter(pool);
      const ids: string[] = [];
      for (let i = 0; i < 24; i++) {
        const id = `cap${i}`;
        ids.push(id);
        await send(q, id, `user${i}@${i % 4 === 3 ? 'other' : 'capped'}.test`);
      }
      const started = await Promise.all(['n1', 'n2', 'n3'].map((n) => startNode(`${n}-cap`, url, sink)));
      await until('all delivered', () => sink.accepted.length >= ids.length);
      await until('the queue emptied', async () => Number((await pool.query('SELECT count(*) AS n FROM queue_envelopes')).rows[0].n) === 0);
      const { duplicates } = await checkDelivered(pool, sink, ids);
      assert.deepEqual(duplicates, [], 'no node died: nothing delivered twice');
      assert.equal(sink.accepted.length, ids.length);
      const byNode = new Set(sink.accepted.map((a) => a.node));
      assert.ok(byNode.size >= 2, `more than one node delivered (${[...byNode].join(', ')})`);
      assert.ok((sink.maxConcurrent.get('capped.test') ?? 0) <= CAP, `at most ${CAP} transactions to capped.test at once (saw ${sink.maxConcurrent.get('capped.test')})`);
      assert.equal(sink.maxConcurrent.get('capped.test'), CAP, 'the cap was reached (the nodes did work in parallel)');
      for (const n of started) await stopNode(n);
    } finally {
      await pool.end();
    }
  });

  test('a node SIGKILLed mid-delivery: its leased recipients go out through the others after the lease expires', async () => {
    const url = await freshDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    sink.accepted.length = 0;
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      const q = await submitter(pool);
      const ids = Array.from({ length: 8 }, (_, i) => `kill${i}`);
      for (const [i, id] of ids.entries()) await send(q, id, `rcpt${i}@capped.test`);
      // the outcome rows are locked, so the victim cannot record what the sink accepted: it dies in that window
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM queue_envelopes FOR UPDATE');
      let held: (() => void) | undefined;
      let seen = 0;
      // the victim's first DATA gets 250 at once (the duplicate window); its second is held unanswered (mid-SMTP)
      sink.decide = (node) => {
        if (node !== 'victim.test') return 'accept';
        if (++seen === 1) return 'accept';
        return new Promise((r) => (held = () => r('accept')));
      };
      const victim = await startNode('victim', url, sink);
      await until('the victim has one message accepted and one in DATA', () => sink.accepted.length === 1 && held);
      const leased = await pool.query<{ address: string }>(`SELECT address FROM queue_recipients WHERE owner = 'victim'`);
      assert.equal(leased.rowCount, CAP, 'the victim holds a lease per session it opened');
      const gone = new Promise((r) => victim.proc.once('exit', r));
      process.kill(victim.pid, 'SIGKILL');
      await gone;
      await until('the sink saw the connection close', () => sink.open === 0);
      held!(); // the remote side answers a dead connection: the sink counts nothing for it
      await locker.query('ROLLBACK');

      const others = await Promise.all([startNode('n1-kill', url, sink), startNode('n2-kill', url, sink)]);
      await until('the queue emptied', async () => Number((await pool.query('SELECT count(*) AS n FROM queue_envelopes')).rows[0].n) === 0);
      const { duplicates, takeovers } = await checkDelivered(pool, sink, ids);
      assert.equal(takeovers, CAP, 'both of the victim’s leases were taken over after expiry, and counted');
      assert.equal(duplicates.length, 1, 'exactly the message accepted before the victim could record it went twice');
      assert.ok(sink.accepted.filter((a) => a.node !== 'victim.test').length >= ids.length - 1, 'the others delivered the rest');
      for (const n of others) await stopNode(n);
    } finally {
      await locker.end().catch(() => undefined);
      await pool.end();
    }
  });

  test('the database away: enqueue answers 451 4.3.0, nothing claimed is lost, the nodes resume without a restart', async () => {
    const url = await freshDatabase();
    const dbName = new URL(url).pathname.slice(1);
    const adminUrl = new URL(url);
    adminUrl.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 3000 });
    pool.on('error', () => undefined);
    sink.accepted.length = 0;
    sink.decide = () => new Promise((r) => setTimeout(() => r('accept'), 500));
    try {
      const q = await submitter(pool);
      const ids = Array.from({ length: 6 }, (_, i) => `down${i}`);
      for (const [i, id] of ids.entries()) await send(q, id, `rcpt${i}@capped.test`);
      const started = await Promise.all([startNode('n1-down', url, sink), startNode('n2-down', url, sink)]);
      await until('a delivery under way', async () => Number((await pool.query('SELECT count(*) AS n FROM queue_recipients WHERE owner IS NOT NULL')).rows[0].n) > 0, 120_000);

      await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [dbName]);
      const refused = await q.enqueue(envelope('late@capped.test'), Buffer.from('X-Test-Id: refused\r\n\r\nx\r\n'), [{ address: 'late@capped.test', rcpt: 'late@capped.test' }]);
      assert.deepEqual({ kind: refused.kind, code: 'code' in refused ? refused.code : 0, status: 'status' in refused ? refused.status : '' }, { kind: 'tempfail', code: 451, status: '4.3.0' });
      assert.equal(q.databaseUp(), false, 'what the SMTP layer checks to answer 451 4.3.0 before DATA');
      // longer than a lease: the nodes' records and renewals fail meanwhile
      await new Promise((r) => setTimeout(r, LEASE_MS * 2));
      await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);

      ids.push('after');
      await send(q, 'after', 'after@capped.test');
      assert.equal(q.databaseUp(), true);
      await until('the queue emptied', async () => Number((await pool.query('SELECT count(*) AS n FROM queue_envelopes')).rows[0].n) === 0, 120_000);
      await checkDelivered(pool, sink, ids);
      assert.ok(!sink.accepted.some((a) => a.testId === 'refused'), 'the refused message was never queued');
      for (const n of started) assert.ok(n.alive(), `${n.name} kept running through the outage (exit ${n.proc.exitCode}): ${n.err().slice(-2000)}`);
      for (const n of started) await stopNode(n);
    } finally {
      await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.end();
      await pool.end();
    }
  });
});
