// Slowloris defence over real sockets: a command line dripped a byte at a time, or a message dripped after
// 354, gets "421 4.4.2 <host> Error: timeout exceeded" and a closed connection, not before the configured
// deadline and long before the drip would have ended or the idle timeout (60 s) could fire; the dripped message
// is never delivered, other clients are served meanwhile, and a slow but legitimate client (each line whole
// well within the deadline) is not cut off. How long after the deadline the cut came is not judged: that is
// the machine's speed. The cases run at once, each on its own connections (they mostly wait on the deadlines;
// one after the other they took 40 s), and the log is read after all of them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { misbehave } from '../../lab/peers/clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ehlo, RawSmtp } from '../helpers/smtp-client.js';

// the legitimate client's lines take about 1 s and its message 1.6 s: seconds of slack under these deadlines
const COMMAND_MS = 4000;
const DATA_MS = 5000;
/** How long a test waits for the server to close a dripping session: far below the idle timeout (60 s). */
const CLOSE_WAIT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Write `text` one byte every `gapMs` ms, stopping early when the server closes. */
async function drip(c: RawSmtp, text: string, gapMs: number): Promise<void> {
  for (let i = 0; i < text.length && !c.closed; i++) {
    c.write(text[i]);
    await sleep(gapMs);
  }
}

/** Wait for the connection to close; resolves with ms waited, or -1 if it stayed open for `maxMs`. */
async function closedWithin(c: RawSmtp, maxMs: number): Promise<number> {
  const t0 = Date.now();
  while (!c.closed && Date.now() - t0 < maxMs) await sleep(20);
  return c.closed ? Date.now() - t0 : -1;
}

/** Everything the server sent that the client has not read as a reply yet (the 421 before the close). */
function unread(c: RawSmtp): string {
  return (c as unknown as { buf: string }).buf;
}

async function sendMessage(port: number, to: string, subject: string): Promise<number> {
  const { c } = await ehlo(port);
  assert.equal((await c.cmd('MAIL FROM:<polite@client.example.net>')).code, 250);
  assert.equal((await c.cmd(`RCPT TO:<${to}>`)).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  const end = await c.cmd(`Subject: ${subject}\r\n\r\nserved while another client dripped\r\n.`);
  await c.cmd('QUIT').catch(() => undefined);
  c.close();
  return end.code;
}

describe('SMTP deadlines against slow senders (slowloris)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({
      users: [
        { address: 'alice@example.test', password: 'secret123' },
        { address: 'bobby@example.test', password: 'secret123' },
      ],
      // the idle timeout alone would never fire: every dripped byte resets it
      toml: `[smtp]\nsocket_timeout = "60s"\ncommand_timeout = "${COMMAND_MS}ms"\ndata_timeout = "${DATA_MS}ms"\n`,
    });
  });
  after(async () => {
    await srv.stop();
  });

  describe('each slow sender on its own connections, all at once', { concurrency: true }, () => {
    it('cuts a command line dripped a byte every 150 ms with 421 4.4.2 while another client is served', async (t) => {
      const slow = misbehave('slowloris', { host: '127.0.0.1', port: srv.ports.smtp, maxMs: CLOSE_WAIT_MS, intervalMs: 150, domain: 'example.test' });
      await sleep(300);
      const polite = await sendMessage(srv.ports.smtp, 'alice@example.test', 'polite during slowloris');
      const r = await slow;
      assert.equal(polite, 250, 'a polite client is served while the drip goes on');
      // closed by the server before the client gave up (30 s), so by a deadline: the idle timeout is 60 s
      assert.ok(r.closedByServer, `the server must close the dripping session: ${r.summary}`);
      assert.ok(r.closedAfterMs! >= COMMAND_MS - 100, `not before the deadline: ${r.closedAfterMs} ms`);
      t.diagnostic(`closed ${r.closedAfterMs} ms after connecting (deadline ${COMMAND_MS} ms)`);
      const said = r.transcript.join('\n');
      assert.match(said, /421 4\.4\.2 mx\.example\.test Error: timeout exceeded/, said);
      await srv.waitForMessage('alice@example.test', 'Subject: polite during slowloris');
    });

    it('cuts a command line dripped over TLS (STARTTLS and implicit TLS) too', async () => {
      for (const mode of ['starttls', 'implicit'] as const) {
        const c = await RawSmtp.connect(mode === 'implicit' ? srv.ports.submissions : srv.ports.submission, { tls: mode === 'implicit' });
        await c.reply();
        if (mode === 'starttls') {
          await c.cmd('EHLO client.example.net');
          assert.equal((await c.cmd('STARTTLS')).code, 220);
          await c.startTls();
        }
        const t0 = Date.now();
        // ~18 s of drip: the line is never whole before the deadline cuts it, however slow the server is
        const dripping = drip(c, `EHLO ${'slow.'.repeat(20)}client.example.net\r\n`, 150);
        const waited = await closedWithin(c, CLOSE_WAIT_MS);
        await dripping; // it stops at the close
        assert.ok(waited >= 0, `${mode}: the server must close the dripping session`);
        assert.ok(Date.now() - t0 >= COMMAND_MS - 100, `${mode}: not before the deadline (${Date.now() - t0} ms)`);
        assert.match(unread(c), /^421 4\.4\.2 mx\.example\.test Error: timeout exceeded/m, `${mode}: ${unread(c)}`);
        assert.doesNotMatch(unread(c), /^250/m, `${mode}: cut before the line was whole`);
      }
    });

    it('drops a TLS handshake dripped after STARTTLS at the command deadline', async () => {
      const c = await RawSmtp.connect(srv.ports.smtp);
      await c.reply();
      await c.cmd('EHLO client.example.net');
      await drip(c, 'STARTTLS\r', 50); // split into single bytes, the line must still be recognised
      // the deadline cannot start before the server has the line's last byte: the earliest it may close is measured
      // from just before that byte is sent (not from the 220, which a busy machine may hand over late)
      const t0 = Date.now();
      c.write(Buffer.from('\n'));
      assert.equal((await c.reply()).code, 220);
      // the start of a TLS ClientHello record, a byte at a time
      const hello = Buffer.from('16030100a5010000a10303' + '00'.repeat(40), 'hex');
      const dripping = (async () => {
        for (let i = 0; i < hello.length && !c.closed; i++) {
          c.write(hello.subarray(i, i + 1));
          await sleep(150);
        }
      })();
      // an unfinished ClientHello would wait for the idle timeout (60 s) without the handshake deadline
      const waited = await closedWithin(c, CLOSE_WAIT_MS);
      await dripping; // it stops at the close
      assert.ok(waited >= 0, 'the server must drop the dripped handshake');
      assert.ok(Date.now() - t0 >= COMMAND_MS - 100, `not before the deadline (${Date.now() - t0} ms)`);
    });

    it('discards a message dripped after 354: 421 4.4.2 within the DATA deadline, never acknowledged or delivered', async () => {
      const { c } = await ehlo(srv.ports.smtp);
      assert.equal((await c.cmd('MAIL FROM:<slow@client.example.net>')).code, 250);
      assert.equal((await c.cmd('RCPT TO:<bobby@example.test>')).code, 250);
      assert.equal((await c.cmd('DATA')).code, 354);
      const t0 = Date.now();
      // whole lines, each well within the command deadline: only the DATA deadline can stop this
      const body = 'Subject: dripped\r\n\r\n' + 'line\r\n'.repeat(200) + '.\r\n';
      const dripping = drip(c, body, 100);
      await sleep(500);
      assert.equal(await sendMessage(srv.ports.smtp, 'alice@example.test', 'polite during a dripped DATA'), 250);
      // 1,200 bytes at 100 ms: two minutes of drip, so only the DATA deadline can end it within the wait
      const waited = await closedWithin(c, CLOSE_WAIT_MS);
      const elapsed = Date.now() - t0;
      await dripping;
      assert.ok(waited >= 0, 'the server must close the session');
      assert.ok(elapsed >= DATA_MS - 100, `closed after ${elapsed} ms, not before the deadline (${DATA_MS} ms)`);
      const said = unread(c);
      assert.match(said, /^421 4\.4\.2 mx\.example\.test Error: timeout exceeded/m, said);
      assert.doesNotMatch(said, /^250/m, 'the dripped message must never be acknowledged');
      await sleep(1000);
      assert.equal(srv.maildir('bobby@example.test').length, 0, 'the dripped message must never be delivered');
    });

    it('does not cut a slow but legitimate client: each line whole within the deadline, a session far longer', async () => {
      const c = await RawSmtp.connect(srv.ports.smtp);
      await c.reply();
      const t0 = Date.now();
      const slowCmd = async (line: string) => {
        // about 1 s per line: bytes 120 ms apart at first, the rest in one go
        const head = line.slice(0, 6);
        await drip(c, head, 120);
        await sleep(1000 - head.length * 120);
        c.write(line.slice(head.length) + '\r\n');
        return c.reply();
      };
      assert.equal((await slowCmd('EHLO slow.client.example.net')).code, 250);
      assert.equal((await slowCmd('MAIL FROM:<slow@client.example.net>')).code, 250);
      await sleep(COMMAND_MS + DATA_MS + 300); // idle between commands is the idle timeout's business, not the line deadline's
      assert.equal((await slowCmd('RCPT TO:<alice@example.test>')).code, 250);
      assert.equal((await slowCmd('DATA')).code, 354);
      // the message in four pieces over ~1.5 s, within the DATA deadline
      for (const part of ['Subject: slow but fine\r\n', '\r\n', 'arrived in pieces\r\n', '.\r\n']) {
        await sleep(400);
        c.write(part);
      }
      const end = await c.reply();
      assert.equal(end.code, 250, end.text);
      assert.ok(Date.now() - t0 > 2 * COMMAND_MS + DATA_MS, 'the whole session outlasted every single deadline');
      assert.equal((await c.cmd('QUIT')).code, 221);
      c.close();
      await srv.waitForMessage('alice@example.test', 'Subject: slow but fine');
    });
  });

  it('logs the cuts: the DATA deadline and the command deadline', () => {
    const logs = path.join(srv.dataDir, 'logs');
    const smtpLog = fs.readdirSync(logs).filter((f) => f.startsWith('smtp-')).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('');
    assert.match(smtpLog, /WARN timeout .*phase=data/);
    assert.match(smtpLog, /WARN timeout .*phase=command/);
  });
});
