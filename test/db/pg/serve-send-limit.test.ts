// Per-account sending limits with two `tegami serve` nodes on [storage] backend = "postgres": the limit set with
// the CLI on one node (the shared send_limits, migration 52) holds for both, and six simultaneous submissions by
// Python's smtplib, three to each node's submission port, against a cap of two get exactly two 250s (the shared
// send_log, migration 51, claimed under an advisory lock per account); the others 451 4.7.1. The counts are the
// same read from either node's CLI.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { postgresUnavailable } from '../../helpers/postgres.js';
import { requireCommand, run, type TestServer } from '../../helpers/server.js';
import { pgNodes } from './pg-node.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();
const ALICE = 'alice@example.test';
const BOBBY = 'bobby@example.test';
const PW = 'alice password 1';

const SMTP = String.raw`
import smtplib, sys, json, threading
ports = [int(p) for p in sys.argv[1].split(',')]
barrier = threading.Barrier(len(ports))
out = [None] * len(ports)
def one(i):
    s = smtplib.SMTP('127.0.0.1', ports[i], timeout=120)
    s.login(sys.argv[2], sys.argv[3])
    msg = ('From: %s\r\nTo: %s\r\nSubject: two nodes %d\r\n\r\nsent %d\r\n' % (sys.argv[2], sys.argv[4], i, i)).encode()
    barrier.wait()
    try:
        s.sendmail(sys.argv[2], [sys.argv[4]], msg)
        out[i] = [250, '']
    except smtplib.SMTPSenderRefused as e:
        out[i] = [e.smtp_code, e.smtp_error.decode()]
    except smtplib.SMTPDataError as e:
        out[i] = [e.smtp_code, e.smtp_error.decode()]
    s.quit()
ts = [threading.Thread(target=one, args=(i,)) for i in range(len(ports))]
for t in ts: t.start()
for t in ts: t.join()
print(json.dumps(out))
`;

describe('tegami serve on PostgreSQL: one sending limit across the nodes', { skip: skip ?? false, timeout: 300_000 }, () => {
  const fx = pgNodes('tegami_serve_send_limit');
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await fx.node({ name: 'node-a', sharedKey: true, listeners: ['submission'], hostname: 'a.example.test', users: [{ address: ALICE, password: PW }, { address: BOBBY, password: PW }], toml: '[spam]\nenabled = false' });
    b = await fx.node({ name: 'node-b', sharedKey: true, listeners: ['submission'], hostname: 'b.example.test', toml: '[spam]\nenabled = false' });
  });

  it('six simultaneous submissions, three to each node, against a cap of two set on node A: exactly two 250s', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const set = a.cli(['user', 'limit', ALICE, '--messages-per-hour', '2']);
    assert.equal(set.status, 0, set.stderr);
    const ports = [a.ports.submission, b.ports.submission, a.ports.submission, b.ports.submission, a.ports.submission, b.ports.submission];
    const r = await run('python3', ['-c', SMTP, ports.join(','), ALICE, PW, BOBBY], { timeoutMs: 240_000 });
    assert.equal(r.code, 0, r.stderr);
    const replies = JSON.parse(r.stdout) as [number, string][];
    assert.equal(replies.filter((x) => x[0] === 250).length, 2, JSON.stringify(replies));
    for (const x of replies.filter((y) => y[0] !== 250)) assert.match(`${x[0]} ${x[1]}`, /^451 4\.7\.1 Sending limit reached for <alice@example\.test>: 2 messages per hour/);
    for (const node of [a, b]) {
      const u = node.cli(['user', 'limit', ALICE, '--json']);
      assert.equal(u.status, 0, u.stderr);
      const j = JSON.parse(u.stdout) as { limits: { messagesPerHour: number }; usage: { messagesHour: number } };
      assert.deepEqual([j.limits.messagesPerHour, j.usage.messagesHour], [2, 2]);
    }
  });
});
