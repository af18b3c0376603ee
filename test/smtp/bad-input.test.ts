// Protocol edges and hostile input: every one gets the right reply code, and the server keeps serving.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ehlo, RawSmtp } from '../helpers/smtp-client.js';

describe('SMTP bad input and protocol edges', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({
      users: [{ address: 'alice@example.test', password: 'secret123' }],
      topLevel: 'max_message_size = 20000',
      toml: '[auth]\nthrottle_after = 3\nmax_delay = "300ms"\nblock_after = 6\nblock_for = "1h"\n',
    });
  });
  after(async () => {
    await srv.stop();
  });

  async function stillServes(): Promise<void> {
    const { c, ehlo: e } = await ehlo(srv.ports.smtp);
    assert.equal(e.code, 250);
    c.close();
  }

  it('answers an overlong command line with 500 and stays up', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    c.write('MAIL FROM:<' + 'a'.repeat(5000) + '@example.test>\r\n');
    const r = await c.reply().catch(() => ({ code: 0, text: 'closed' }));
    assert.ok(r.code === 0 || r.code >= 500, r.text);
    c.close();
    await stillServes();
  });

  it('answers NUL bytes and garbage with 5xx and keeps the session', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    const r = await c.cmd('MA\0IL FROM:<a@b.test>');
    assert.ok(r.code >= 500 && r.code < 600, r.text);
    assert.match(r.text, /^5\d\d 5\.\d+\.\d+ /);
    const g = await c.cmd('\x01\x02\xff\xfe garbage');
    assert.ok(g.code >= 500, g.text);
    assert.equal((await c.cmd('NOOP')).code, 250);
    c.close();
  });

  it('bad base64 in AUTH is 501 and the session continues; "*" cancels with 501; a second AUTH is 503', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    const bad = await c.cmd('AUTH PLAIN %%%not-base64%%%');
    assert.ok(bad.code === 501 || bad.code === 535, bad.text);
    assert.match(bad.text, /^5\d\d 5\.\d+\.\d+ /);
    assert.equal((await c.cmd('NOOP')).code, 250);
    const start = await c.cmd('AUTH LOGIN');
    assert.equal(start.code, 334);
    const cancel = await c.cmd('*');
    assert.equal(cancel.code, 501, cancel.text);
    const ok = await c.cmd(`AUTH PLAIN ${Buffer.from('\0alice@example.test\0secret123').toString('base64')}`);
    assert.equal(ok.code, 235, ok.text);
    const again = await c.cmd(`AUTH PLAIN ${Buffer.from('\0alice@example.test\0secret123').toString('base64')}`);
    assert.equal(again.code, 503, again.text);
    c.close();
  });

  it('EHLO without a domain is 501', async () => {
    const c = await RawSmtp.connect(srv.ports.smtp);
    await c.reply();
    const r = await c.cmd('EHLO');
    assert.equal(r.code, 501, r.text);
    c.close();
  });

  it('STARTTLS with an argument is 501; a second STARTTLS after TLS is refused', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    const arg = await c.cmd('STARTTLS now');
    assert.equal(arg.code, 501, arg.text);
    const go = await c.cmd('STARTTLS');
    assert.equal(go.code, 220, go.text);
    await c.startTls();
    assert.equal((await c.cmd('EHLO client.example.net')).code, 250);
    const second = await c.cmd('STARTTLS');
    assert.ok(second.code >= 500 && second.code < 600, second.text);
    c.close();
  });

  it('DATA without RCPT is 503; MAIL without EHLO is 503; RCPT without MAIL is 503', async () => {
    const c = await RawSmtp.connect(srv.ports.smtp);
    await c.reply();
    assert.equal((await c.cmd('MAIL FROM:<a@b.test>')).code, 503);
    assert.equal((await c.cmd('EHLO x.example.net')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 503);
    assert.equal((await c.cmd('MAIL FROM:<a@b.test>')).code, 250);
    const d = await c.cmd('DATA');
    assert.equal(d.code, 503, d.text);
    assert.match(d.text, /^503 5\.5\.1 /);
    c.close();
  });

  it('unknown MAIL/RCPT parameters are 555 5.5.4', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    const m = await c.cmd('MAIL FROM:<a@b.test> FROBNICATE=yes');
    assert.equal(m.code, 555, m.text);
    assert.match(m.text, /^555 5\.5\.4 /);
    assert.equal((await c.cmd('MAIL FROM:<a@b.test>')).code, 250);
    const r = await c.cmd('RCPT TO:<alice@example.test> XYZZY=1');
    assert.equal(r.code, 555, r.text);
    c.close();
  });

  it('ten unknown commands in a row end the session with 421', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    let last = { code: 0, text: '' };
    for (let i = 0; i < 12 && !c.closed; i++) {
      last = await c.cmd(`BOGUS${i}`).catch(() => last);
      if (last.code === 421) break;
    }
    assert.equal(last.code, 421, last.text);
    c.close();
    await stillServes();
  });

  it('a message over SIZE is refused: declared (552 at MAIL) and streamed (552 after DATA)', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    const declared = await c.cmd('MAIL FROM:<a@b.test> SIZE=999999');
    assert.equal(declared.code, 552, declared.text);
    assert.equal((await c.cmd('MAIL FROM:<a@b.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    const line = 'x'.repeat(998) + '\r\n';
    c.write('Subject: big\r\n\r\n' + line.repeat(30) + '.\r\n');
    const r = await c.reply();
    assert.equal(r.code, 552, r.text);
    assert.match(r.text, /^552 5\.3\.4 /);
    assert.equal((await c.cmd('NOOP')).code, 250);
    c.close();
    assert.equal(srv.maildir('alice@example.test').filter((f) => f.includes('big')).length, 0);
  });

  it('SMTP smuggling: a bare-LF <LF>.<LF> never ends DATA', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    assert.equal((await c.cmd('MAIL FROM:<a@b.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write('Subject: outer\r\n\r\nbody\n.\nMAIL FROM:<evil@b.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n');
    const r = await c.reply();
    assert.equal(r.code, 250, r.text);
    const q = await c.cmd('QUIT');
    assert.equal(q.code, 221, `no extra replies expected, got ${q.text}`);
    c.close();
    // one message, its body holding the would-be commands; none delivered on its own
    const outer = fs.readFileSync(await srv.waitForMessage('alice@example.test', /^Subject: outer\r$/m), 'latin1');
    assert.match(outer, /Subject: smuggled/, 'the smuggled lines are body text of the outer message');
    const heads = srv.maildir('alice@example.test').map((f) => fs.readFileSync(f, 'latin1').split('\r\n\r\n')[0]);
    assert.equal(heads.filter((h) => /^Subject: smuggled$/m.test(h)).length, 0, 'no second message');
  });

  it('early talkers before the greeting are refused', async () => {
    const s2 = await startTestServer({ toml: '[smtp]\ngreeting_delay = "300ms"\n' });
    try {
      const c = await RawSmtp.connect(s2.ports.smtp);
      c.write('EHLO early.example.net\r\n');
      const r = await c.reply();
      // the greeting is replaced by a refusal, or the command is answered 421
      const next = r.code === 220 ? await c.reply() : r;
      assert.equal(next.code, 421, next.text);
      c.close();
    } finally {
      await s2.stop();
    }
  });

  it('every reply carries an enhanced status code (except greeting and EHLO)', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    for (const cmd of ['NOOP', 'RSET', 'VRFY alice', 'EXPN staff', 'HELP', 'MAIL FROM:<a@b.test>', 'RCPT TO:<alice@example.test>', 'RCPT TO:<x@elsewhere.test>']) {
      const r = await c.cmd(cmd);
      assert.match(r.lines[r.lines.length - 1], /^\d{3}[ -][245]\.\d{1,3}\.\d{1,3} /, `${cmd} → ${r.text}`);
    }
    c.close();
  });

  it('VRFY and EXPN do not reveal users by default', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    const known = await c.cmd('VRFY alice@example.test');
    const unknown = await c.cmd('VRFY nobody@example.test');
    assert.equal(known.code, 252);
    assert.equal(unknown.text, known.text);
    assert.equal((await c.cmd('EXPN alice')).code, 502);
    c.close();
  });

  it('repeated AUTH failures are slowed, then AUTH alone is refused; mail to local users still flows', async () => {
    const { c } = await ehlo(srv.ports.smtp, { localAddress: '127.0.0.9' });
    const bad = `AUTH PLAIN ${Buffer.from('\0alice@example.test\0nope1234').toString('base64')}`;
    const times: number[] = [];
    let last = { code: 0, text: '' };
    for (let i = 0; i < 7; i++) {
      const t0 = Date.now();
      last = await c.cmd(bad);
      times.push(Date.now() - t0);
    }
    assert.equal(last.code, 454, last.text);
    assert.ok(times[4] >= 200, `attempts after the threshold wait: ${times.join(',')}`);
    const good = await c.cmd(`AUTH PLAIN ${Buffer.from('\0alice@example.test\0secret123').toString('base64')}`);
    assert.equal(good.code, 454, 'blocked even with the right password');
    assert.equal((await c.cmd('MAIL FROM:<x@elsewhere.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    c.close();
    const other = await ehlo(srv.ports.smtp, { localAddress: '127.0.0.10' });
    const ok = await other.c.cmd(`AUTH PLAIN ${Buffer.from('\0alice@example.test\0secret123').toString('base64')}`);
    assert.equal(ok.code, 235, 'another address is not affected');
    other.c.close();
  });
});
