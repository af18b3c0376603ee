// End to end: swaks sends mail carrying a forged X-IMAIL-SPAM verdict and an Authentication-Results field
// in our hostname's name; the stored Maildir copy carries only tegami's own (and every other byte of the
// message as sent). Mail from a trusted range is not analysed, so its headers are left as they came.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
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

  it('mail from a trusted range is not analysed and keeps its header section unchanged', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const stored = await swaks('127.0.0.2');
    assert.ok(stored.endsWith(FORGED), `stored copy:\n${stored}`);
    assert.match(stored, /^Return-Path: <boss@example\.test>\r\nReceived: [^]*?\r\nReceived: from forger\.test/);
  });
});
