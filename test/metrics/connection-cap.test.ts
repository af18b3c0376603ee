// The metrics listener's connection caps (security review 3, follow-up): it had none, so one client (on the
// loopback, or anywhere when [listen] metrics is opened) could hold thousands of half-sent scrapes, each a
// descriptor of the process that runs SMTP and IMAP. A real `tegami serve` with [web] max_connections_per_ip = 3
// (the web listeners' caps, reused): three connections that never finish their request are held, curl's fourth is
// closed at once and logged, and once one of the three goes curl's scrape is answered. SMTP answers all along.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { logText, until } from '../outbound/helpers.js';

describe('metrics connection caps', { timeout: 120_000 }, () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ listeners: ['smtp', 'metrics'], toml: ['[web]', 'max_connections_per_ip = 3'].join('\n') });
  });
  after(async () => {
    await srv?.stop();
  });

  const scrape = () => run('curl', ['-s', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${srv.ports.metrics}/healthz`]);

  it('holds three half-sent requests from one client, closes the fourth connection at once, and answers again when one ends', async (t) => {
    if (!requireCommand(t, 'curl') || !requireCommand(t, 'swaks')) return;
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const s = net.connect({ host: '127.0.0.1', port: srv.ports.metrics });
        s.on('error', () => {});
        await new Promise<void>((resolve, reject) => {
          s.once('connect', () => resolve());
          s.once('close', () => reject(new Error(`held connection ${i + 1} was closed`)));
        });
        s.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // the request never ends
        held.push(s);
      }
      // the server accepts the held connections asynchronously: a first scrape that is answered is not yet a failure
      await until('the held connections counted', async () => ((await scrape()).stdout !== '200' ? true : undefined), 120_000);
      await until('the refusal in the log', () => /connection-refused[^\n]*listener=metrics[^\n]*ip=127\.0\.0\.1[^\n]*from this client/.test(logText(srv, 'web')) || undefined, 120_000);
      assert.ok(held.every((s) => !s.destroyed), 'the three held connections are still open');
      const smtp = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--quit-after', 'EHLO', '--timeout', '20']);
      assert.match(smtp.stdout, /<- {2}250 /, 'SMTP answers meanwhile');
      held.pop()!.destroy();
      const served = await until('a scrape once a slot is free', async () => ((await scrape()).stdout === '200' ? true : undefined), 120_000);
      assert.ok(served);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
