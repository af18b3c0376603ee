// A domain's DNS is its owner's word: an MX naming this server's own SMTP listener (127.0.0.1, 0.0.0.0) or an
// address no exchanger has (169.254.169.254, the cloud metadata service) is never connected to (docs/security-
// review-5.md, finding 1). Before, tegami handed the copy to itself over loopback, where a `[relay] allow_ips`
// entry for 127.0.0.1 made it a relay host's message: relayed on (and DKIM-signed when its From: is ours), hop
// after hop. A real `tegami serve` with its SMTP listener on a fixed port that is also the outbound port, the lab
// DNS, and a lab sink on 127.0.0.3 at the same port (another loopback address).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import type { ZoneRecords } from '../../lab/dns/server.js';
import { freePort, type TestServer } from '../helpers/server.js';
import { exchangerScreen } from '../../engine/outbound/exchanger-screen.js';
import { logText, message, readMail, setup, submit, until, type Setup } from './helpers.js';

let s: Setup | undefined;
let srv: TestServer;
let sink: Sink;
let port: number;

const ZONE: ZoneRecords = [
  // the MX is this very server
  { name: 'self.test', type: 'MX', data: '10 mx.self.test' },
  { name: 'mx.self.test', type: 'A', data: '127.0.0.1' },
  // "0.0.0.0" reaches this host too on Linux
  { name: 'zero.test', type: 'A', data: '0.0.0.0' },
  // the metadata service of every cloud
  { name: 'meta.test', type: 'MX', data: '10 mx.meta.test' },
  { name: 'mx.meta.test', type: 'A', data: '169.254.169.254' },
  // this server first, a real exchanger second: the second gets the mail
  { name: 'mixed.test', type: 'MX', data: '10 mx.self.test' },
  { name: 'mixed.test', type: 'MX', data: '20 mx.mixed.test' },
  { name: 'mx.mixed.test', type: 'A', data: '127.0.0.3' },
];

before(async () => {
  // the loop needs the outbound port to be the listener's own: a fixed port (retried if another process took it)
  for (let i = 0; ; i++) {
    port = await freePort();
    try {
      // what operators write so that local programs may send (setup's [relay] allow_ips 127.0.0.1): the hole's precondition
      s = await setup({ records: ZONE, mxPort: port, listeners: ['smtp'], listenAt: { smtp: `127.0.0.1:${port}` }, toml: '[queue]\nretry_schedule = ["1s", "2s"]' });
      srv = s.srv;
      break;
    } catch (e) {
      if (i >= 5 || !/EADDRINUSE|address in use/i.test((e as Error).message)) throw e;
    }
  }
  sink = await startSink({ host: '127.0.0.3', port });
});

after(async () => {
  await s?.close();
  await sink?.close();
});

const bounces = () => readMail(srv.maildir('alice@example.test')).filter((t) => /report-type=delivery-status/.test(t));
const queuedFromAlice = () => logText(srv, 'smtp').split('\n').filter((l) => /\bqueued\b/.test(l) && /from=alice@example\.test/.test(l)).length;

test('an MX that is this server: bounced at once (5.4.6), never handed to our own listener', async () => {
  const before = queuedFromAlice();
  const r = await submit(port, 'alice@example.test', ['bob@self.test'], message('alice@example.test', 'bob@self.test', 'to myself'));
  assert.equal(r.code, 250);
  const b = await until('bounce', () => bounces().find((t) => /bob@self\.test/.test(t)), 120_000);
  assert.match(b, /5\.4\.6/);
  assert.match(b, /loops back to myself/);
  // the old code delivered the copy to 127.0.0.1:port, which took it again as a relay host's message (one more
  // "queued" line per hop, up to the hop limit)
  assert.equal(queuedFromAlice() - before, 1, 'only the submission itself was queued');
});

test('0.0.0.0 (an implicit MX) and 169.254.169.254 are no exchangers: bounced, never connected to', async () => {
  const before = queuedFromAlice();
  await submit(port, 'alice@example.test', ['eve@zero.test', 'eve@meta.test'], message('alice@example.test', 'eve@zero.test', 'nowhere'));
  // each recipient's reason (a notice also quotes the message's own headers, which name both)
  const got = await until('both reasons', () => {
    const text = bounces().join('\n');
    return /169\.254\.169\.254 is no mail exchanger/.test(text) && /0\.0\.0\.0 is no mail exchanger/.test(text) ? text : null;
  }, 120_000);
  assert.match(got, /169\.254\.169\.254 is no mail exchanger/);
  assert.match(got, /0\.0\.0\.0 is no mail exchanger/);
  assert.doesNotMatch(logText(srv), /remote-connect[^\n]*ip=169\.254\.169\.254/, 'no connection to the metadata address was tried');
  assert.equal(queuedFromAlice() - before, 1);
});

test('a domain whose first MX is this server gets its mail at the next one', async () => {
  sink.clear();
  const r = await submit(port, 'alice@example.test', ['carol@mixed.test'], message('alice@example.test', 'carol@mixed.test', 'second MX'));
  assert.equal(r.code, 250);
  const [m] = await sink.waitFor(1, 120_000);
  assert.deepEqual(m.to, ['carol@mixed.test']);
});

test('the screen: own listeners by port and address, private networks allowed', () => {
  const s = exchangerScreen({ smtp: '0.0.0.0:25', submission: '192.0.2.7:587', imap: '0.0.0.0:143' }, new Set(['192.0.2.7', '10.1.2.3']));
  assert.match(s('127.0.0.1', 25) ?? '', /loops back/);
  assert.match(s('::ffff:127.0.0.2', 25) ?? '', /loops back/);
  assert.match(s('10.1.2.3', 25) ?? '', /loops back/, 'an address of our own interface');
  assert.equal(s('10.1.2.4', 25), null, 'a private network is not this host');
  assert.equal(s('127.0.0.1', 2525), null, 'another port of this host is not our SMTP');
  assert.equal(s('127.0.0.1', 143), null, 'IMAP is not an SMTP listener');
  assert.match(s('192.0.2.7', 587) ?? '', /loops back/);
  assert.match(s('fe80::1', 25) ?? '', /no mail exchanger/);
  assert.match(s('::', 25) ?? '', /no mail exchanger/);
  assert.match(s('224.0.0.1', 25) ?? '', /no mail exchanger/);
  assert.equal(s('203.0.113.9', 25), null);
});
