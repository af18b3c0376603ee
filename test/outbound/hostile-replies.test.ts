// A receiving server is anybody's: its replies are bounded before they are kept. Nodemailer passes on up to
// 1 MB per reply, and each recipient's reply went into the queue's state, the logs and the bounce, so a
// server answering RCPT with a long multi-line 550 made one 20-recipient message a 91 MB bounce in the
// sender's mailbox (past max_message_size) and ~700 MB of the server's memory at 100 recipients (security
// review 4). Now a reply is kept as one line of at most MAX_REPLY_CHARS, and one longer than 64 KB fails the
// session (temporary, the message stays queued) instead of being read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { logText, message, queueList, setup, submit, until, type Setup } from './helpers.js';

/** Answers RCPT of long@ with a ~40 KB multi-line 550, of huge@ with ~200 KB, of drip@ with a reply that
 *  never ends, a byte every 250 ms (never silent long enough for the command timeout); accepts nothing else. */
async function hostileMta(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const line = (code: string, sep: string, i: number) => `${code}${sep}5.1.1 ${String(i).padStart(6, '0')} ${'X'.repeat(60)}\r\n`;
  const longReply = (lines: number) => {
    let out = '';
    for (let i = 0; i < lines; i++) out += line('550', '-', i);
    return out + '550 5.1.1 no such user here\r\n';
  };
  const server = net.createServer((c) => {
    sockets.add(c);
    let drip: NodeJS.Timeout | undefined;
    c.on('close', () => {
      sockets.delete(c);
      clearInterval(drip);
    });
    c.on('error', () => undefined);
    let buf = '';
    c.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let nl = buf.indexOf('\r\n'); nl >= 0 && !c.destroyed; nl = buf.indexOf('\r\n')) {
        const cmd = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = cmd.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') c.write('250-hostile.lab.example.test\r\n250 8BITMIME\r\n');
        else if (verb === 'RCPT' && /drip@/i.test(cmd)) {
          c.write('451-4.7.1 please wait ');
          drip = setInterval(() => c.write('.'), 250);
        } else if (verb === 'RCPT') c.write(/huge/i.test(cmd) ? longReply(2_800) : longReply(560));
        else if (verb === 'QUIT') c.end('221 2.0.0 Bye\r\n');
        else c.write('250 2.0.0 Ok\r\n');
      }
    });
    c.write('220 hostile.lab.example.test ESMTP\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const c of sockets) c.destroy();
        server.close(() => r());
      }),
  };
}

let mta: Awaited<ReturnType<typeof hostileMta>>;
let s: Setup;

before(async () => {
  mta = await hostileMta();
  s = await setup({
    mxPort: mta.port,
    records: [
      { name: 'hostile.test', type: 'MX', data: '10 mx.hostile.test' },
      { name: 'mx.hostile.test', type: 'A', data: '127.0.0.1' },
    ],
    // a short command timeout, so the dripping server's transaction deadline (4 of them) comes within the test
    toml: ['[queue]', 'retry_schedule = ["1h"]', '[outbound]', 'command_timeout = "5s"', 'connect_timeout = "15s"'].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await mta?.close();
});

test('long multi-line refusals make a bounce of bounded size that still quotes them', async () => {
  const rcpts = Array.from({ length: 20 }, (_, i) => `long${i}@hostile.test`);
  const r = await submit(s.srv.ports.smtp, 'alice@example.test', rcpts, message('alice@example.test', rcpts[0], 'to a hostile server'));
  assert.equal(r.code, 250);
  const file = await s.srv.waitForMessage('alice@example.test', 'long19@hostile.test', 120_000);
  const bounce = fs.readFileSync(file, 'latin1');
  // each recipient's reply is quoted (its first line and the cut note), never the whole 40 KB
  assert.match(bounce, /550-5\.1\.1 000000 X{60}/);
  assert.match(bounce, /reply cut: \d+ characters/);
  assert.ok(bounce.length < 100_000, `the bounce is ${bounce.length} octets`);
  assert.ok(logText(s.srv).length < 200_000, 'the delivery log does not carry the replies whole');
});

test('a reply over 64 KB fails the session: the message stays queued, nothing of the reply is kept', async () => {
  const r = await submit(s.srv.ports.smtp, 'alice@example.test', ['huge@hostile.test'], message('alice@example.test', 'huge@hostile.test', 'huge reply'));
  assert.equal(r.code, 250);
  const queued = await until('huge@ deferred', async () => (await queueList(s.srv)).find((m) => m.recipients[0]?.address === 'huge@hostile.test' && m.state === 'deferred'), 120_000, 200);
  assert.ok(JSON.stringify(queued).length < 10_000, `the queue entry is ${JSON.stringify(queued).length} characters`);
  // the main thread's log line may land just after the state: polled
  await until('the cut logged', () => /response exceeds maximum allowed size/i.test(logText(s.srv)), 120_000, 200);
  assert.ok(!s.srv.maildir('alice@example.test').some((f) => fs.readFileSync(f, 'latin1').includes('huge@hostile.test')), 'no bounce for a temporary failure');
});

test('a server that drips its reply for ever meets the transaction deadline: deferred, the session closed', async () => {
  const r = await submit(s.srv.ports.smtp, 'alice@example.test', ['drip@hostile.test'], message('alice@example.test', 'drip@hostile.test', 'dripped'));
  assert.equal(r.code, 250);
  await until('drip@ deferred', async () => (await queueList(s.srv)).find((m) => m.recipients[0]?.address === 'drip@hostile.test' && m.state === 'deferred'), 300_000, 200);
  // the log line is written by the main thread's logger, which may land just after the state: polled too
  await until('the deadline logged', () => /transaction deadline/.test(logText(s.srv)), 120_000, 200);
});
