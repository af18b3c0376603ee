// Outbound delivery end to end: a real `tegami serve` relays to lab sinks found through the stand-in DNS
// (MX, second MX when the first refuses, implicit MX), over STARTTLS, with one connection reused for
// several messages, per-recipient partial success, and every attempt logged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { logText, message, queueList, readMail, setup, submit, until, type Setup } from './helpers.js';

let sink: Sink;
let s: Setup;

before(async () => {
  sink = await startSink({ permFail: ['nobody@remote.test'] });
  s = await setup({
    mxPort: sink.port,
    records: [
      { name: 'remote.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'mx.remote.test', type: 'A', data: '127.0.0.1' },
      // first MX refuses connections (nothing listens on 127.0.0.3), the second one works
      { name: 'two.test', type: 'MX', data: '10 dead.two.test' },
      { name: 'two.test', type: 'MX', data: '20 live.two.test' },
      { name: 'dead.two.test', type: 'A', data: '127.0.0.3' },
      { name: 'live.two.test', type: 'A', data: '127.0.0.1' },
      // no MX: the domain's own address (implicit MX, RFC 5321 §5.1)
      { name: 'plain.test', type: 'A', data: '127.0.0.1' },
      // null MX (RFC 7505)
      { name: 'nomail.test', type: 'MX', data: '0 .' },
    ],
    toml: '[queue]\nworkers = 1\nretry_schedule = ["1s", "2s"]\n',
  });
});

after(async () => {
  await s?.close();
  await sink?.close();
});

test('delivers to the MX host over STARTTLS, adds a Received header, logs the attempt, leaves nothing queued', async () => {
  const r = await submit(s.srv.ports.smtp, 'alice@example.test', ['bob@remote.test'], message('alice@example.test', 'bob@remote.test', 'by MX'));
  assert.equal(r.code, 250);
  const [m] = await sink.waitFor(1, 120_000);
  assert.equal(m.from, 'alice@example.test');
  assert.deepEqual(m.to, ['bob@remote.test']);
  assert.equal(m.secure, true, 'STARTTLS was used');
  assert.equal(m.helo, 'mx.example.test');
  const raw = m.raw.toString();
  assert.match(raw, /^Received: from client\.example\.net .*\r\n\tby mx\.example\.test \(tegami\)/m);
  assert.match(raw, /Subject: by MX/);
  const log = await until('delivery log', () => {
    const t = logText(s.srv);
    return /remote-attempt/.test(t) && /\bsent\b/.test(t) ? t : null;
  });
  const line = log.split('\n').find((l) => l.includes('remote-attempt'))!;
  assert.match(line, /id=[0-9A-Z]+/);
  assert.match(line, /host=mx\.remote\.test/);
  assert.match(line, /ip=127\.0\.0\.1/);
  assert.match(line, /tls="?TLSv1\.[23]/);
  assert.match(line, /reply="250 /);
  assert.match(line, /delay_ms=\d+/);
  await until('queue empty', async () => (await queueList(s.srv)).length === 0);
});

test('falls back to the second MX when the first refuses connections', async () => {
  sink.clear();
  await submit(s.srv.ports.smtp, 'alice@example.test', ['carol@two.test'], message('alice@example.test', 'carol@two.test', 'second MX'));
  const [m] = await sink.waitFor(1, 120_000);
  assert.deepEqual(m.to, ['carol@two.test']);
  const log = await until('log of the second MX', () => {
    const t = logText(s.srv);
    return /remote-attempt.*host=live\.two\.test/.test(t) ? t : null;
  });
  assert.match(log, /remote-connect.*host=dead\.two\.test.*ip=127\.0\.0\.3.*ECONNREFUSED/);
  assert.match(log, /remote-attempt.*host=live\.two\.test/);
});

test('implicit MX: a domain with only an A record gets its mail', async () => {
  sink.clear();
  await submit(s.srv.ports.smtp, 'alice@example.test', ['dave@plain.test'], message('alice@example.test', 'dave@plain.test', 'implicit'));
  const [m] = await sink.waitFor(1, 120_000);
  assert.deepEqual(m.to, ['dave@plain.test']);
});

test('one connection carries several messages to the same destination', async () => {
  sink.clear();
  for (let i = 0; i < 3; i++) {
    await submit(s.srv.ports.smtp, 'alice@example.test', ['bob@remote.test'], message('alice@example.test', 'bob@remote.test', `reuse ${i}`));
    await sink.waitFor(i + 1, 120_000);
  }
  const sessions = new Set(sink.messages.map((m) => m.sessionId));
  assert.ok(sessions.size < 3, `3 messages used ${sessions.size} connections`);
  assert.match(logText(s.srv), /remote-attempt.*reused=true/);
});

test('per-recipient outcome: the good recipients are delivered once, the refused one bounces, the null MX one bounces', async () => {
  sink.clear();
  const r = await submit(
    s.srv.ports.smtp,
    'alice@example.test',
    ['bob@remote.test', 'nobody@remote.test', 'erin@two.test', 'x@nomail.test'],
    message('alice@example.test', 'bob@remote.test', 'partial'),
  );
  assert.equal(r.code, 250);
  await sink.waitFor(2, 120_000);
  // the bounces for both failed recipients (one notice or two: waited for by their contents)
  const bounceFor = (rcpt: RegExp) => readMail(s.srv.maildir('alice@example.test')).find((t) => /multipart\/report/.test(t) && rcpt.test(t));
  await until('bounce for nobody@', () => bounceFor(/Final-Recipient: rfc822; nobody@remote\.test/));
  await until('bounce for x@nomail', () => bounceFor(/Final-Recipient: rfc822; x@nomail\.test/));
  const files = s.srv.maildir('alice@example.test');
  await until('queue empty', async () => (await queueList(s.srv)).length === 0);
  // nothing retried: exactly one copy each
  await new Promise((res) => setTimeout(res, 1500));
  const rcpts = sink.messages.flatMap((m) => m.to).sort();
  assert.deepEqual(rcpts, ['bob@remote.test', 'erin@two.test']);
  const bounces = readMail(s.srv.maildir('alice@example.test')).filter((t) => /multipart\/report/.test(t));
  const b = bounces.find((t) => /nobody@remote\.test/.test(t) || /x@nomail\.test/.test(t));
  assert.ok(b, `a bounce arrived (${files.length} files)`);
  const all = bounces.join('\n');
  assert.match(all, /550 5\.1\.1 Mailbox unavailable \(lab sink: permanent failure\)/, 'the remote reply is quoted');
  assert.match(all, /Final-Recipient: rfc822; nobody@remote\.test/);
  assert.match(all, /Final-Recipient: rfc822; x@nomail\.test/);
  assert.match(all, /Status: 5\.1\.10/);
  assert.doesNotMatch(all, /Final-Recipient: rfc822; bob@remote\.test/);
});
