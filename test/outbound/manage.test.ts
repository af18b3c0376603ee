// Queue management from the CLI while the server runs (over the control socket) and while it is stopped
// (on the files): list --json is one parseable document; hold/release of a domain keeps its mail spooled
// and then delivers it; a spooler route delivers once its destination comes back; retry and delete --bounce.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { standbyPort, type StandbyPort } from '../helpers/standby-port.js';
import { message, queueList, readMail, setup, submit, until, type Setup } from './helpers.js';

let sink: Sink;
let s: Setup;
let spoolPort: StandbyPort;
let spoolSink: Sink | undefined;

before(async () => {
  sink = await startSink({ tempFail: ['stuck@remote.test'] });
  // the spooler route's port: down (421) until the test brings its server up behind it
  spoolPort = await standbyPort();
  s = await setup({
    mxPort: sink.port,
    records: [
      { name: 'remote.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'held.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'mx.remote.test', type: 'A', data: '127.0.0.1' },
    ],
    toml: [
      '[queue]',
      'retry_schedule = ["1s", "30s"]',
      // a spooler route: its server is down at first
      '[[route]]',
      'domain = "branch.test"',
      `to = "127.0.0.1:${spoolPort.port}"`,
      'hold = true',
    ].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await sink?.close();
  await spoolSink?.close();
  await spoolPort?.close();
});

test('queue list --json is exactly one JSON document while the server runs', async () => {
  await submit(s.srv.ports.smtp, 'alice@example.test', ['stuck@remote.test'], message('alice@example.test', 'stuck@remote.test', 'stuck'));
  const m = await until('deferred', async () => (await queueList(s.srv)).find((x) => x.recipients[0]?.address === 'stuck@remote.test' && x.state === 'deferred'));
  const r = s.srv.cli(['queue', 'list', '--json']);
  assert.equal(r.status, 0);
  const doc = JSON.parse(r.stdout) as { queue: unknown[] };
  assert.ok(Array.isArray(doc.queue));
  assert.equal(r.stdout.trim().split('\n').length, 1, 'nothing but the document on stdout');
  assert.equal(m.sender, 'alice@example.test');
  assert.match(m.last_error ?? '', /451 4\.3\.0/);
  // filters
  assert.equal((await queueList(s.srv, ['--domain', 'remote.test'])).length, 1);
  assert.equal((await queueList(s.srv, ['--domain', 'other.test'])).length, 0);
  assert.equal((await queueList(s.srv, ['--state', 'hold'])).length, 0);
  // human form and show
  const text = s.srv.cli(['queue', 'list']);
  assert.match(text.stdout, new RegExp(`${m.id}.*(deferred|active).*alice@example\\.test`));
  const show = s.srv.cli(['queue', 'show', m.id]);
  assert.equal(show.status, 0);
  assert.match(show.stdout, /Subject: stuck/);
});

test('delete --bounce removes the message and tells the sender', async () => {
  const m = (await queueList(s.srv)).find((x) => x.recipients[0]?.address === 'stuck@remote.test')!;
  const r = s.srv.cli(['queue', 'delete', m.id, '--bounce']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /1 message deleted.*1 bounce/);
  // the bounce names the recipient and the reason
  await until('the bounce', () => readMail(s.srv.maildir('alice@example.test')).find((t) => /stuck@remote\.test/.test(t) && /deleted from the queue/.test(t)));
  assert.equal((await queueList(s.srv)).filter((x) => x.id === m.id).length, 0);
  assert.equal(s.srv.cli(['queue', 'show', m.id]).status, 1);
});

test('hold --domain keeps mail spooled (also mail that arrives later), release --domain delivers it', async () => {
  sink.clear();
  const h = s.srv.cli(['queue', 'hold', '--domain', 'held.test']);
  assert.equal(h.status, 0, h.stderr);
  await submit(s.srv.ports.smtp, 'alice@example.test', ['one@held.test'], message('alice@example.test', 'one@held.test', 'held 1'));
  await submit(s.srv.ports.smtp, 'alice@example.test', ['two@held.test', 'bob@remote.test'], message('alice@example.test', 'two@held.test', 'held 2'));
  // the remote.test copy is not held
  await sink.waitFor(1, 120_000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(sink.messages.flatMap((x) => x.to), ['bob@remote.test']);
  const held = await queueList(s.srv, ['--state', 'hold']);
  assert.equal(held.length, 2);
  assert.ok(held.every((x) => x.recipients.every((r) => r.held && r.status === 'pending')));
  const rel = s.srv.cli(['queue', 'release', '--domain', 'held.test']);
  assert.equal(rel.status, 0, rel.stderr);
  assert.match(rel.stdout, /2 messages released/);
  await sink.waitFor(3, 120_000);
  assert.deepEqual(sink.messages.flatMap((x) => x.to).sort(), ['bob@remote.test', 'one@held.test', 'two@held.test']);
  await until('queue empty', async () => (await queueList(s.srv)).length === 0);
});

test('hold ID / retry ID / release ID work on one message', async () => {
  sink.clear();
  s.srv.cli(['queue', 'hold', '--domain', 'held.test']);
  await submit(s.srv.ports.smtp, 'alice@example.test', ['three@held.test'], message('alice@example.test', 'three@held.test', 'held 3'));
  const m = await until('queued', async () => (await queueList(s.srv)).find((x) => x.recipients[0]?.address === 'three@held.test'));
  assert.equal(s.srv.cli(['queue', 'hold', m.id]).status, 0);
  s.srv.cli(['queue', 'release', '--domain', 'held.test']);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(sink.messages.length, 0, 'the message itself is still held');
  assert.equal(s.srv.cli(['queue', 'release', m.id]).status, 0);
  await sink.waitFor(1, 120_000);
  assert.equal(s.srv.cli(['queue', 'retry', '--all']).status, 0);
});

test('a spooler route keeps its mail until its server comes back, then delivers it', async () => {
  await submit(s.srv.ports.smtp, 'alice@example.test', ['boss@branch.test'], message('alice@example.test', 'boss@branch.test', 'to the branch office'));
  const m = await until('spooled', async () => (await queueList(s.srv)).find((x) => x.recipients[0]?.address === 'boss@branch.test'));
  assert.equal(m.state, 'hold');
  await new Promise((r) => setTimeout(r, 1500));
  spoolSink = await startSink({});
  spoolPort.up(spoolSink.port);
  const [got] = await spoolSink.waitFor(1, 120_000);
  assert.deepEqual(got.to, ['boss@branch.test']);
  await until('queue empty', async () => (await queueList(s.srv)).length === 0);
});

test('without a running server the CLI works on the files', async () => {
  s.srv.cli(['queue', 'hold', '--domain', 'held.test']);
  await submit(s.srv.ports.smtp, 'alice@example.test', ['four@held.test'], message('alice@example.test', 'four@held.test', 'offline'));
  await until('queued', async () => (await queueList(s.srv)).find((x) => x.recipients[0]?.address === 'four@held.test'));
  await s.srv.stop();
  assert.equal(fs.existsSync(path.join(s.srv.dataDir, 'run', 'control.sock')), false);
  const list = await queueList(s.srv);
  assert.equal(list.length, 1);
  assert.equal(list[0].state, 'hold');
  const d = s.srv.cli(['queue', 'delete', '--domain', 'held.test']);
  assert.equal(d.status, 0, d.stderr);
  assert.equal((await queueList(s.srv)).length, 0);
  assert.equal(s.srv.cli(['queue', 'release', '--domain', 'held.test']).status, 0);
});
