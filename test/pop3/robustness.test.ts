// POP3 against bad and hostile input on a raw socket: NUL bytes, overlong lines, unknown and out-of-state
// commands, pipelined plaintext after STLS, plaintext logins off loopback, disabled accounts, failed-login
// throttling, the maildrop lock, per-IP virtual hosts (P4), the idle timeout, and the session log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { localDay } from '../../engine/log/logger.js';
import { PASSWORD, RawClient, USER, sampleMessage, startHarness, type Harness } from './harness.js';

let h: Harness;

before(async () => {
  // idle timeout 5 s: a keep-alive every 300 ms stays far inside it even on a busy machine
  h = await startHarness('[pop3]\nidle_timeout = "5s"\n[auth]\nthrottle_after = 2\nmax_delay = "100ms"\nblock_after = 6\nblock_for = "1m"\n[domains]\nby_ip = { "127.0.0.2" = "other.jp" }\n');
  for (let i = 1; i <= 2; i++) await h.deliver(USER, sampleMessage(i));
});
after(() => h.close());

async function login(c: RawClient, user = USER, pass = PASSWORD): Promise<string | null> {
  await c.cmd(`USER ${user}`);
  return c.cmd(`PASS ${pass}`);
}

test('garbage, NUL bytes, overlong lines and unknown commands get -ERR and the session goes on', async () => {
  const c = await RawClient.connect(h.port);
  assert.match((await c.line())!, /^\+OK/);
  c.send(Buffer.from('US\0ER x\r\n'));
  assert.match((await c.line())!, /^-ERR NUL/);
  c.send('A'.repeat(10_000) + '\r\n');
  assert.match((await c.line())!, /^-ERR Line too long/);
  c.send(Buffer.concat([Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('\r\n')]));
  assert.match((await c.line())!, /^-ERR/);
  assert.match((await c.cmd('XTND XMIT'))!, /^-ERR Unknown command/);
  assert.match((await c.cmd('STAT'))!, /^-ERR STAT not valid in this state/);
  assert.match((await c.cmd('RETR 1'))!, /^-ERR/);
  assert.match((await c.cmd('PASS x'))!, /^-ERR USER first/);
  // a bare LF ends a line too; the session is still alive and can log in
  c.send(`USER ${USER}\n`);
  assert.match((await c.line())!, /^\+OK/);
  assert.match((await c.cmd(`PASS ${PASSWORD}`))!, /^\+OK Logged in, 2 messages/);
  assert.match((await c.cmd('USER x'))!, /^-ERR USER not valid in this state/);
  assert.match((await c.cmd('STLS'))!, /^-ERR STLS not valid/);
  assert.match((await c.cmd('RETR 0'))!, /^-ERR Invalid message number/);
  assert.match((await c.cmd('RETR 99'))!, /^-ERR No such message/);
  assert.match((await c.cmd('TOP 1'))!, /^-ERR Syntax/);
  assert.match((await c.cmd('LIST -1'))!, /^-ERR/);
  assert.match((await c.cmd('noop'))!, /^\+OK/);
  // pipelined commands are answered in order
  c.send('STAT\r\nLIST 2\r\nUIDL 1\r\n');
  assert.match((await c.line())!, /^\+OK 2 \d+$/);
  assert.match((await c.line())!, /^\+OK 2 \d+$/);
  assert.match((await c.line())!, /^\+OK 1 \S+$/);
  assert.match((await c.cmd('QUIT'))!, /^\+OK/);
  assert.equal(await c.line(), null);
});

test('too many errors ends the session', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  let last: string | null = '';
  for (let i = 0; i < 40 && last !== null; i++) last = await c.cmd('BOGUS');
  assert.equal(last, null, 'server closed the connection');
});

test('anything pipelined after STLS is discarded, not run inside TLS (CVE-2011-0411 class)', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  c.send(`STLS\r\nUSER ${USER}\r\nPASS ${PASSWORD}\r\n`);
  assert.match((await c.line())!, /^\+OK Begin TLS/);
  c.socket.removeAllListeners('data');
  const s = tls.connect({ socket: c.socket, ca: fs.readFileSync(h.certFile), servername: 'localhost' });
  await new Promise((r) => s.once('secureConnect', r));
  const got = await new Promise<string>((resolve) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) resolve(buf);
    });
    s.write('STAT\r\n');
  });
  assert.match(got, /^-ERR STAT not valid in this state/, 'the injected USER/PASS did not log in');
  s.destroy();
});

test('plaintext USER/PASS and AUTH PLAIN are refused before STLS off loopback; APOP and CRAM-MD5 still work', async () => {
  const strict = await h.start({ trustLoopback: false });
  const c = await RawClient.connect(strict.port);
  const greeting = (await c.line())!;
  c.send('CAPA\r\n');
  assert.match((await c.line())!, /^\+OK/);
  const caps = await c.multi();
  assert.ok(!caps.includes('USER'));
  assert.ok(caps.includes('STLS'));
  assert.ok(caps.includes('SASL SCRAM-SHA-256 CRAM-MD5'), caps.join('|'));
  assert.match((await c.cmd(`USER ${USER}`))!, /^-ERR \[AUTH\] Plaintext authentication disallowed/);
  assert.match((await c.cmd(`AUTH PLAIN ${Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64')}`))!, /^-ERR \[AUTH\] Plaintext/);
  const stamp = /<[^>]+>/.exec(greeting)![0];
  const digest = crypto.createHash('md5').update(stamp + PASSWORD).digest('hex');
  assert.match((await c.cmd(`APOP ${USER} ${digest}`))!, /^\+OK Logged in/);
  await c.cmd('QUIT');
  // CRAM-MD5 by hand (RFC 2195)
  const d = await RawClient.connect(strict.port);
  await d.line();
  const ch = (await d.cmd('AUTH CRAM-MD5'))!;
  assert.match(ch, /^\+ /);
  const challenge = Buffer.from(ch.slice(2), 'base64').toString();
  const mac = crypto.createHmac('md5', PASSWORD).update(challenge).digest('hex');
  assert.match((await d.cmd(Buffer.from(`${USER} ${mac}`).toString('base64')))!, /^\+OK Logged in/);
  await d.cmd('QUIT');
  await strict.close();
});

test('AUTH PLAIN with a continuation line, cancellation with "*", and the mechanism list', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  c.send('AUTH\r\n');
  assert.equal(await c.line(), '+OK');
  assert.deepEqual(await c.multi(), ['SCRAM-SHA-256', 'CRAM-MD5', 'PLAIN', 'LOGIN']);
  assert.equal(await c.cmd('AUTH PLAIN'), '+ ');
  assert.match((await c.cmd('*'))!, /^-ERR Authentication cancelled/);
  assert.equal(await c.cmd('AUTH PLAIN'), '+ ');
  assert.match((await c.cmd(Buffer.from(`${USER}\0${USER}\0${PASSWORD}`).toString('base64')))!, /^\+OK Logged in/);
  await c.cmd('QUIT');
});

test('a disabled account cannot log in by any mechanism', async () => {
  const c = await RawClient.connect(h.port);
  const stamp = /<[^>]+>/.exec((await c.line())!)![0];
  assert.match((await login(c, 'gone@example.jp', 'gone-pass'))!, /^-ERR \[AUTH\]/);
  const digest = crypto.createHash('md5').update(stamp + 'gone-pass').digest('hex');
  assert.match((await c.cmd(`APOP gone@example.jp ${digest}`))!, /^-ERR \[AUTH\]/);
  c.close();
});

test('a bare login resolves in the domain of the listener address (P4 by_ip), else the primary domain', async () => {
  const vhost = await h.start({ listen: '127.0.0.2:0' });
  const c = await RawClient.connect(vhost.port, '127.0.0.2');
  await c.line();
  assert.match((await login(c, 'taro', 'taro-pass'))!, /^\+OK Logged in/);
  await c.cmd('QUIT');
  const d = await RawClient.connect(h.port);
  await d.line();
  assert.match((await login(d, 'mura', PASSWORD))!, /^\+OK Logged in/, 'bare user in the primary domain');
  await d.cmd('QUIT');
  await vhost.close();
});

test('a second session for the same maildrop is refused with [IN-USE] while the first holds it', async () => {
  const a = await RawClient.connect(h.port);
  await a.line();
  assert.match((await login(a))!, /^\+OK/);
  const keepAlive = setInterval(() => a.send('NOOP\r\n'), 300); // the idle timeout here is 5 s
  const b = await RawClient.connect(h.port);
  await b.line();
  const t0 = Date.now();
  try {
    assert.match((await login(b))!, /^-ERR \[IN-USE\]/);
    assert.ok(Date.now() - t0 >= 1500, 'waited for the lock before refusing');
  } finally {
    clearInterval(keepAlive);
  }
  a.send('QUIT\r\n');
  assert.match((await login(b))!, /^\+OK/);
  await b.cmd('QUIT');
});

test('a message expunged by another client during the session answers -ERR, and the session goes on', async () => {
  await h.deliver(USER, sampleMessage(77));
  const c = await RawClient.connect(h.port);
  await c.line();
  assert.match((await login(c))!, /^\+OK Logged in, 3 messages/);
  const list = await h.store.list(USER, 'INBOX');
  await h.store.expunge(USER, 'INBOX', [list[2].uid]);
  assert.match((await c.cmd('RETR 3'))!, /^-ERR Message was removed/);
  assert.match((await c.cmd('TOP 3 0'))!, /^-ERR Message was removed/);
  assert.match((await c.cmd('DELE 3'))!, /^\+OK/);
  assert.match((await c.cmd('QUIT'))!, /^\+OK .*2 messages left/);
  assert.equal((await h.store.list(USER, 'INBOX')).length, 2);
});

test('a message file another program renamed or removed during the session: RETR sends that message or -ERR', async (t) => {
  if (h.storeBackend !== 'default') return t.skip('Maildir files exist only with the default store');
  const before = (await h.store.list(USER, 'INBOX')).length;
  await h.deliver(USER, sampleMessage(81, '.renamed\n'));
  await h.deliver(USER, sampleMessage(82, 'removed\n'));
  const c = await RawClient.connect(h.port);
  await c.line();
  assert.match((await login(c))!, /^\+OK Logged in/);
  const cur = path.join(h.data, 'mail', 'example.jp', 'mura', 'Maildir', 'cur');
  const fileWith = (text: string) => fs.readdirSync(cur).find((f) => fs.readFileSync(path.join(cur, f), 'latin1').includes(text))!;
  // read once (the listing's names are used from then on), then a mail client of the same Maildir (mutt) acts
  assert.match((await c.cmd(`RETR ${before + 1}`))!, /^\+OK/);
  assert.ok((await c.multi()).includes('Subject: message 81'));
  fs.renameSync(path.join(cur, fileWith('message 81')), path.join(cur, fileWith('message 81').replace(/:2,.*$/, ':2,F')));
  fs.unlinkSync(path.join(cur, fileWith('message 82')));
  assert.match((await c.cmd(`RETR ${before + 1}`))!, /^\+OK/);
  const lines = await c.multi();
  assert.ok(lines.includes('Subject: message 81') && lines.includes('..renamed'), 'that message, dot-stuffed');
  assert.ok(!lines.some((l) => l.includes('\n')), 'CRLF line ends');
  assert.match((await c.cmd(`RETR ${before + 2}`))!, /^-ERR Message was removed/);
  assert.match((await c.cmd(`DELE ${before + 1}`))!, /^\+OK/);
  assert.match((await c.cmd(`DELE ${before + 2}`))!, /^\+OK/);
  assert.match((await c.cmd('QUIT'))!, /^\+OK/);
  assert.equal((await h.store.list(USER, 'INBOX')).length, before);
});

test('the idle timeout closes a silent session without UPDATE', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  await login(c);
  assert.match((await c.cmd('DELE 1'))!, /^\+OK/);
  const t0 = Date.now();
  assert.match((await c.line(30_000))!, /^-ERR Autologout/);
  assert.equal(await c.line(), null);
  assert.ok(Date.now() - t0 >= 4900, 'not before the idle timeout');
  assert.equal((await h.store.list(USER, 'INBOX')).length, 2, 'nothing deleted');
});

test('a client that sends STLS and then never starts the handshake is dropped', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  assert.match((await c.cmd('STLS'))!, /^\+OK Begin TLS/);
  // dropped by a deadline (how soon is the machine's speed): nothing else would ever end this session
  assert.equal(await c.line(30_000), null, 'closed');
});

test('at most 50 connections from one IP; the next is refused with -ERR and closed', async () => {
  const srv = await h.start({});
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      const c = await RawClient.connect(srv.port);
      assert.match((await c.line())!, /^\+OK/);
      clients.push(c);
    }
    const extra = await RawClient.connect(srv.port);
    assert.match((await extra.line())!, /^-ERR \[SYS\/TEMP\] Too many connections/);
    assert.equal(await extra.line(), null);
    clients.pop()!.close();
    // once the server has seen that one go, a new one is let in (it may take a moment on a busy machine)
    let greeting: string | null = null;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      const again = await RawClient.connect(srv.port);
      clients.push(again);
      greeting = await again.line();
      if (/^\+OK/.test(greeting ?? '')) break;
      clients.pop()!.close();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(greeting ?? '', /^\+OK/);
  } finally {
    for (const c of clients) c.close();
    await srv.close();
  }
});

test('server shutdown tells the client and commits no deletions', async () => {
  const srv = await h.start({});
  const c = await RawClient.connect(srv.port);
  await c.line();
  assert.match((await login(c))!, /^\+OK/);
  assert.match((await c.cmd('DELE 1'))!, /^\+OK/);
  await srv.close();
  assert.match((await c.line())!, /^-ERR \[SYS\/TEMP\] Server shutting down/);
  assert.equal(await c.line(), null);
  assert.equal((await h.store.list(USER, 'INBOX')).length, 2);
});

// runs late: the block it provokes holds for every listener of this config (one throttle per server)
test('failed logins from one IP are slowed, then blocked even for the right password', async () => {
  let blocked = false;
  const times: number[] = [];
  for (let i = 0; i < 10 && !blocked; i++) {
    const c = await RawClient.connect(h.port);
    await c.line();
    const t0 = Date.now();
    const r = (await login(c, USER, 'wrong-password'))!;
    times.push(Date.now() - t0);
    if (r.includes('[SYS/TEMP]')) blocked = true;
    else assert.match(r, /^-ERR \[AUTH\]/);
    c.close();
  }
  assert.ok(blocked, 'blocked after block_after failures');
  assert.ok(Math.max(...times.slice(2)) >= 90, `later attempts are delayed: ${times.join(',')}`);
  const c = await RawClient.connect(h.port);
  await c.line();
  assert.match((await login(c))!, /^-ERR \[SYS\/TEMP\]/, 'the right password is refused while blocked');
  c.close();
});

test('every session is logged to pop3-YYYYMMDD.log, and no password appears in it', async () => {
  await h.logger.close();
  const file = path.join(h.data, 'logs', `pop3-${localDay(new Date())}.log`);
  const log = fs.readFileSync(file, 'utf8');
  assert.match(log, /INFO connect session=\w+ ip=127\.0\.0\.1/);
  assert.match(log, /INFO login session=\w+ user=mura@example\.jp mechanism=USER/);
  assert.match(log, /WARN login-failed/);
  assert.match(log, /INFO disconnect/);
  for (const secret of [PASSWORD, 'wrong-password', 'gone-pass', 'taro-pass', Buffer.from(`${USER}\0${USER}\0${PASSWORD}`).toString('base64')]) {
    assert.ok(!log.includes(secret), `log holds ${secret}`);
  }
});
