// End to end: swaks sends mail carrying a forged X-IMAIL-SPAM verdict and an Authentication-Results field
// in our hostname's name; the stored Maildir copy carries only tegami's own (and every other byte of the
// message as sent). Issue 10 #7: the forged fields go on every path, analysed or not: from a trusted range,
// from a logged-in user (swaks AUTH on the submission port), with spam checks off, and to a remote recipient.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { startTestServer, requireCommand, run, type TestServer } from '../helpers/server.js';

const HOST = 'mx.example.test';

const FORGED =
  'Received: from forger.test (forger.test [192.0.2.9])\r\n' +
  '\tby relay.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n' +
  'X-IMAIL-SPAM: score=99\r\n' +
  'Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=boss@example.test\r\n' +
  'From: Boss <boss@example.test>\r\n' +
  'To: user@example.test\r\n' +
  'X-IMAIL-SPAM-DNSBL: folded\r\n' +
  '  continuation\r\n' +
  'Authentication-Results: relay.test;\r\n' +
  '\tdkim=none\r\n' +
  'X-Tegami-Spam-Status: score=-100.0 threshold=5.0 verdict=ham tags=SENDER_WHITELIST(-100.0)\r\n' +
  'Subject: pay the invoice\r\n' +
  'Message-ID: <forged-1@forger.test>\r\n' +
  '\r\n' +
  'Please pay.\r\n' +
  'X-IMAIL-SPAM: this line is body text\r\n';

const EXPECTED_TAIL =
  'Received: from forger.test (forger.test [192.0.2.9])\r\n' +
  '\tby relay.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n' +
  'From: Boss <boss@example.test>\r\n' +
  'To: user@example.test\r\n' +
  'Authentication-Results: relay.test;\r\n' +
  '\tdkim=none\r\n' +
  'Subject: pay the invoice\r\n' +
  'Message-ID: <forged-1@forger.test>\r\n' +
  '\r\n' +
  'Please pay.\r\n' +
  'X-IMAIL-SPAM: this line is body text\r\n';

function headerSection(text: string): string {
  return text.slice(0, text.indexOf('\r\n\r\n') + 2);
}

describe('forged verdict headers over SMTP', () => {
  let srv: TestServer;
  let file: string;

  before(async () => {
    srv = await startTestServer({
      hostname: HOST,
      users: [{ address: 'user@example.test', password: 'secret-pass' }],
      toml: ['[spam]', 'trusted_ips = ["127.0.0.2/32"]'].join('\n'),
    });
    file = path.join(srv.dir, 'forged.eml');
    fs.writeFileSync(file, FORGED);
  });
  after(async () => {
    await srv?.stop();
    if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
  });

  async function swaks(src: string): Promise<string> {
    const before = new Set([...srv.maildir('user@example.test', 'INBOX'), ...srv.maildir('user@example.test', 'Spam')]);
    const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--local-interface', src, '--helo', 'forger.test', '--from', 'boss@example.test', '--to', 'user@example.test', '--data', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = [...srv.maildir('user@example.test', 'INBOX'), ...srv.maildir('user@example.test', 'Spam')];
      const fresh = now.find((f) => !before.has(f));
      // swaks ends the DATA with one more CRLF of its own; drop it
      if (fresh) return fs.readFileSync(fresh, 'latin1').replace(/(\r\n)+$/, '\r\n');
      if (Date.now() > deadline) throw new Error(`no delivery: ${srv.output().slice(-2000)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  it('the analysed message keeps only our verdict headers; every other byte is as sent', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const stored = await swaks('127.0.0.1');
    const head = headerSection(stored);
    assert.ok(stored.endsWith(EXPECTED_TAIL), `stored copy:\n${stored}`);
    const ours = stored.slice(0, stored.length - EXPECTED_TAIL.length);
    assert.match(ours, /^Return-Path: <boss@example\.test>\r\nReceived: /);
    assert.doesNotMatch(head, /score=99/);
    assert.doesNotMatch(head, /folded|continuation/);
    assert.doesNotMatch(head, /score=-100/);
    // exactly one summary (ours, X-IMAIL-SPAM or X-Tegami-Spam-Status) and one A-R in our name, ours
    assert.equal((head.match(/^(X-IMAIL-SPAM|X-Tegami-Spam-Status):/gim) ?? []).length, 1);
    const ar = head.match(/^Authentication-Results:[ \t]*mx\.example\.test\b.*$/gim) ?? [];
    assert.equal(ar.length, 1);
    assert.ok(ours.includes(ar[0]), 'the A-R field in our name is the one tegami added');
    assert.doesNotMatch(ar[0], /spf=pass/);
  });

  it('mail from a trusted range is not analysed, and still loses the forged verdict fields', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const stored = await swaks('127.0.0.2');
    assert.ok(stored.endsWith(EXPECTED_TAIL), `stored copy:\n${stored}`);
    // only the trace fields are ours: no analysis ran
    assert.match(stored.slice(0, stored.length - EXPECTED_TAIL.length), /^Return-Path: <boss@example\.test>\r\nReceived: [^]*?\r\n$/);
    assert.doesNotMatch(headerSection(stored), /X-IMAIL-SPAM|X-Tegami-Spam-Status|Authentication-Results: mx\.example\.test/i);
  });
});

/** The forged message as a logged-in user writes it: their own address in From:. */
const fromUser = (user: string, to: string) => FORGED.replace('From: Boss <boss@example.test>', `From: <${user}>`).replace('To: user@example.test', `To: ${to}`);

describe('forged verdict headers from a logged-in user, and with spam checks off', { timeout: 90_000 }, () => {
  let srv: TestServer;
  let off: TestServer;
  let sink: Sink;

  before(async () => {
    sink = await startSink({ tls: 'none' });
    srv = await startTestServer({
      hostname: HOST,
      users: [
        { address: 'alice@example.test', password: 'alice-pass-1' },
        { address: 'user@example.test', password: 'secret-pass' },
      ],
      toml: ['[smarthost]', `to = "${sink.address}"`].join('\n'),
    });
    off = await startTestServer({ hostname: HOST, users: [{ address: 'user@example.test', password: 'secret-pass' }], toml: '[spam]\nenabled = false' });
  });
  after(async () => {
    await srv?.stop();
    await off?.stop();
    await sink?.close();
    for (const s of [srv, off]) if (s) fs.rmSync(s.dir, { recursive: true, force: true });
  });

  async function submit(to: string): Promise<void> {
    const file = path.join(srv.dir, `forged-${Math.random().toString(36).slice(2)}.eml`);
    fs.writeFileSync(file, fromUser('alice@example.test', to));
    const r = await run('swaks', [
      '--server', `127.0.0.1:${srv.ports.submission}`, '--tls', '--auth', 'PLAIN',
      '--auth-user', 'alice@example.test', '--auth-password', 'alice-pass-1',
      '--from', 'alice@example.test', '--to', to, '--data', file,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\n ~> \.\n<~ {2}250 /);
  }

  function assertClean(text: string, where: string): void {
    const head = headerSection(text);
    assert.doesNotMatch(head, /^X-IMAIL-SPAM/im, where);
    assert.doesNotMatch(head, /^X-Tegami-Spam-Status/im, where);
    assert.doesNotMatch(head, /^Authentication-Results:[ \t]*mx\.example\.test/im, where);
    assert.match(head, /^Authentication-Results: relay\.test;\r\n\tdkim=none\r\n/m, `another host's A-R stays: ${where}`);
    assert.match(text, /\r\n\r\nPlease pay\.\r\nX-IMAIL-SPAM: this line is body text\r\n/, `the body is untouched: ${where}`);
  }

  it('to a local mailbox: the stored copy has none of them', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    await submit('user@example.test');
    const [file] = await srv.waitForMail('user@example.test', 1, 120_000);
    const stored = fs.readFileSync(file, 'latin1');
    assertClean(stored, stored);
    assert.match(stored, /\(authenticated as alice@example\.test\)/);
  });

  it('to a remote recipient: the copy that leaves has none of them either', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    await submit('someone@elsewhere.test');
    const [m] = await sink.waitFor(1, 120_000);
    assert.deepEqual(m.to, ['someone@elsewhere.test']);
    assertClean(m.raw.toString('latin1'), m.raw.toString('latin1'));
  });

  it('with [spam] enabled = false, mail on port 25 loses them too', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const file = path.join(off.dir, 'forged.eml');
    fs.writeFileSync(file, FORGED);
    const r = await run('swaks', ['--server', `127.0.0.1:${off.ports.smtp}`, '--helo', 'forger.test', '--from', 'boss@example.test', '--to', 'user@example.test', '--data', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [stored] = await off.waitForMail('user@example.test', 1, 120_000);
    const text = fs.readFileSync(stored, 'latin1');
    assertClean(text, text);
    assert.ok(text.replace(/(\r\n)+$/, '\r\n').endsWith(EXPECTED_TAIL), text);
  });
});
