// An http target's access token (a query value, as status pages take it) is the operator's secret: it is used
// for the check and never shown (docs/security-review-5.md, finding 2). Before, the whole URL went into every
// monitor log line, `tegami status`, the dashboard, and the body of each alert: the webhook's JSON and the alert
// mail, which often go to a third party's chat or paging service. A real `tegami serve` checks a local HTTP
// server that answers 200 only with the token, then 503; a webhook receiver and a mail sink take the alerts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { BIN, run, startTestServer, type TestServer } from '../helpers/server.js';
import type { StatusDocument } from '../../engine/metrics/status.js';
import { shownTarget } from '../../engine/monitor/monitor.js';

const TOKEN = 'tok-3f9a61c2d84e';

let srv: TestServer | undefined;
let mail: Sink | undefined;
const servers: http.Server[] = [];
after(async () => {
  await srv?.stop();
  await mail?.close();
  for (const s of servers) s.close();
});

async function listen(handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as net.AddressInfo).port;
}

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('an http target token is used for the check but is in no log line, status, alert webhook or alert mail', async () => {
  let healthy = true;
  let sawToken = false;
  const statusPort = await listen((req, res) => {
    const ok = new URL(req.url ?? '/', 'http://x').searchParams.get('token') === TOKEN;
    sawToken ||= ok;
    res.writeHead(ok && healthy ? 200 : 503).end();
  });
  const hooks: string[] = [];
  const hookPort = await listen((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hooks.push(body);
      res.writeHead(204).end();
    });
  });
  mail = await startSink({ tls: 'none' });
  srv = await startTestServer({
    listeners: ['smtp'],
    toml: [
      '[[monitor]]',
      'name = "status-page"',
      'check = "http"',
      `target = "http://127.0.0.1:${statusPort}/health?token=${TOKEN}&region=jp"`,
      'interval = "300ms"',
      'timeout = "5s"',
      'failures = 2',
      '[alerts]',
      'mail_to = ["ops@example.test"]',
      `smarthost = "${mail.address}"`,
      'smarthost_tls = "none"',
      `webhooks = ["http://127.0.0.1:${hookPort}/hook"]`,
      'webhook_secret = "s3cret-for-signing"',
      'webhook_backoff = "100ms"',
    ].join('\n'),
  });
  const cli = (args: string[]) => run(process.execPath, [BIN, ...args, '--config', srv!.configPath], { timeoutMs: 60_000 });
  const status = async () => JSON.parse((await cli(['status', '--json'])).stdout) as StatusDocument;
  await until('up', async () => (await status()).monitor[0]?.state === 'up');
  assert.ok(sawToken, 'the check sent the token');
  healthy = false;
  await until('down webhook', () => hooks.find((h) => /"event":"down"/.test(h)));
  await mail.waitFor(1, 120_000);

  const doc = await status();
  assert.equal(doc.monitor[0].address, `http://127.0.0.1:${statusPort}/health?token=…&region=…`);
  const logs = path.join(srv.dataDir, 'logs');
  const logText = fs.readdirSync(logs).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('');
  assert.match(logText, /down target=status-page/);
  const seen = {
    log: logText,
    status: JSON.stringify(doc) + (await cli(['status'])).stdout,
    webhook: hooks.join('\n'),
    mail: mail.messages.map((m) => m.raw.toString('utf8')).join('\n'),
  };
  for (const [where, text] of Object.entries(seen)) assert.ok(!text.includes(TOKEN), `the token is in the ${where}`);
  assert.match(seen.webhook, /health\?token=…/, 'the alert still names the page');
});

test('shownTarget: userinfo and query values go, other checks are shown as written', () => {
  assert.equal(shownTarget({ check: 'http', target: 'https://ops:pw@status.example/a/b?key=1&k2=x#frag' }), 'https://status.example/a/b?key=…&k2=…');
  assert.equal(shownTarget({ check: 'http', target: 'https://status.example/' }), 'https://status.example/');
  assert.equal(shownTarget({ check: 'smtp', target: '127.0.0.1:25' }), '127.0.0.1:25');
});
