// The small parts of engine/net without sockets: the one host:port parser, the client key (IPv6 by prefix),
// the deadline clock (on mock timers), the bounded semaphore and the connection caps.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKey } from '../../engine/policy/cidr.js';
import { ConnectionLimits } from '../../engine/net/conn-limits.js';
import { Deadline } from '../../engine/net/deadline.js';
import { listenAddress, parseHostPort } from '../../engine/net/host-port.js';
import { Semaphore } from '../../engine/net/semaphore.js';

test('host:port: listen addresses, smarthosts and DNS servers through one parser', () => {
  const cases: [string, number | undefined, ReturnType<typeof parseHostPort>][] = [
    ['127.0.0.1:25', undefined, { host: '127.0.0.1', port: 25 }],
    ['[::1]:587', undefined, { host: '::1', port: 587 }],
    ['mail.example.jp:2525', undefined, { host: 'mail.example.jp', port: 2525 }],
    [':143', undefined, { host: '', port: 143 }],
    ['0.0.0.0:0', undefined, { host: '0.0.0.0', port: 0 }],
    ['mx.example.org', 25, { host: 'mx.example.org', port: 25 }],
    ['[mx.example.org]', 25, { host: 'mx.example.org', port: 25 }],
    ['::1', 53, { host: '::1', port: 53 }],
    ['2001:db8::5', 53, { host: '2001:db8::5', port: 53 }],
    ['10.0.0.1', 53, { host: '10.0.0.1', port: 53 }],
    ['mx.example.org', undefined, null],
    ['host:99999', undefined, null],
    ['a:b:25', undefined, null],
    ['[::1', 25, null],
    ['host:25 ', undefined, { host: 'host', port: 25 }],
  ];
  for (const [s, d, want] of cases) assert.deepEqual(parseHostPort(s, d), want, JSON.stringify(s));
  assert.throws(() => listenAddress('nonsense'), /bad listen address "nonsense"/);
});

test('client key: IPv4 per address (IPv4-mapped too), IPv6 per /64 unless configured otherwise', () => {
  assert.equal(clientKey('192.0.2.7'), '192.0.2.7');
  assert.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2:0:0:0:0/64');
  assert.equal(clientKey('2001:db8:1:2::ffff'), clientKey('2001:db8:1:2:dead:beef:0:1'));
  assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
  assert.equal(clientKey('2001:db8:1:2:3::1', 48), '2001:db8:1:0:0:0:0:0/48');
  assert.equal(clientKey('2001:db8::1', 128), '2001:db8::1');
  assert.equal(clientKey('64:ff9b::192.0.2.1', 96), '64:ff9b:0:0:0:0:0:0/96');
  assert.equal(clientKey('not-an-ip'), 'not-an-ip');
});

test('deadline: timing the same thing keeps its clock; another thing restarts it; stop() cancels', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  try {
    const fired: string[] = [];
    const d = new Deadline<'line' | 'literal'>((phase, elapsed, limit) => fired.push(`${phase} ${elapsed}/${limit}`));
    d.time('line', 1, 1000);
    mock.timers.tick(600);
    d.time('line', 1, 1000); // more bytes of the same line: no new clock
    mock.timers.tick(400);
    assert.deepEqual(fired, ['line 1000/1000']);
    d.time('line', 2, 1000);
    mock.timers.tick(900);
    d.time('literal', 2, 5000); // the line ended, a literal is awaited: its own clock
    mock.timers.tick(4000);
    assert.equal(fired.length, 1);
    d.stop();
    mock.timers.tick(10_000);
    assert.equal(fired.length, 1, 'stopped');
    d.time('line', 3, 0);
    mock.timers.tick(10_000);
    assert.equal(fired.length, 1, '0 = no limit');
  } finally {
    mock.timers.reset();
  }
});

test('semaphore: at most `max` run, at most `maxQueued` wait, the rest are busy at once', async () => {
  const s = new Semaphore(2, 1);
  const gates: (() => void)[] = [];
  const task = () => new Promise<string>((resolve) => gates.push(() => resolve('ran')));
  const runs = [s.run(task), s.run(task), s.run(task), s.run(task)];
  assert.equal(await runs[3], 'busy');
  assert.deepEqual(s.state, { running: 2, queued: 1 });
  gates.shift()!();
  assert.equal(await runs[0], 'ran');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(s.state, { running: 2, queued: 0 }, 'the waiter took the freed slot');
  for (const g of gates.splice(0)) g();
  assert.deepEqual(await Promise.all(runs.slice(1, 3)), ['ran', 'ran']);
  assert.deepEqual(s.state, { running: 0, queued: 0 });
});

test('connection caps: a total and a per-client bound, IPv6 by /64, each slot given back once', () => {
  const l = new ConnectionLimits({ total: 3, perClient: 2, ipv6Prefix: 64 });
  const a = l.admit('2001:db8:1:2::1');
  const b = l.admit('2001:db8:1:2::2');
  assert.ok(a.ok && b.ok);
  assert.deepEqual(l.admit('2001:db8:1:2:ffff::9'), { ok: false, reason: 'per-client', open: 2 });
  const c = l.admit('192.0.2.1');
  assert.ok(c.ok);
  assert.deepEqual(l.admit('192.0.2.2'), { ok: false, reason: 'total', open: 3 });
  if (a.ok) {
    a.release();
    a.release();
  }
  assert.equal(l.connections, 2, 'released once');
  assert.ok(l.admit('2001:db8:1:2::3').ok);
});
