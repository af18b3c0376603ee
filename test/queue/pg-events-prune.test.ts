// The prune of the shared queue's queue_events by age ([queue] events_retention, engine/queue/pg-events-prune.ts)
// on a private cluster, with explicit times (no wall clock in the decisions): rows past the retention go, younger
// ones stay; the cluster prunes once per period whichever node asks (cluster_jobs, migration 23), a node that
// asks while another holds the job's lock skips; and a queue that starts prunes at once (the wiring).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freshDatabase, postgresUnavailable } from '../helpers/postgres.js';
import { migrate } from '../../engine/db/pg/migrations.js';
import { Logger } from '../../engine/log/logger.js';
import { parseConfigText } from '../../engine/config/load.js';
import { openPgQueue } from '../../engine/queue/pg-queue.js';
import { EVENTS_PRUNE_JOB, PRUNE_PERIOD_MS, pruneQueueEvents } from '../../engine/queue/pg-events-prune.js';

const skip = postgresUnavailable();
const DAY = 86_400_000;
const KEEP = 30 * DAY;

describe('queue_events pruned by age, once per cluster', { skip: skip ?? false, timeout: 180_000 }, () => {
  let pool: pg.Pool;
  let other: pg.Pool;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pg-events-prune-'));

  const addEvent = (at: number, address: string) =>
    pool.query("INSERT INTO queue_events (at, kind, node, message_id, address) VALUES ($1, 'lease-takeover', 'node-b', 'Q1', $2)", [at, address]);
  const left = async () => (await pool.query<{ address: string }>('SELECT address FROM queue_events ORDER BY address')).rows.map((r) => r.address);

  before(async () => {
    const url = await freshDatabase();
    pool = new pg.Pool({ connectionString: url, max: 4 });
    other = new pg.Pool({ connectionString: url, max: 2 }); // a second node
    await migrate(pool);
  });
  after(async () => {
    await pool?.end();
    await other?.end();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('rows older than the retention go, the rest stay; the next period prunes again', async () => {
    await pool.query('DELETE FROM queue_events; DELETE FROM cluster_jobs');
    const now = Date.UTC(2026, 11, 6, 3, 0, 0);
    await addEvent(now - KEEP - 1, 'old@remote.test');
    await addEvent(now - KEEP + 60_000, 'edge@remote.test');
    await addEvent(now - DAY, 'young@remote.test');
    assert.deepEqual(await pruneQueueEvents(pool, { now, keepMs: KEEP, node: 'node-a' }), { ran: true, deleted: 1 });
    assert.deepEqual(await left(), ['edge@remote.test', 'young@remote.test']);
    const job = (await pool.query('SELECT last_run, node FROM cluster_jobs WHERE name = $1', [EVENTS_PRUNE_JOB])).rows[0];
    assert.deepEqual({ last_run: Number(job.last_run), node: job.node }, { last_run: now, node: 'node-a' });

    // node B asks ten minutes later: the cluster did it this period
    assert.deepEqual(await pruneQueueEvents(other, { now: now + 600_000, keepMs: KEEP, node: 'node-b' }), { ran: false, reason: 'recent', lastRun: now });
    // a period later, the edge row is past the retention too
    const later = now + PRUNE_PERIOD_MS;
    assert.deepEqual(await pruneQueueEvents(other, { now: later, keepMs: KEEP, node: 'node-b' }), { ran: true, deleted: 1 });
    assert.deepEqual(await left(), ['young@remote.test']);
    // a clock set back (a last run in the future) does not stop the prune for good
    assert.equal((await pruneQueueEvents(pool, { now: now - DAY, keepMs: KEEP, node: 'node-a' })).ran, true);
  });

  test('two nodes asking at once: one prunes, the other skips; a node asking while the job is locked skips', async () => {
    await pool.query('DELETE FROM queue_events; DELETE FROM cluster_jobs');
    const now = Date.UTC(2026, 11, 7, 3, 0, 0);
    for (let i = 0; i < 5; i++) await addEvent(now - KEEP - DAY - i, `old${i}@remote.test`);
    const both = await Promise.all([pruneQueueEvents(pool, { now, keepMs: KEEP, node: 'node-a' }), pruneQueueEvents(other, { now, keepMs: KEEP, node: 'node-b' })]);
    assert.equal(both.filter((r) => r.ran).length, 1, JSON.stringify(both));
    assert.equal(both.reduce((n, r) => n + (r.ran ? r.deleted : 0), 0), 5);

    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tegami:${EVENTS_PRUNE_JOB}`]);
      assert.deepEqual(await pruneQueueEvents(other, { now: now + DAY, keepMs: KEEP, node: 'node-b' }), { ran: false, reason: 'busy' });
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
  });

  test('a queue that starts prunes with [queue] events_retention', async () => {
    await pool.query('DELETE FROM queue_events; DELETE FROM cluster_jobs');
    const config = parseConfigText(['hostname = "mx.example.test"', `data_dir = "${tmp}"`, '[queue]', 'events_retention = "7d"'].join('\n'), path.join(tmp, 'tegami.toml'));
    assert.equal(config.queue.events_retention, 7 * DAY);
    await addEvent(Date.now() - 8 * DAY, 'week-old@remote.test');
    await addEvent(Date.now() - 6 * DAY, 'recent@remote.test');
    const logger = new Logger({ stdout: false, files: false, sink: null });
    const lines: string[] = [];
    logger.on((_s, event, fields) => lines.push(`${event} ${JSON.stringify(fields)}`));
    const q = await openPgQueue(pool, {
      nodeName: 'node-a',
      leaseTime: 1000,
      config,
      logger,
      deliver: () => Promise.reject(new Error('no deliver given')),
      workDir: path.join(tmp, 'work'),
      isLocal: () => false,
      injectLocal: () => Promise.reject(new Error('no injectLocal given')),
    });
    try {
      await q.start();
      const deadline = Date.now() + 120_000;
      while ((await left()).length !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await left(), ['recent@remote.test']);
      while (!lines.some((l) => l.startsWith('pg-events-pruned')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(lines.some((l) => l.startsWith('pg-events-pruned {"deleted":1,"older_than_days":7}')), lines.join('\n'));
    } finally {
      await q.stop(2000);
    }
  });
});
