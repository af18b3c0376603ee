// The bridge from a node's local queue into the shared queue (engine/queue/pg-remote.ts), on a real spool
// and a private PostgreSQL: remote recipients are copied into PostgreSQL and only then dropped from the
// local state (the spool file goes when nothing local is left); with the database refusing, the local spool
// keeps everything; a hand-over repeated after a crash queues nothing twice, even once the first copy was delivered.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freshDatabase, postgresUnavailable } from '../helpers/postgres.js';
import { Logger } from '../../engine/log/logger.js';
import { parseConfigText } from '../../engine/config/load.js';
import { Spool } from '../../engine/spool/spool.js';
import { newQueueId, type Envelope } from '../../engine/spool/envelope.js';
import { originate } from '../../engine/queue/notices.js';
import { readState, writeState, type QueueState } from '../../engine/queue/state.js';
import { openPgQueue, type PgQueue } from '../../engine/queue/pg-queue.js';
import { PgRemoteScheduler } from '../../engine/queue/pg-remote.js';
import type { Queue } from '../../engine/queue/queue.js';

const skip = postgresUnavailable();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgremote-'));
const config = parseConfigText(['hostname = "mx.example.test"', `data_dir = "${tmp}"`].join('\n'), path.join(tmp, 'tegami.toml'));
const logger = new Logger({ stdout: false, files: false, sink: null });
const BODY = Buffer.from('Subject: =?UTF-8?B?44GT44KT44Gr44Gh44Gv?=\r\n\r\nこんにちは\r\n', 'utf8');

describe('local queue → shared queue hand-over', { skip: skip ?? false, timeout: 120_000 }, () => {
  let pool: pg.Pool;
  let shared: PgQueue;
  let bridge: PgRemoteScheduler;
  const spool = new Spool(path.join(tmp, 'spool'));
  const removed: string[] = [];
  // the local queue's side the bridge uses: its real spool, and removal as Queue.removeQueued does it
  const queue = { spool, removeQueued: async (id: string) => void (await spool.remove(id), removed.push(id)), inject: async () => undefined } as unknown as Queue;

  before(async () => {
    pool = new pg.Pool({ connectionString: await freshDatabase(), max: 4 });
    shared = await openPgQueue(pool, { nodeName: 'n1', leaseTime: 60_000, config, logger, deliver: () => Promise.reject(new Error('not delivering')), workDir: path.join(tmp, 'work'), isLocal: (a) => a.endsWith('@local.test'), injectLocal: async () => undefined });
    bridge = new PgRemoteScheduler({ queue, shared, config, logger, isLocal: (a) => a.endsWith('@local.test') });
  });
  after(async () => {
    bridge?.close();
    await pool?.end();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function queued(rcpts: { address: string; kind: 'local' | 'remote' }[]): Promise<Envelope> {
    const env: Envelope = { id: newQueueId(), time: Date.now(), mailFrom: 's@origin.test', rcptTo: rcpts, client: { ip: '127.0.0.1', helo: 'c.test', protocol: 'ESMTP', listener: 'smtp' } };
    await originate(spool, `b${env.id}`, [{ envelope: env, raw: BODY }]);
    const st: QueueState = { id: env.id, created: env.time, held: false, recipients: rcpts.map((r) => ({ address: r.address, rcpt: r.address, kind: r.kind, status: r.kind === 'local' ? 'deferred' : 'pending', attempts: 0, nextAttempt: env.time })) };
    await writeState(spool.queueDir, st);
    return env;
  }

  const rows = async (id: string) => (await pool.query<{ address: string }>('SELECT address FROM queue_recipients WHERE message_id = $1 ORDER BY address', [id])).rows.map((r) => r.address);

  test('remote recipients move to PostgreSQL with the body; local ones stay in the local state', async () => {
    const env = await queued([
      { address: 'x@remote.test', kind: 'remote' },
      { address: 'y@local.test', kind: 'local' },
    ]);
    assert.equal(await bridge.handOver(env.id), true);
    assert.deepEqual(await rows(env.id), ['x@remote.test']);
    const body = await pool.query<{ data: Buffer }>('SELECT b.data FROM queue_envelopes e JOIN queue_bodies b ON b.sha256 = e.body_sha256 WHERE e.id = $1', [env.id]);
    assert.deepEqual(body.rows[0].data, BODY, 'the message bytes, without the spool header');
    const st = await readState(spool.queueDir, env.id);
    assert.deepEqual(st!.recipients.map((r) => r.address), ['y@local.test']);
    assert.ok(fs.existsSync(spool.queuePath(env.id)), 'kept for its local recipient');

    const only = await queued([{ address: 'z@remote.test', kind: 'remote' }]);
    assert.equal(await bridge.handOver(only.id), true);
    assert.ok(removed.includes(only.id) && !fs.existsSync(spool.queuePath(only.id)), 'nothing local left: the spool file goes');
  });

  test('the database refusing: everything stays in the local spool, and goes over once it accepts', async () => {
    await pool.query(`CREATE FUNCTION refuse_all() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'database full'; END $$`);
    await pool.query('CREATE TRIGGER refuse_all BEFORE INSERT ON queue_envelopes FOR EACH ROW EXECUTE FUNCTION refuse_all()');
    const env = await queued([{ address: 'w@remote.test', kind: 'remote' }]);
    try {
      await assert.rejects(bridge.handOver(env.id), /queue database unavailable/);
      assert.ok(fs.existsSync(spool.queuePath(env.id)));
      assert.deepEqual((await readState(spool.queueDir, env.id))!.recipients.map((r) => [r.address, r.status]), [['w@remote.test', 'pending']]);
    } finally {
      await pool.query('DROP TRIGGER refuse_all ON queue_envelopes');
      await pool.query('DROP FUNCTION refuse_all()');
    }
    assert.equal(await bridge.handOver(env.id), true);
    assert.deepEqual(await rows(env.id), ['w@remote.test']);
    assert.ok(!fs.existsSync(spool.queuePath(env.id)));
  });

  test('a hand-over repeated after a crash between the commit and the local update queues nothing twice', async () => {
    const env = await queued([{ address: 'v@remote.test', kind: 'remote' }]);
    // the first hand-over's commit, then the crash (the local state still lists the recipient)
    assert.equal((await shared.enqueue(env, BODY, [{ address: 'v@remote.test', rcpt: 'v@remote.test' }])).kind, 'queued');
    assert.equal(await bridge.handOver(env.id), true);
    assert.deepEqual(await rows(env.id), ['v@remote.test']);
    assert.ok(!fs.existsSync(spool.queuePath(env.id)));
  });

  test('a hand-over repeated after a crash, when another node has meanwhile delivered the message, queues nothing again', async () => {
    const env = await queued([{ address: 'u@remote.test', kind: 'remote' }]);
    // the first hand-over's commit, then the crash before the local update; meanwhile another node delivers the
    // message and its rows go (record() deletes a message with nothing open)
    assert.equal((await shared.enqueue(env, BODY, [{ address: 'u@remote.test', rcpt: 'u@remote.test' }], { alreadyQueuedIsDone: true })).kind, 'queued');
    await pool.query('DELETE FROM queue_envelopes WHERE id = $1', [env.id]);
    // the restarted node resumes its spool: the id is no longer queued, but it was handed over once
    assert.equal(await bridge.handOver(env.id), true);
    assert.deepEqual(await rows(env.id), [], 'not queued (and delivered) a second time');
    assert.ok(!fs.existsSync(spool.queuePath(env.id)));
  });
});
