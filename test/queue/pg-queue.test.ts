// The shared queue on PostgreSQL in one process (engine/queue/pg-queue.ts, pg-queue-store.ts), on a private
// cluster: the remote side is a stand-in `deliver` returning outcomes (the real worker and sink are in
// pg-nodes.test.ts). Outcomes follow the file queue's rules (recipient-outcomes.ts): deferred on
// retry_schedule, bounced with a notice queued in the same transaction, accepted never retried; a record is
// written once and never over a lease another node took; enqueue is all or nothing (451 4.3.0 otherwise);
// a body that does not match its hash is never sent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import dnsp from 'node:dns/promises';
import pg from 'pg';
import { freshDatabase, postgresUnavailable } from '../helpers/postgres.js';
import { Logger } from '../../engine/log/logger.js';
import { parseConfigText } from '../../engine/config/load.js';
import { newQueueId, type Envelope } from '../../engine/spool/envelope.js';
import { openPgQueue, type PgQueue, type PgQueueOptions } from '../../engine/queue/pg-queue.js';
import { PgQueueStore } from '../../engine/queue/pg-queue-store.js';
import type { DeliverResult, DeliverTask } from '../../workers/deliver-remote.js';

const skip = postgresUnavailable();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgqueue-'));
const config = parseConfigText(
  ['hostname = "mx.example.test"', `data_dir = "${tmp}"`, '[queue]', 'retry_schedule = ["1s", "1h"]', '[[route]]', 'domain = "remote.test"', 'to = "127.0.0.1:2525"'].join('\n'),
  path.join(tmp, 'tegami.toml'),
);

type Outcome = DeliverResult['recipients'][number];
const sent = (address: string): Outcome => ({ address, kind: 'sent', status: '2.0.0', reply: '250 2.0.0 queued', remoteMta: 'sink[127.0.0.1]' });
const temp = (address: string): Outcome => ({ address, kind: 'temp', status: '4.2.0', reply: '451 4.2.0 try later', remoteMta: 'sink[127.0.0.1]' });
const perm = (address: string): Outcome => ({ address, kind: 'perm', status: '5.1.1', reply: '550 5.1.1 no such user', remoteMta: 'sink[127.0.0.1]' });

function envelope(from: string, to: string[]): Envelope {
  return { id: newQueueId(), time: Date.now(), mailFrom: from, rcptTo: to.map((address) => ({ address, kind: 'remote' as const })), client: { ip: '127.0.0.1', helo: 'c.test', protocol: 'ESMTP', listener: 'smtp' } };
}
const BODY = Buffer.from('From: <s@origin.test>\r\nSubject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\n\r\nテスト本文\r\n', 'utf8');

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 120_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('shared queue on PostgreSQL (one process)', { skip: skip ?? false, timeout: 180_000 }, () => {
  let url: string;
  let pool: pg.Pool;
  const queues: PgQueue[] = [];
  const logger = new Logger({ stdout: false, files: false, sink: null });
  const events: { event: string; fields: Record<string, unknown> }[] = [];
  logger.on((_s, event, fields) => events.push({ event, fields }));

  async function node(name: string, o: Partial<PgQueueOptions> = {}): Promise<PgQueue> {
    const q = await openPgQueue(pool, {
      nodeName: name,
      leaseTime: 1000,
      config,
      logger,
      deliver: () => Promise.reject(new Error('no deliver given')),
      workDir: path.join(tmp, name),
      isLocal: (a) => a.endsWith('@local.test'),
      injectLocal: () => Promise.reject(new Error('no injectLocal given')),
      pollMs: 100,
      ...o,
    });
    queues.push(q);
    return q;
  }

  before(async () => {
    url = await freshDatabase();
    pool = new pg.Pool({ connectionString: url, max: 6 });
  });
  after(async () => {
    for (const q of queues) await q.stop(2000);
    await pool?.end();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('sent stays sent, a temporary failure is retried after its retry_schedule step, a permanent one bounces with a notice queued in the same transaction', async () => {
    const tasks: DeliverTask[] = [];
    const notices: { to: string[]; text: string }[] = [];
    const q = await node('out1', {
      deliver: async (t) => {
        tasks.push(t);
        if (t.envelope.mailFrom === '') {
          notices.push({ to: t.recipients.map((r) => r.address), text: fs.readFileSync(t.file, 'utf8') });
          return { recipients: t.recipients.map((r) => sent(r.address)), attempts: [], unreachable: false };
        }
        // the body the worker reads is the one enqueued, byte for byte
        assert.deepEqual(fs.readFileSync(t.file), BODY);
        return { recipients: t.recipients.map((r) => (r.address.startsWith('ok') ? sent(r.address) : r.address.startsWith('later') ? (tasks.length > 1 ? sent(r.address) : temp(r.address)) : perm(r.address))), attempts: [], unreachable: false };
      },
    });
    const env = envelope('s@origin.test', ['ok@remote.test', 'later@remote.test', 'nobody@remote.test']);
    assert.equal((await q.enqueue(env, BODY, env.rcptTo.map((r) => ({ address: r.address, rcpt: r.address })))).kind, 'queued');
    await q.start();

    const after1 = await until('the first attempt recorded', async () => {
      const r = await pool.query<{ address: string; state: string; attempts: number; next_attempt: string; last_attempt: string; owner: string | null }>('SELECT * FROM queue_recipients WHERE message_id = $1 ORDER BY address', [env.id]);
      return r.rows.every((x) => x.attempts === 1) ? r.rows : null;
    });
    const by = new Map(after1.map((r) => [r.address, r]));
    assert.equal(by.get('ok@remote.test')!.state, 'sent');
    assert.equal(by.get('nobody@remote.test')!.state, 'failed');
    const later = by.get('later@remote.test')!;
    assert.equal(later.state, 'deferred');
    assert.equal(Number(later.next_attempt) - Number(later.last_attempt), 1000, 'the first retry_schedule step');
    assert.equal(later.owner, null, 'the lease is released with the outcome');

    // the bounce: a new message from <> to the sender, through the shared queue, naming the failed recipient only
    await until('the notice delivered', () => notices.length > 0);
    assert.equal(notices.length, 1);
    assert.deepEqual(notices[0].to, ['s@origin.test']);
    assert.match(notices[0].text, /Final-Recipient: rfc822; nobody@remote\.test/);
    assert.doesNotMatch(notices[0].text, /Final-Recipient: rfc822; (ok|later)@/);

    // the retry goes to the deferred recipient alone; then the message is gone with its body
    await until('the message finished', async () => (await pool.query('SELECT 1 FROM queue_envelopes WHERE id = $1', [env.id])).rowCount === 0);
    const retries = tasks.filter((t) => t.id === env.id);
    assert.deepEqual(
      retries.map((t) => t.recipients.map((r) => r.address).sort()),
      [['later@remote.test', 'nobody@remote.test', 'ok@remote.test'], ['later@remote.test']],
    );
    await until('the notice gone from the queue', async () => (await pool.query("SELECT 1 FROM queue_envelopes WHERE sender = ''")).rowCount === 0);
    assert.equal((await pool.query('SELECT count(*)::int AS n FROM queue_bodies')).rows[0].n, 0, 'bodies nobody uses are collected');
    await q.stop();
  });

  test('a spooler route ([[route]] hold = true) is never claimed on the schedule, only once its probe finds the host greeting', async () => {
    // a port that refuses until the test opens it, then greets like an SMTP server (the probe reads the 220)
    const spare = net.createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
    const port = (spare.address() as net.AddressInfo).port;
    await new Promise<void>((r) => spare.close(() => r()));
    const spoolConfig = parseConfigText(
      ['hostname = "mx.example.test"', `data_dir = "${tmp}"`, '[queue]', 'retry_schedule = ["1s", "1h"]', '[[route]]', 'domain = "remote.test"', 'to = "127.0.0.1:2525"', '[[route]]', 'domain = "branch.test"', `to = "127.0.0.1:${port}"`, 'hold = true'].join('\n'),
      path.join(tmp, 'tegami.toml'),
    );
    const tasks: DeliverTask[] = [];
    const q = await node('spool1', {
      config: spoolConfig,
      resolver: new dnsp.Resolver(),
      deliver: async (t) => (tasks.push(t), { recipients: t.recipients.map((r) => sent(r.address)), attempts: [], unreachable: false }),
    });
    const env = envelope('s@origin.test', ['boss@branch.test', 'ok2@remote.test']);
    assert.equal((await q.enqueue(env, BODY, env.rcptTo.map((r) => ({ address: r.address, rcpt: r.address })))).kind, 'queued');
    await q.start();
    await until('the other destination delivered', () => tasks.some((t) => t.recipients.some((r) => r.address === 'ok2@remote.test')));
    // several claim rounds (polling every 100 ms) and at least one probe (every second) with the host away
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(!tasks.some((t) => t.recipients.some((r) => r.address === 'boss@branch.test')), 'the spooler route waits for its host');
    const row = await pool.query<{ state: string; attempts: number; owner: string | null }>('SELECT state, attempts, owner FROM queue_recipients WHERE message_id = $1 AND address = $2', [env.id, 'boss@branch.test']);
    assert.deepEqual(row.rows[0], { state: 'pending', attempts: 0, owner: null });

    const branch = net.createServer((c) => c.end('220 branch.test ESMTP\r\n'));
    await new Promise<void>((r) => branch.listen(port, '127.0.0.1', r));
    try {
      await until('the spooler route delivered once its host greets', () => tasks.some((t) => t.recipients.some((r) => r.address === 'boss@branch.test')));
      await until('the message finished', async () => (await pool.query('SELECT 1 FROM queue_envelopes WHERE id = $1', [env.id])).rowCount === 0);
    } finally {
      await q.stop();
      await new Promise<void>((r) => branch.close(() => r()));
    }
  });

  test('a notice to a local sender is delivered locally before the outcome commits', async () => {
    const local: Envelope[] = [];
    const q = await node('out2', {
      deliver: async (t) => ({ recipients: t.recipients.map((r) => perm(r.address)), attempts: [], unreachable: false }),
      injectLocal: async (e) => void local.push(e),
    });
    const env = envelope('alice@local.test', ['gone@remote.test']);
    await q.enqueue(env, BODY, [{ address: 'gone@remote.test', rcpt: 'gone@remote.test' }]);
    await q.start();
    await until('the message bounced', async () => (await pool.query('SELECT 1 FROM queue_envelopes WHERE id = $1', [env.id])).rowCount === 0);
    assert.equal(local.length, 1);
    assert.deepEqual(local[0].rcptTo.map((r) => [r.address, r.kind]), [['alice@local.test', 'local']]);
    assert.equal((await pool.query("SELECT 1 FROM queue_envelopes WHERE sender = ''")).rowCount, 0, 'not queued for remote delivery');
    await q.stop();
  });

  test('one message at two destinations: the job that finishes first leaves the other job’s leases alone', async () => {
    let releaseSlow: (() => void) | undefined;
    let slowTasks = 0;
    const q = await node('out4', {
      deliver: async (t) => {
        if (t.destination.key === 'mx:slow.test') {
          slowTasks++;
          await new Promise<void>((r) => (releaseSlow = r));
        }
        return { recipients: t.recipients.map((r) => sent(r.address)), attempts: [], unreachable: false };
      },
    });
    const env = envelope('s@origin.test', ['fast@remote.test', 'slow@slow.test']);
    await q.enqueue(env, BODY, env.rcptTo.map((r) => ({ address: r.address, rcpt: r.address })));
    await q.start();
    await until('the fast one recorded', async () => (await pool.query("SELECT 1 FROM queue_recipients WHERE message_id = $1 AND address = 'fast@remote.test' AND state = 'sent'", [env.id])).rowCount === 1);
    await until('the slow one in delivery', () => releaseSlow);
    const slow = await pool.query<{ state: string; owner: string | null }>("SELECT state, owner FROM queue_recipients WHERE message_id = $1 AND address = 'slow@slow.test'", [env.id]);
    assert.deepEqual(slow.rows, [{ state: 'pending', owner: 'out4' }], 'still leased to the job delivering it');
    // (a lease released by the other job would be claimed again at once: a second, parallel delivery)
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(slowTasks, 1, 'one delivery of the slow recipient');
    releaseSlow!();
    await until('the message finished', async () => (await pool.query('SELECT 1 FROM queue_envelopes WHERE id = $1', [env.id])).rowCount === 0);
    await q.stop();
  });

  test('an outcome is written once, and never by a node whose lease was taken over', async () => {
    const a = new PgQueueStore(pool, { owner: 'A', leaseMs: 500, cap: () => 10 });
    const b = new PgQueueStore(pool, { owner: 'B', leaseMs: 5000, cap: () => 10 });
    const env = envelope('s@origin.test', ['x@slow.test']);
    await a.enqueue(env, BODY, [{ address: 'x@slow.test', rcpt: 'x@slow.test', dest: 'mx:slow.test' }]);
    const [ca] = await a.claim(1);
    assert.equal(ca.messageId, env.id);
    assert.deepEqual(await b.claim(1), [], 'a live lease is not claimed by another node');
    // A stops renewing (it hangs, or died): after its lease time B takes the recipient over, and says so
    const cb = await until('B takes over', () => b.claim(1).then((c) => c[0]));
    assert.deepEqual(cb.takenOver, [{ address: 'x@slow.test', from: 'A' }]);
    const markSent = async (st: { recipients: { status: string; address: string }[] }, ours: Set<string>) => {
      for (const r of st.recipients) if (ours.has(r.address)) r.status = 'sent';
    };
    assert.deepEqual(await a.record(env.id, ['x@slow.test'], markSent), { written: 0, removed: false }, 'A lost its lease: nothing written');
    assert.equal((await a.renew()).size, 0, 'A holds nothing any more');
    const first = await b.record(env.id, ['x@slow.test'], markSent);
    assert.deepEqual(first, { written: 1, removed: true });
    assert.deepEqual(await b.record(env.id, ['x@slow.test'], markSent), { written: 0, removed: false }, 'recording again is harmless');
    const ev = await pool.query("SELECT node, address, detail FROM queue_events WHERE kind = 'lease-takeover' AND message_id = $1", [env.id]);
    assert.deepEqual(ev.rows, [{ node: 'B', address: 'x@slow.test', detail: 'A' }]);
  });

  test('a node restarted under its name takes its own leases back at once; others wait for expiry', async () => {
    const a1 = new PgQueueStore(pool, { owner: 'R', leaseMs: 60_000, cap: () => 10 });
    const env = envelope('s@origin.test', ['y@own.test']);
    await a1.enqueue(env, BODY, [{ address: 'y@own.test', rcpt: 'y@own.test', dest: 'mx:own.test' }]);
    assert.equal((await a1.claim(5)).length, 1);
    const other = new PgQueueStore(pool, { owner: 'S', leaseMs: 60_000, cap: () => 10 });
    assert.deepEqual(await other.claim(5), []);
    const a2 = new PgQueueStore(pool, { owner: 'R', leaseMs: 60_000, cap: () => 10 });
    const back = await a2.reclaimOwn();
    assert.deepEqual(back.map((c) => [c.messageId, c.addresses, c.takenOver]), [[env.id, ['y@own.test'], [{ address: 'y@own.test', from: 'R' }]]]);
    await a2.record(env.id, ['y@own.test'], async (st) => void (st.recipients[0].status = 'sent'));
  });

  test('enqueue is all or nothing: a failure half-way answers 451 4.3.0 and leaves no row', async () => {
    const q = await node('in1');
    // a recipient row the database refuses (standing in for a cut connection or a full disk mid-transaction)
    await pool.query(`CREATE FUNCTION refuse_rcpt() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.address LIKE 'refused@%' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$`);
    await pool.query('CREATE TRIGGER refuse_rcpt BEFORE INSERT ON queue_recipients FOR EACH ROW EXECUTE FUNCTION refuse_rcpt()');
    try {
      const env = envelope('s@origin.test', ['fine@remote.test', 'refused@remote.test']);
      const body = Buffer.from('Subject: half\r\n\r\nhalf-way\r\n');
      const r = await q.enqueue(env, body, env.rcptTo.map((x) => ({ address: x.address, rcpt: x.address })));
      assert.deepEqual(r, { kind: 'tempfail', code: 451, status: '4.3.0', text: 'Local error in processing (queue database unavailable)' });
      assert.equal((await pool.query('SELECT 1 FROM queue_envelopes WHERE id = $1', [env.id])).rowCount, 0);
      assert.equal((await pool.query('SELECT 1 FROM queue_recipients WHERE message_id = $1', [env.id])).rowCount, 0);
      assert.equal((await pool.query("SELECT 1 FROM queue_bodies WHERE data = convert_to('Subject: half' || chr(13) || chr(10) || chr(13) || chr(10) || 'half-way' || chr(13) || chr(10), 'UTF8')")).rowCount, 0);
      assert.ok(events.some((e) => e.event === 'pg-enqueue-failed' && e.fields.id === env.id));
    } finally {
      await pool.query('DROP TRIGGER refuse_rcpt ON queue_recipients');
      await pool.query('DROP FUNCTION refuse_rcpt()');
    }
  });

  test('a body that no longer matches its SHA-256 is never sent: the message is held for the operator', async () => {
    let called = 0;
    const q = await node('out3', {
      deliver: async (t) => {
        called++;
        return { recipients: t.recipients.map((r) => sent(r.address)), attempts: [], unreachable: false };
      },
    });
    const env = envelope('s@origin.test', ['z@remote.test']);
    const body = Buffer.from('Subject: damaged later\r\n\r\nx\r\n');
    await q.enqueue(env, body, [{ address: 'z@remote.test', rcpt: 'z@remote.test' }]);
    await pool.query("UPDATE queue_bodies SET data = convert_to('tampered', 'UTF8') WHERE sha256 = (SELECT body_sha256 FROM queue_envelopes WHERE id = $1)", [env.id]);
    await q.start();
    await until('reported corrupt', () => events.some((e) => e.event === 'corrupt' && e.fields.id === env.id));
    assert.equal(called, 0);
    assert.deepEqual((await pool.query('SELECT held FROM queue_envelopes WHERE id = $1', [env.id])).rows, [{ held: true }], 'held for the operator');
    assert.deepEqual((await pool.query('SELECT owner FROM queue_recipients WHERE message_id = $1', [env.id])).rows, [{ owner: null }]);
    await q.stop();
    await pool.query('DELETE FROM queue_envelopes WHERE id = $1', [env.id]);
  });

  test('a job that fails before its attempt (the message unreadable for a moment) gives its lease back and is retried, not left leased', async () => {
    const tasks: DeliverTask[] = [];
    // a long lease: left leased, the recipient would wait a minute for it to expire (longer while the node is busy:
    // its heartbeat renews every lease it holds), and then count as a takeover although nothing was sent
    const q = await node('prep1', { leaseTime: 60_000, deliver: async (t) => (tasks.push(t), { recipients: t.recipients.map((r) => sent(r.address)), attempts: [], unreachable: false }) });
    const env = envelope('s@origin.test', ['prep@remote.test']);
    assert.equal((await q.enqueue(env, BODY, [{ address: 'prep@remote.test', rcpt: 'prep@remote.test' }])).kind, 'queued');
    // loading the body fails as it does when the connection is cut mid-job
    await pool.query('ALTER TABLE queue_bodies RENAME TO queue_bodies_away');
    try {
      await q.start();
      await until('the job failed', () => events.some((e) => ['scheduler-error', 'pg-job-failed'].includes(e.event) && e.fields.id === env.id));
    } finally {
      await pool.query('ALTER TABLE queue_bodies_away RENAME TO queue_bodies');
    }
    // below the 60 s lease (part of the check): a lease left behind would only end by expiring, after this
    await until('delivered once the message can be read', () => tasks.length > 0, 30_000);
    assert.equal(tasks.length, 1);
    await until('the message finished', async () => (await pool.query('SELECT 1 FROM queue_envelopes WHERE id = $1', [env.id])).rowCount === 0);
    assert.equal((await pool.query('SELECT 1 FROM queue_events WHERE message_id = $1', [env.id])).rowCount, 0, 'no lease ended without an outcome');
    await q.stop();
  });
});
