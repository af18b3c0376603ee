// The monitor in a running tegami: a lab peer MTA is watched ([[monitor]] smtp check); when it is stopped
// the "down" alert arrives by mail at a lab sink (through [alerts] smarthost, not tegami's own SMTP) and
// by webhook at a real local HTTP server — signed with HMAC-SHA256, retried after the receiver's first
// 500 — and when the peer comes back the "up again" alert follows on both. `tegami status --json` shows
// the state and its history, /metrics the target's state and the alerts, and `tegami monitor test`
// sends a test alert on every channel.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { BIN, run, startTestServer, type TestServer } from '../helpers/server.js';
import type { StatusDocument } from '../../engine/metrics/status.js';
import { sample, scrapeUntil } from '../metrics/helpers.js';

const SECRET = 'webhook-secret-署名';

interface Hook {
  event: string;
  target: string;
  detail: string;
  signatureOk: boolean;
}

/** A webhook receiver that checks each signature and answers 500 to the very first request. */
async function receiver(): Promise<{ url: string; hooks: Hook[]; requests: number; close(): void }> {
  const state = { hooks: [] as Hook[], requests: 0 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      state.requests++;
      if (state.requests === 1) {
        res.writeHead(500).end('not yet');
        return;
      }
      const ts = String(req.headers['x-tegami-timestamp']);
      const expected = `sha256=${crypto.createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
      const got = String(req.headers['x-tegami-signature']);
      const signatureOk = got.length === expected.length && crypto.timingSafeEqual(Buffer.from(got), Buffer.from(expected));
      const j = JSON.parse(body) as { event: string; target: string; detail: string };
      state.hooks.push({ event: j.event, target: j.target, detail: j.detail, signatureOk });
      res.writeHead(signatureOk ? 204 : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`,
    hooks: state.hooks,
    get requests() {
      return state.requests;
    },
    close: () => server.close(),
  };
}

async function until<T>(what: string, fn: () => T | undefined | false, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const subjects = (s: Sink) => s.messages.map((m) => /^Subject: (.*)$/m.exec(m.raw.toString('utf8'))?.[1] ?? '');

describe('the monitor, end to end', () => {
  let srv: TestServer | undefined;
  let peer: Sink | undefined;
  let mail: Sink | undefined;
  let hooks: Awaited<ReturnType<typeof receiver>> | undefined;
  after(async () => {
    await srv?.stop();
    await peer?.close();
    await mail?.close();
    hooks?.close();
  });

  it('a lab peer stopped and started again: down and up alerts by mail and by signed webhook', async () => {
    peer = await startSink();
    mail = await startSink({ tls: 'none' });
    hooks = await receiver();
    const peerPort = peer.port;
    srv = await startTestServer({
      listeners: ['smtp', 'metrics'],
      toml: [
        '[[monitor]]',
        'name = "peer-mx"',
        'check = "smtp"',
        `target = "127.0.0.1:${peerPort}"`,
        'interval = "300ms"',
        'timeout = "2s"',
        'failures = 2',
        '[alerts]',
        'mail_to = ["ops@example.test"]',
        'mail_from = "monitor@mx.example.test"',
        `smarthost = "${mail.address}"`,
        'smarthost_tls = "none"',
        `webhooks = ["${hooks.url}"]`,
        `webhook_secret = "${SECRET}"`,
        'webhook_backoff = "100ms"',
        'webhook_retries = 3',
      ].join('\n'),
    });
    // the CLI runs asynchronously throughout: the peer, the sink and the receiver live in this process
    const cli = (args: string[]) => run(process.execPath, [BIN, ...args, '--config', srv!.configPath], { timeoutMs: 60_000 });
    const status = async () => JSON.parse((await cli(['status', '--json'])).stdout) as StatusDocument;
    const end = Date.now() + 30_000;
    while ((await status()).monitor[0]?.state !== 'up' && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    assert.equal(mail.messages.length, 0, 'up at start is no alert');

    await peer.close();
    await mail.waitFor(1, 120_000);
    assert.match(subjects(mail)[0], /^\[tegami mx\.example\.test\] peer-mx is DOWN$/);
    const text = mail.messages[0].raw.toString('utf8');
    assert.match(text, new RegExp(`check: +smtp 127\\.0\\.0\\.1:${peerPort}`));
    assert.match(text, /failures in a row: 2/);
    assert.deepEqual(mail.messages[0].to, ['ops@example.test']);
    const down = await until('down webhook', () => hooks!.hooks.find((h) => h.event === 'down'));
    assert.equal(down.target, 'peer-mx');
    assert.equal(down.signatureOk, true);
    assert.ok(hooks.requests >= 2, 'the first answer was 500: the alert was retried');

    peer = await startSink({ port: peerPort });
    await mail.waitFor(2, 120_000);
    assert.match(subjects(mail)[1], /peer-mx is UP again$/);
    const up = await until('up webhook', () => hooks!.hooks.find((h) => h.event === 'up'));
    assert.match(up.detail, /^220 /);
    assert.ok(hooks.hooks.every((h) => h.signatureOk));

    const t = (await status()).monitor[0];
    assert.equal(t.state, 'up');
    assert.deepEqual(
      t.history.map((h) => `${h.from}→${h.to}`),
      ['unknown→up', 'up→down', 'down→up'],
    );
    assert.ok(t.checks.some((c) => !c.ok) && t.last_check?.ok);
    const m = await scrapeUntil(srv.ports.metrics, (x) => sample(x, 'tegami_monitor_target_up', { target: 'peer-mx' }) === 1);
    assert.equal(sample(m, 'tegami_monitor_target_up', { target: 'peer-mx' }), 1);
    assert.equal(sample(m, 'tegami_monitor_alerts_total', { channel: 'mail', result: 'sent' }), 2);
    assert.equal(sample(m, 'tegami_monitor_alerts_total', { channel: 'webhook', result: 'sent' }), 2);
    assert.ok((sample(m, 'tegami_monitor_alerts_total', { channel: 'webhook', result: 'retried' }) ?? 0) >= 1);
    assert.ok((sample(m, 'tegami_monitor_checks_total', { target: 'peer-mx', result: 'failed' }) ?? 0) >= 2);
    // the text form shows it too
    assert.match((await cli(['status'])).stdout, /peer-mx +smtp 127\.0\.0\.1:\d+ +UP since/);
  });

  it('tegami monitor test sends a test alert on every channel; monitor check checks every target now', async () => {
    const before = mail!.messages.length;
    // not srv.cli (spawnSync): the sinks and the receiver live in this process and must answer meanwhile
    const cli = (args: string[]) => run(process.execPath, [BIN, ...args, '--config', srv!.configPath], { timeoutMs: 60_000 });
    const r = await cli(['monitor', 'test']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^mail ops@example\.test: sent$/m);
    assert.match(r.stdout, /^webhook http:\/\/127\.0\.0\.1:\d+: sent$/m);
    await mail!.waitFor(before + 1, 120_000);
    assert.match(subjects(mail!).at(-1)!, /test alert$/);
    await until('test webhook', () => hooks!.hooks.find((h) => h.event === 'test'));

    const c = await cli(['monitor', 'check', '--json']);
    assert.equal(c.code, 0, c.stderr);
    const results = JSON.parse(c.stdout) as { name: string; ok: boolean; detail: string }[];
    assert.deepEqual(results.map((x) => [x.name, x.ok]), [['peer-mx', true]]);
    assert.equal((await cli(['monitor', 'nonsense'])).code, 2);
  });
});
