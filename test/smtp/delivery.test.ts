// End to end: the real server, real clients (swaks, Python smtplib), mail landing in Maildir.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { ehlo } from '../helpers/smtp-client.js';

describe('SMTP delivery end to end', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({
      users: [
        { address: 'alice@example.test', password: 'secret123' },
        { address: 'bobby@example.test', password: 'hunter22' },
      ],
      toml: '[domains.aliases]\n"mail.example.test" = "example.test"\n',
    });
    assert.equal(srv.cli(['alias', 'add', 'sales@example.test', 'alice@example.test,bobby@example.test']).status, 0);
  });
  after(async () => {
    await srv.stop();
  });

  it('advertises the ESMTP extensions', async () => {
    const { c, greeting, ehlo: e } = await ehlo(srv.ports.smtp);
    assert.equal(greeting.code, 220);
    for (const ext of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'STARTTLS', 'SIZE 26214400']) {
      assert.ok(e.lines.some((l) => l.slice(4).startsWith(ext)), `EHLO lacks ${ext}: ${e.text}`);
    }
    // on loopback PLAIN and LOGIN are offered without TLS (the same set as POP3 and IMAP, strongest first)
    assert.match(e.text, /AUTH SCRAM-SHA-256 CRAM-MD5 PLAIN LOGIN/);
    await c.cmd('QUIT');
    c.close();
  });

  it('swaks delivers to a local mailbox over port 25 without AUTH', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const r = await run('swaks', ['--server', `127.0.0.1:${srv.ports.smtp}`, '--from', 'someone@remote.test', '--to', 'alice@example.test', '--h-Subject', 'first']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /250 2\.0\.0 Ok: queued as [0-9A-Z]+/);
    // the greeting says ESMTP once (smtp-server puts it before the banner, which once said "ESMTP tegami" too)
    assert.match(r.stdout, /^<- {2}220 mx\.example\.test ESMTP tegami$/m);
    const msg = fs.readFileSync(await srv.waitForMessage('alice@example.test', /^Subject: first\r$/m), 'utf8');
    assert.match(msg, /^Return-Path: <someone@remote\.test>\r\nReceived: from client|^Return-Path: <someone@remote\.test>\r\nReceived: from /);
    assert.match(msg, /by mx\.example\.test \(tegami\) with ESMTP id/);
    assert.match(msg, /Subject: first/);
  });

  it('host aliases and aliases reach the right mailboxes', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    // each message waited for by its own subject: the mailboxes are shared with the other tests
    let r = await run('swaks', ['--server', `127.0.0.1:${srv.ports.smtp}`, '--from', 'x@remote.test', '--to', 'BOBBY@Mail.Example.Test', '--h-Subject', 'host alias']);
    assert.equal(r.code, 0, r.stdout);
    await srv.waitForMessage('bobby@example.test', /^Subject: host alias\r$/m);
    r = await run('swaks', ['--server', `127.0.0.1:${srv.ports.smtp}`, '--from', 'x@remote.test', '--to', 'sales@example.test', '--h-Subject', 'to sales']);
    assert.equal(r.code, 0, r.stdout);
    await srv.waitForMessage('alice@example.test', /^Subject: to sales\r$/m);
    await srv.waitForMessage('bobby@example.test', /^Subject: to sales\r$/m);
  });

  it('unknown local users get 550 5.1.1 and relaying is denied with 550 5.7.1', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    assert.equal((await c.cmd('MAIL FROM:<a@remote.test>')).code, 250);
    const unknown = await c.cmd('RCPT TO:<nobody@example.test>');
    assert.equal(unknown.code, 550);
    assert.match(unknown.text, /^550 5\.1\.1 /);
    const relay = await c.cmd('RCPT TO:<victim@elsewhere.test>');
    assert.match(relay.text, /^550 5\.7\.1 /);
    const pm = await c.cmd('RCPT TO:<postmaster>');
    assert.equal(pm.code, 250, pm.text);
    await c.cmd('QUIT');
    c.close();
  });

  for (const mech of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
    it(`swaks AUTH ${mech} over STARTTLS on submission relays to a remote domain`, async (t) => {
      if (!requireCommand(t, 'swaks')) return;
      const r = await run('swaks', [
        '--server', `127.0.0.1:${srv.ports.submission}`, '--tls', '--auth', mech,
        '--auth-user', 'alice@example.test', '--auth-password', 'secret123',
        '--from', 'alice@example.test', '--to', 'friend@remote.test',
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /235 2\.7\.0/);
      assert.match(r.stdout, /250 2\.0\.0 Ok: queued as/);
    });
  }

  it('swaks AUTH PLAIN over implicit TLS (465)', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const r = await run('swaks', [
      '--server', `127.0.0.1:${srv.ports.submissions}`, '--tls-on-connect', '--auth', 'PLAIN',
      '--auth-user', 'bobby@example.test', '--auth-password', 'hunter22',
      '--from', 'bobby@example.test', '--to', 'alice@example.test',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /TLS started/i);
  });

  it('a wrong password gets 535 5.7.8 and submission refuses MAIL before AUTH with 530', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const r = await run('swaks', [
      '--server', `127.0.0.1:${srv.ports.submission}`, '--tls', '--auth', 'PLAIN',
      '--auth-user', 'alice@example.test', '--auth-password', 'wrong-pass', '--to', 'alice@example.test',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /535 5\.7\.8/);
    const { c } = await ehlo(srv.ports.submission);
    const m = await c.cmd('MAIL FROM:<alice@example.test>');
    assert.equal(m.code, 530, m.text);
    c.close();
  });

  it('an authenticated user cannot forge another sender', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const r = await run('swaks', [
      '--server', `127.0.0.1:${srv.ports.submission}`, '--tls', '--auth', 'PLAIN',
      '--auth-user', 'alice@example.test', '--auth-password', 'secret123',
      '--from', 'ceo@example.test', '--to', 'friend@remote.test',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /553 5\.7\.1 Sender address <ceo@example\.test> not owned/);
  });

  it("Python's smtplib sends with STARTTLS and LOGIN", async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const py = `
import smtplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', ${srv.ports.submission}, timeout=20)
s.ehlo('py.example.net'); s.starttls(context=ctx); s.ehlo('py.example.net')
s.login('alice@example.test', 'secret123')
refused = s.sendmail('alice@example.test', ['bobby@example.test'], 'Subject: py\\r\\n\\r\\nhello from smtplib\\r\\n')
print('refused', refused)
s.quit()
`;
    const r = await run('python3', ['-c', py]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /refused \{\}/);
    await srv.waitForMessage('bobby@example.test', 'hello from smtplib');
  });

  for (const [label, kb] of [['in memory', 40], ['streamed to a spool file', 900]] as const) {
    it(`a ${kb} KB message (${label}) arrives byte for byte`, async () => {
      const { c } = await ehlo(srv.ports.smtp);
      const line = 'The quick brown fox jumps over the lazy dog 0123456789 ' + 'x'.repeat(20) + '\r\n';
      const body = line.repeat(Math.ceil((kb * 1024) / line.length));
      const token = `big-${kb}-${Date.now()}`;
      assert.equal((await c.cmd('MAIL FROM:<x@remote.test>')).code, 250);
      assert.equal((await c.cmd('RCPT TO:<bobby@example.test>')).code, 250);
      assert.equal((await c.cmd('DATA')).code, 354);
      const r = await c.cmd(`Subject: ${token}\r\n\r\n${body}.`);
      assert.equal(r.code, 250, r.text);
      c.close();
      const got = fs.readFileSync(await srv.waitForMessage('bobby@example.test', token), 'latin1');
      assert.equal(got.slice(got.indexOf('\r\n\r\n') + 4), body, 'the body is intact');
    });
  }

  it('writes a daily smtp log with the session and no secrets', async () => {
    const day = new Date();
    const name = `smtp-${day.getFullYear()}${String(day.getMonth() + 1).padStart(2, '0')}${String(day.getDate()).padStart(2, '0')}.log`;
    await srv.waitForLog('smtp', /queued .*id=/); // the log line is written at the end of the server's turn: poll for it
    const log = fs.readFileSync(`${srv.dataDir}/logs/${name}`, 'utf8');
    assert.match(log, /connect .*ip=127\.0\.0\.1/);
    assert.match(log, /login-failed/);
    assert.match(log, /queued .*id=/);
    assert.doesNotMatch(log, /secret123|hunter22|wrong-pass/);
  });
});
