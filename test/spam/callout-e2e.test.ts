// End to end: a real `tegami serve` with [spam] sender_callout = true, the lab's stand-in DNS giving the
// sender domain's MX, and the lab's sink MTA playing that MX. swaks sends; a sender the MX refuses gets
// X-IMAIL-SPAM-VALFROM with the MX's reply, a sender it accepts does not. swaks sends from 127.0.0.3: 127.0.0.1
// is this machine ([spam] local_networks), whose connections are never judged.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestServer, requireCommand, run, type TestServer } from '../helpers/server.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import { startSink, type Sink } from '../../lab/peers/sink.js';

const OWNER = 'user@example.test';

function headerBlock(text: string): string {
  const end = text.indexOf('\r\n\r\n');
  return end < 0 ? text : text.slice(0, end);
}

describe('sender callout end to end', () => {
  let dns: DnsServer;
  let sink: Sink;
  let srv: TestServer;

  before(async () => {
    dns = await startDnsServer({
      zones: [
        { name: 'senders.test', type: 'NS', data: 'ns.senders.test' },
        { name: 'senders.test', type: 'MX', data: '10 mx.senders.test' },
        { name: 'senders.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.3 -all' },
        { name: 'mx.senders.test', type: 'A', data: '127.0.0.1' },
      ],
    });
    sink = await startSink({ tls: 'none', permFail: ['ghost@senders.test'] });
    srv = await startTestServer({
      hostname: 'mx.example.test',
      users: [{ address: OWNER, password: 'secret-pass' }],
      toml: ['[dns]', `servers = ["${dns.address}"]`, 'timeout = "15s"', '[spam]', 'sender_callout = true', `callout_port = ${sink.port}`, 'callout_timeout = "15s"'].join('\n'),
    });
  });
  after(async () => {
    await srv?.stop();
    await sink?.close();
    await dns?.close();
    if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
  });

  /** Send one message with swaks from `from`; return the stored message's header block. */
  async function deliver(from: string, subject: string): Promise<string> {
    const seen = new Set([...srv.maildir(OWNER, 'INBOX'), ...srv.maildir(OWNER, 'Spam')]);
    const r = await run('swaks', ['--server', `127.0.0.1:${srv.ports.smtp}`, '--local-interface', '127.0.0.3', '--helo', 'mx.senders.test', '--from', from, '--to', OWNER, '--header', `Subject: ${subject}`, '--body', 'Hello, just checking in.\n', '--timeout', '20']);
    assert.equal(r.code, 0, `swaks failed:\n${r.stdout.slice(-1500)}\n${r.stderr}`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const fresh = [...srv.maildir(OWNER, 'INBOX'), ...srv.maildir(OWNER, 'Spam')].find((f) => !seen.has(f));
      if (fresh) return headerBlock(fs.readFileSync(fresh, 'latin1'));
      if (Date.now() > deadline) throw new Error(`no message from ${from} arrived: ${srv.output().slice(-2000)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  it('a sender the MX refuses is tagged VALFROM_CALLOUT with the reply; an existing sender is not', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const ghost = await deliver('ghost@senders.test', 'from a ghost');
    assert.match(ghost, /^X-IMAIL-SPAM-VALFROM: callout to mx\.senders\.test: 550 5\.1\.1 Mailbox unavailable/m);
    assert.match(ghost, /tags=.*VALFROM_CALLOUT\(2\.5\)/);
    assert.ok(sink.events.some((e) => e.stage === 'rcpt' && e.arg === 'ghost@senders.test' && e.code === 550), 'the MX was asked about ghost');

    const alice = await deliver('alice@senders.test', 'from alice');
    assert.doesNotMatch(alice, /X-IMAIL-SPAM-VALFROM/);
    assert.doesNotMatch(alice, /VALFROM_CALLOUT/);
    assert.ok(sink.events.some((e) => e.stage === 'rcpt' && e.arg === 'alice@senders.test' && e.code === 250), 'the MX was asked about alice');

    // the callout never delivers anything to the sender's MX, and never asks with a real sender
    assert.equal(sink.messages.length, 0);
    assert.ok(sink.events.filter((e) => e.stage === 'mail').every((e) => e.arg === ''), 'MAIL FROM:<> only');
  });
});
