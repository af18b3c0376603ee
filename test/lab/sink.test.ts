// The lab's sink MTA, driven by real clients (nodemailer, swaks): recording, temp/perm failures,
// greylisting, slowness, STARTTLS and AUTH requirements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { startSink, type SinkOptions } from '../../lab/peers/sink.js';

const run = promisify(execFile);

function transport(port: number, extra: Record<string, unknown> = {}) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, name: 'client.example.test', tls: { rejectUnauthorized: false }, ...extra } as never);
}

async function withSink(opts: SinkOptions, fn: (s: Awaited<ReturnType<typeof startSink>>) => Promise<void>) {
  const sink = await startSink(opts);
  try {
    await fn(sink);
  } finally {
    await sink.close();
  }
}

test('records envelope and raw message', async () => {
  await withSink({ tls: 'none' }, async (sink) => {
    const info = await transport(sink.port).sendMail({ from: 'a@client.example.test', to: ['x@remote.test', 'y@remote.test'], subject: 'hello', text: 'body line\n' });
    assert.deepEqual(info.accepted, ['x@remote.test', 'y@remote.test']);
    const [m] = await sink.waitFor(1, 120_000);
    assert.equal(m.from, 'a@client.example.test');
    assert.deepEqual(m.to, ['x@remote.test', 'y@remote.test']);
    assert.equal(m.helo, 'client.example.test');
    assert.match(m.raw.toString(), /Subject: hello\r\n/);
    assert.match(m.raw.toString(), /body line/);
    assert.equal(m.secure, false);
  });
});

test('temp-fails and perm-fails chosen recipients, accepts the rest', async () => {
  await withSink({ tempFail: ['busy@remote.test'], permFail: /^gone@/ }, async (sink) => {
    const info = await transport(sink.port).sendMail({ from: 'a@c.test', to: ['ok@remote.test', 'busy@remote.test', 'gone@remote.test'], text: 'x' });
    assert.deepEqual(info.accepted, ['ok@remote.test']);
    assert.deepEqual([...info.rejected].sort(), ['busy@remote.test', 'gone@remote.test']);
    const codes = Object.fromEntries(sink.events.filter((e) => e.stage === 'rcpt').map((e) => [e.arg, e.code]));
    assert.deepEqual(codes, { 'ok@remote.test': 250, 'busy@remote.test': 451, 'gone@remote.test': 550 });
    assert.deepEqual(sink.messages[0].to, ['ok@remote.test']);
  });
});

test('temp-fails all recipients: nothing recorded, 451 seen by the client', async () => {
  await withSink({ tempFail: 'all' }, async (sink) => {
    await assert.rejects(transport(sink.port).sendMail({ from: 'a@c.test', to: 'x@remote.test', text: 'x' }), (e: { responseCode?: number }) => e.responseCode === 451);
    assert.equal(sink.messages.length, 0);
  });
});

test('greylisting: first attempt 451 4.7.1, retry accepted', async () => {
  await withSink({ greylist: true }, async (sink) => {
    const t = transport(sink.port);
    const mail = { from: 'a@c.test', to: 'x@remote.test', text: 'x' };
    await assert.rejects(t.sendMail(mail), (e: { response?: string }) => /^451 4\.7\.1/.test(e.response ?? ''));
    const info = await t.sendMail(mail);
    assert.deepEqual(info.accepted, ['x@remote.test']);
    assert.equal(sink.messages.length, 1);
  });
});

test('slow at each stage and fails DATA when told to', async () => {
  await withSink({ delays: { greeting: 300, mail: 100, rcpt: 100, data: 200 }, failData: 'temp' }, async (sink) => {
    const t0 = performance.now();
    await assert.rejects(transport(sink.port).sendMail({ from: 'a@c.test', to: 'x@remote.test', text: 'x' }), (e: { responseCode?: number }) => e.responseCode === 451);
    assert.ok(performance.now() - t0 >= 680, `took ${performance.now() - t0} ms`);
    assert.deepEqual(sink.events.filter((e) => e.stage === 'data').map((e) => e.code), [451]);
  });
});

test('STARTTLS required: MAIL in clear gets 530, after STARTTLS accepted', async () => {
  await withSink({ tls: 'require' }, async (sink) => {
    await assert.rejects(transport(sink.port, { ignoreTLS: true }).sendMail({ from: 'a@c.test', to: 'x@remote.test', text: 'x' }), (e: { responseCode?: number }) => e.responseCode === 530);
    await transport(sink.port, { requireTLS: true }).sendMail({ from: 'a@c.test', to: 'x@remote.test', text: 'x' });
    assert.equal(sink.messages[0].secure, true);
  });
});

test('AUTH required: swaks with the right and the wrong password', async (t) => {
  try {
    await run('swaks', ['--version']);
  } catch {
    if (process.env.CI) assert.fail('swaks missing in CI');
    t.skip('swaks not installed');
    return;
  }
  await withSink({ tls: 'none', auth: { users: { bob: 'secret' }, required: true } }, async (sink) => {
    const base = ['--server', '127.0.0.1', '--port', String(sink.port), '--from', 'bob@c.test', '--to', 'x@remote.test', '--timeout', '5', '--auth', 'PLAIN', '--auth-user', 'bob'];
    await run('swaks', [...base, '--auth-password', 'secret']);
    await assert.rejects(run('swaks', [...base, '--auth-password', 'wrong']));
    assert.equal(sink.messages.length, 1);
    assert.equal(sink.messages[0].user, 'bob');
    assert.deepEqual(sink.events.filter((e) => e.stage === 'auth').map((e) => e.code), [235, 535]);
  });
});

test('waitFor rejects on timeout with a count', async () => {
  await withSink({}, async (sink) => {
    await assert.rejects(sink.waitFor(1, 100), /0 of 1 messages/);
  });
});
