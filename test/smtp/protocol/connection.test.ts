// The SMTP session layer (engine/smtp/protocol/connection.ts) over real sockets, with hooks that record what
// they were asked: a pipelined batch gets its replies in order in one write; a command line of 1 MB before
// login is refused with 421 and the connection closed, with nothing of it kept; commands pipelined after
// STARTTLS in plaintext are never run, inside TLS or before it (RFC 3207 §5, command injection); a message
// arrives whole and unstuffed however the client cut it, and the commands after it run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { SmtpConnection } from '../../../engine/smtp/protocol/connection.js';
import type { SmtpOptions, SmtpSession } from '../../../engine/smtp/protocol/types.js';
import { loadOrCreateCertificate } from '../../../engine/tls/certificate.js';
import { serverTlsOptions } from '../../../engine/net/tls.js';
import { RawSmtp } from '../../helpers/smtp-client.js';

interface Harness {
  port: number;
  calls: string[];
  messages: Buffer[];
  /** Every socket write the server made, as text, per connection in accept order. */
  writes: string[][];
  conns: SmtpConnection[];
  close(): Promise<void>;
}

let context: tls.SecureContext;

before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-smtp-protocol-'));
  const pair = await loadOrCreateCertificate({ dataDir: dir, hostname: 'mx.example.test' });
  fs.rmSync(dir, { recursive: true, force: true });
  context = tls.createSecureContext(serverTlsOptions(pair));
});

async function harness(over: Partial<SmtpOptions> = {}): Promise<Harness> {
  const calls: string[] = [];
  const messages: Buffer[] = [];
  const writes: string[][] = [];
  const conns: SmtpConnection[] = [];
  const later = (f: () => void) => setTimeout(f, 5); // every hook answers asynchronously, like the policy's
  const o: SmtpOptions = {
    name: 'mx.example.test',
    secure: false,
    tls: { secureContext: context },
    size: 1_000_000,
    authMethods: ['PLAIN'],
    authOptional: true,
    authMethodsFor: () => ['PLAIN'],
    onSaslStart: () => ({ start: async () => ({ code: 535, message: '5.7.8 no' }), respond: async () => ({ code: 535, message: '5.7.8 no' }) }),
    greetingDelay: 0,
    socketTimeout: 60_000,
    maxLineLength: 16 * 1024,
    closing: () => false,
    onConnect: (_s, done) => later(() => done()),
    onSecure: () => calls.push('secure'),
    onClose: () => calls.push('close'),
    onMailFrom: (a, _s, done) => {
      calls.push(`mail ${a.address}`);
      later(() => done());
    },
    onRcptTo: (a, _s, done) => {
      calls.push(`rcpt ${a.address}`);
      later(() => done());
    },
    onData: (stream, _s: SmtpSession, done) => {
      const read = async () => {
        const parts: Buffer[] = [];
        for await (const b of stream) parts.push(b);
        messages.push(Buffer.concat(parts));
      };
      read().then(() => done(null, 'Ok: queued'), (e: Error) => done(e));
    },
    onVrfy: (_a, _s, reply) => reply(252, 'maybe'),
    onError: () => {},
    ...over,
  };
  const server = net.createServer((socket) => {
    const mine: string[] = [];
    writes.push(mine);
    const write = socket.write.bind(socket) as (d: string | Buffer) => boolean;
    socket.write = ((d: string | Buffer) => {
      mine.push(d.toString());
      return write(d);
    }) as typeof socket.write;
    conns.push(new SmtpConnection(socket, o, `s${conns.length}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    calls,
    messages,
    writes,
    conns,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const hs: Harness[] = [];
after(async () => {
  for (const h of hs) await h.close();
});

async function start(over: Partial<SmtpOptions> = {}): Promise<Harness> {
  const h = await harness(over);
  hs.push(h);
  return h;
}

describe('the SMTP session layer', () => {
  it('answers a pipelined batch in order, in one write, after hooks that answer later', async () => {
    const h = await start();
    const c = await RawSmtp.connect(h.port);
    assert.equal((await c.reply()).code, 220);
    c.write('EHLO client.example\r\nMAIL FROM:<a@example.test> BODY=8BITMIME\r\nRCPT TO:<b@example.test> NOTIFY=SUCCESS,FAILURE\r\nRCPT TO:<c@example.test>\r\nNOOP\r\nDATA\r\n');
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push(await c.reply());
    assert.deepEqual(replies.map((r) => r.code), [250, 250, 250, 250, 250, 354]);
    assert.match(replies[0].lines[0], /^250-mx\.example\.test Nice to meet you, \[127\.0\.0\.1\]$/);
    assert.ok(replies[0].lines.includes('250-PIPELINING') && replies[0].lines.includes('250-STARTTLS'));
    assert.equal(replies[1].text, '250 2.1.0 Accepted');
    assert.equal(replies[2].text, '250 2.1.5 Accepted');
    const batch = h.writes[0].slice(1); // after the greeting
    assert.equal(batch.length, 1, `one write for the batch, got ${JSON.stringify(batch)}`);
    assert.deepEqual(h.calls, ['mail a@example.test', 'rcpt b@example.test', 'rcpt c@example.test']);
    c.write('Subject: x\r\n\r\n..dot\r\n.\r\nQUIT\r\n');
    assert.equal((await c.reply()).text, '250 2.6.0 Ok: queued');
    assert.equal((await c.reply()).text, '221 2.0.0 Bye');
    assert.equal(h.messages[0].toString(), 'Subject: x\r\n\r\n.dot\r\n');
    c.close();
  });

  it('a message cut at every byte into separate writes arrives whole, and the command after it runs', async () => {
    const h = await start();
    const c = await RawSmtp.connect(h.port);
    await c.reply();
    for (const line of ['EHLO a.example', 'MAIL FROM:<>', 'RCPT TO:<b@example.test>', 'DATA']) assert.ok((await c.cmd(line)).code < 400);
    const wire = Buffer.from('A: b\r\n\r\n..\r\n\r\n...\r\nend\r\n.\r\nNOOP\r\n');
    for (const b of wire) {
      c.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).text, '250 2.0.0 OK');
    assert.equal(h.messages[0].toString(), 'A: b\r\n\r\n.\r\n\r\n..\r\nend\r\n');
    c.close();
  });

  it('a 1 MB line before login gets 421 and the close, and is never kept whole', async () => {
    const h = await start();
    const c = await RawSmtp.connect(h.port);
    await c.reply();
    const chunk = Buffer.alloc(64 * 1024, 'A');
    let held = 0;
    for (let i = 0; i < 16 && !c.closed; i++) {
      c.write(chunk);
      await new Promise((r) => setTimeout(r, 2));
      const input = (h.conns[0] as unknown as { input: Buffer | null }).input;
      held = Math.max(held, input?.length ?? 0);
    }
    const r = await c.reply();
    assert.equal(r.text, '421 4.4.2 Error: Command line too long');
    assert.ok(held <= 16 * 1024 + chunk.length, `held ${held} bytes`);
    for (let i = 0; i < 1200 && !c.closed; i++) await new Promise((r2) => setTimeout(r2, 100));
    assert.ok(c.closed, 'the connection was closed');
  });

  it('commands pipelined after STARTTLS in plaintext never run, and TLS starts a new session', async () => {
    const h = await start();
    const c = await RawSmtp.connect(h.port);
    await c.reply();
    await c.cmd('EHLO a.example');
    c.write('STARTTLS\r\nMAIL FROM:<evil@example.test>\r\nRCPT TO:<victim@example.test>\r\n');
    assert.equal((await c.reply()).text, '220 2.0.0 Ready to start TLS');
    await c.startTls();
    // the injected MAIL did not run before or inside TLS: no transaction, and the HELO was forgotten too
    assert.equal((await c.cmd('RCPT TO:<b@example.test>')).text, '503 5.5.1 Error: send HELO/EHLO first');
    const e = await c.cmd('EHLO a.example');
    assert.equal(e.code, 250);
    assert.ok(!e.lines.includes('250-STARTTLS') && !e.lines.includes('250 STARTTLS'), 'no STARTTLS inside TLS');
    assert.equal((await c.cmd('RCPT TO:<b@example.test>')).text, '503 5.5.1 Error: need MAIL command');
    assert.deepEqual(h.calls, ['secure']);
    assert.equal((await c.cmd('STARTTLS')).text, '503 5.5.1 Error: TLS already active');
    c.close();
  });

  it('thousands of pipelined commands whose hooks answer at once are all answered, in order', async () => {
    const h = await start();
    const c = await RawSmtp.connect(h.port);
    await c.reply();
    const n = 5000;
    c.write(Array.from({ length: n }, (_, i) => `VRFY u${i}\r\n`).join('') + 'QUIT\r\n');
    for (let i = 0; i < n; i++) assert.equal((await c.reply()).text, '252 2.1.5 maybe', `reply ${i}`);
    assert.equal((await c.reply()).code, 221);
    c.close();
  });

  it('a client that pipelines without reading its replies stops being read: the replies do not pile up', async () => {
    const h = await start();
    const c = await RawSmtp.connect(h.port);
    await c.reply();
    c.socket.pause(); // never reads again
    const batch = Buffer.from('HELP\r\n'.repeat(100_000)); // 600 KB of commands, 6 MB of replies
    const total = batch.length * 10;
    for (let i = 0; i < 10; i++) c.write(batch);
    const server = h.conns[0].socket;
    // wait until the server has stopped reading: its count of bytes read stays the same for a second
    let last = -1;
    let same = 0;
    for (let i = 0; i < 1200 && same < 10; i++) {
      await new Promise((r) => setTimeout(r, 100));
      same = server.bytesRead === last ? same + 1 : 0;
      last = server.bytesRead;
    }
    assert.ok(server.bytesRead < total, `the server stopped reading (${server.bytesRead} of ${total} bytes read)`);
    assert.ok(server.writableLength < 256 * 1024, `replies queued in the server: ${server.writableLength} bytes`);
    c.close();
  });

  it('a client that does not read its replies is closed after the idle timeout, though it drips a byte now and then', async () => {
    // security review 10: each dripped byte restarted the idle timer, and no command line is timed while replies
    // wait, so the connection (and the megabytes of replies in its socket) was held for as long as the drip went on
    const h = await start({ socketTimeout: 1500 });
    const c = await RawSmtp.connect(h.port);
    await c.reply();
    c.socket.pause(); // never reads again
    const conn = h.conns[0] as unknown as { draining: boolean; paused: boolean };
    const server = h.conns[0].socket;
    const batch = Buffer.from('HELP\r\n'.repeat(1000)); // 60 KB of replies each
    for (let i = 0; i < 2000 && !conn.draining; i++) {
      c.write(batch);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(conn.draining, 'the server waits for the client to read');
    assert.ok(!conn.paused, 'the server still reads the socket (its input is small): every byte it reads is activity');
    for (let i = 0; i < 200 && !server.destroyed; i++) {
      c.write('X');
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(server.destroyed, 'closed while the client kept dripping (60 s, forty idle timeouts)');
    c.close();
  });

  it('a client that half-closes after a pipelined transaction gets every reply, then the close', async () => {
    // security review 10: the FIN came while MAIL's hook worked, Node ended our side, and no reply was written —
    // though the message was received: the client would send it again
    const h = await start();
    const c = await RawSmtp.connect(h.port);
    await c.reply();
    c.write('EHLO a.example\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nSubject: half\r\n\r\nbody\r\n.\r\nQUIT\r\n');
    c.socket.end();
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await c.reply()).code);
    assert.deepEqual(codes, [250, 250, 250, 354, 250, 221]);
    assert.equal(h.messages[0].toString(), 'Subject: half\r\n\r\nbody\r\n');
    for (let i = 0; i < 1200 && !c.closed; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(c.closed, 'closed after the last reply');
  });

  it('a client that half-closes inside a message or a line is closed, and the cut message is not received', async () => {
    const h = await start();
    for (const tail of ['DATA\r\nSubject: cut\r\n\r\nno final dot\r\n', 'NOOP\r\nRSET']) {
      const c = await RawSmtp.connect(h.port);
      await c.reply();
      c.write(`EHLO a.example\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n${tail}`);
      c.socket.end();
      for (let i = 0; i < 1200 && !c.closed; i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(c.closed, `closed (${JSON.stringify(tail)})`);
    }
    assert.equal(h.messages.length, 0);
  });

  it('a client that talks before the greeting is refused', async () => {
    const h = await start({ greetingDelay: 300 });
    const c = await RawSmtp.connect(h.port);
    c.write('EHLO early.example\r\n');
    assert.equal((await c.reply()).text, '421 mx.example.test You talk too soon');
    c.close();
  });
});
