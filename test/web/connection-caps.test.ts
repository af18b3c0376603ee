// The web servers' connection caps (security review 3): every open connection to the webmail costs the one process
// that also runs SMTP and IMAP a descriptor and ~60 KB, and one client could hold thousands of half-sent requests
// (1,500 took 88 MB and 1,500 descriptors on the old code, none closed). A real `tegami serve` with
// [web] max_connections_per_ip = 4: four TLS connections that never finish their request are held, curl's fifth is
// closed before TLS and logged, and once one of the four goes, curl gets its page. SMTP answers all along.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { logText, until } from '../outbound/helpers.js';

describe('web connection caps', { timeout: 120_000 }, () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ listeners: ['smtp', 'webmail'], toml: ['[web]', 'max_connections_per_ip = 4'].join('\n') });
  });
  after(async () => {
    await srv?.stop();
  });

  const page = () => run('curl', ['-sk', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${srv.ports.webmail}/login`]);

  it('holds four half-sent requests from one client, closes the fifth connection at once, and serves again when one ends', async (t) => {
    if (!requireCommand(t, 'curl') || !requireCommand(t, 'swaks')) return;
    const held: tls.TLSSocket[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const s = tls.connect({ host: '127.0.0.1', port: srv.ports.webmail, rejectUnauthorized: false });
        s.on('error', () => {});
        await new Promise<void>((resolve, reject) => {
          s.once('secureConnect', () => resolve());
          s.once('close', () => reject(new Error(`held connection ${i + 1} was closed`)));
        });
        s.write('GET /login HTTP/1.1\r\nHost: mx.example.test\r\n'); // the request never ends
        held.push(s);
      }
      const refused = await page();
      assert.notEqual(refused.stdout, '200', `a fifth connection from the same client was served: ${refused.stdout} ${refused.stderr}`);
      await until('the refusal in the log', () => /connection-refused[^\n]*listener=webmail[^\n]*ip=127\.0\.0\.1[^\n]*from this client/.test(logText(srv, 'web')) || undefined, 120_000);
      assert.ok(held.every((s) => !s.destroyed), 'the four held connections are still open');
      const smtp = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--quit-after', 'EHLO', '--timeout', '20']);
      assert.match(smtp.stdout, /<- {2}250 /, 'SMTP answers meanwhile');
      held.pop()!.destroy();
      const served = await until('a page once a slot is free', async () => ((await page()).stdout === '200' ? true : undefined), 120_000);
      assert.ok(served);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
