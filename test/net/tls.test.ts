// TLS on every listener, in one place (engine/net/tls.ts), checked over real sockets against `tegami serve`:
// OpenSSL's own client is refused TLS 1.1 with a protocol_version alert on SMTP (STARTTLS and 465), POP3
// (STLS and 995) and IMAP (STARTTLS and 993) and gets TLS 1.2 or later by default; and a TLS handshake dripped
// a byte at a time (after STARTTLS/STLS, or on an implicit TLS port) is cut at the handshake deadline on all of
// them, though every byte would restart an idle timer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { LineClient, smtpEnd } from './line-client.js';

type Listener = { name: string; starttls?: 'smtp' | 'pop3' | 'imap' };
const LISTENERS: Listener[] = [
  { name: 'smtp', starttls: 'smtp' },
  { name: 'submissions' },
  { name: 'pop3', starttls: 'pop3' },
  { name: 'pop3s' },
  { name: 'imap', starttls: 'imap' },
  { name: 'imaps' },
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TLS on every listener', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({
      listeners: LISTENERS.map((l) => l.name),
      // a one-second command deadline bounds handshakes; the idle timers are far longer and every dripped byte restarts them
      toml: [
        '[smtp]\ncommand_timeout = "1s"\nsocket_timeout = "5m"',
        '[pop3]\ncommand_timeout = "1s"\nidle_timeout = "10m"',
        '[imap]\ncommand_timeout = "1s"\nidle_timeout = "30m"',
      ].join('\n'),
    });
  });
  after(async () => {
    await srv.stop();
  });

  const sClient = (l: Listener, extra: string[]) =>
    run('openssl', ['s_client', '-connect', `127.0.0.1:${srv.ports[l.name]}`, ...(l.starttls ? ['-starttls', l.starttls] : []), ...extra], { input: '', timeoutMs: 30_000 });

  it('OpenSSL is refused TLS 1.1 with a protocol_version alert everywhere, and gets TLS 1.2 or later by default', async (t) => {
    if (!requireCommand(t, 'openssl')) return;
    for (const l of LISTENERS) {
      // SECLEVEL=0 lets the client offer TLS 1.1 at all; the server must refuse the version itself
      const old = await sClient(l, ['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0']);
      assert.match(old.stdout + old.stderr, /alert protocol version/, `${l.name}: ${old.stdout}${old.stderr}`);
      const now = await sClient(l, []);
      assert.match(now.stdout, /New, TLSv1\.[23],/, `${l.name}: ${now.stdout}`);
    }
  });

  it('a TLS handshake dripped a byte at a time is cut at the deadline on every listener, implicit TLS or after STARTTLS', async () => {
    // the start of a ClientHello record announcing 512 bytes, then a slow trickle that never completes it
    const record = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), Buffer.alloc(89, 0x41)]);
    const results = await Promise.all(
      LISTENERS.map(async (l) => {
        const c = await LineClient.connect(srv.ports[l.name]);
        if (l.starttls === 'smtp') {
          await c.until(smtpEnd);
          await c.cmd('EHLO dripper.example.net', smtpEnd);
          assert.match((await c.cmd('STARTTLS'))[0], /^220 /);
        } else if (l.starttls === 'pop3') {
          await c.line();
          assert.match((await c.cmd('STLS'))[0], /^\+OK/);
        } else if (l.starttls === 'imap') {
          await c.line();
          assert.match((await c.cmd('a STARTTLS'))[0], /^a OK/);
        }
        // 100 bytes, one every 200 ms: 20 s of dripping, far past the 1 s deadline
        for (let i = 0; i < record.length && !c.closed; i++) {
          c.send(record.subarray(i, i + 1).toString('latin1'));
          await sleep(200);
        }
        const cut = c.closed;
        c.close();
        return { name: l.name, cut };
      }),
    );
    assert.deepEqual(results.filter((r) => !r.cut).map((r) => r.name), [], 'listeners that let a dripped handshake go on');
    const logs = path.join(srv.dataDir, 'logs');
    const text = fs.readdirSync(logs).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('');
    assert.match(text, /WARN timeout .*phase=tls/);
  });
});
